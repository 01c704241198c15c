// The autograd graph of the followed run: what loss.backward() walks. Laid out once per graph shape; on each
// captured step a pulse runs from the loss to the parameters in the order autograd ran the nodes, every edge
// labelled with the gradient it carried and every parameter ending with its .grad. A box opens in the
// inspector on hover, tap or focus; a paused run can be stepped through node by node.
import { findEngine } from "../engines.js";
import { ENDED, Status } from "../protocol.js";
import { buildScene, measureScene, placeScene } from "../graph/draw.js";
import { findLayers, foldGraph, visibleOrder } from "../graph/fold.js";
import { inspect } from "../graph/inspector.js";
import { LayoutCache, layoutGraph } from "../graph/layout.js";
import { markPass } from "../graph/marks.js";
import { Pulse } from "../graph/pulse.js";
import { Stepper } from "../graph/stepper.js";
import { oncePerFrame } from "./animation_frame.js";

const MAX_SCALE = 1.35; // a small graph is drawn large, but not so large it looks like a poster
const ALL_DONE = Infinity; // a pass's index once every node has run

export class GraphPanel {
  #container;
  #svg;
  #note;
  #inspector;
  #stepLabel;
  #stepper;
  #pulse;
  #cache = new LayoutCache();
  #state = null;
  #shape = null; // the GraphShape drawn
  #view = null; // what fold.js made of it
  #scene = null;
  #layout = null;
  #latest = null; // the GraphShape of the newest values (drawn once the pulse before it has ended)
  #open = new Set(); // ids of the Linear layers shown node by node
  #values = null; // the GraphValues last received for the drawn shape
  #shown = null; // {values, order}: the backward pass on screen
  #stepIndex = null; // the node the lecturer stepped to, or null
  #hovered = null;
  #pinned = null;
  #wanted = null; // the lecturer's {step, node, mode} while this viewer follows them (follow.js), else null
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(container) {
    this.#container = container;
    this.#svg = container.querySelector("[data-graph-svg]");
    this.#note = container.querySelector("[data-graph-note]");
    this.#inspector = container.querySelector("[data-graph-inspector]");
    this.#stepLabel = container.querySelector("[data-graph-step]");
    this.#pulse = new Pulse((pass, index) => this.#paint(pass, index));
    this.#stepper = new Stepper(container, (delta) => this.#step(delta));
    for (const input of container.querySelectorAll("[data-graph-mode]")) {
      input.addEventListener("change", () => this.#setMode(input.value));
    }
    this.#listen();
    new ResizeObserver(() => this.#fit()).observe(this.#svg);
    this.reset();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#pulse.stop();
    this.#shape = this.#view = this.#scene = this.#layout = this.#values = this.#latest = this.#shown = null;
    this.#stepIndex = this.#hovered = this.#pinned = null;
    this.#open.clear();
    this.#svg.replaceChildren();
    this.#container.dataset.signature = "";
    this.#container.dataset.nodes = 0;
    this.#container.dataset.step = -1;
    this.#stepLabel.textContent = "";
    this.#showNote("Start a run to see the graph autograd builds and walks back.");
    inspect(this.#inspector, null, null, null);
  }

  /** What this panel shows, as the presenter state names it: shared by a lecturer (present/share.js). */
  get view() {
    return { step: this.#stepIndex, node: this.#inspector.dataset.node || null, mode: this.#mode };
  }

  /** Shows what the lecturer shows, again after every redraw (a late frame resets the stepper); null: stop. */
  follow(wanted) {
    this.#wanted = wanted && { step: wanted.step ?? null, node: wanted.node ?? null, mode: wanted.mode ?? null };
    if (this.#state) this.#requestDraw(); // before the first update there is nothing to show it on
  }

  #applyWanted() {
    const { step, node, mode } = this.#wanted;
    if (mode && mode !== this.#mode) {
      for (const input of this.#container.querySelectorAll("[data-graph-mode]")) input.checked = input.value === mode;
      this.#setMode(mode);
    }
    if (step !== (this.#stepIndex ?? null) && (step === null || this.#steppable())) {
      if (step === null) this.#setMode(this.#mode); // back to the whole pass, at rest
      else {
        const pass = this.#pass();
        this.#pulse.stop();
        this.#stepIndex = Math.min(pass.order.length - 1, step);
        this.#paint(pass, this.#stepIndex);
        this.#showStepper();
      }
    }
    if (node !== this.#pinned) ((this.#pinned = node), this.#inspect());
  }

  get #mode() {
    return this.#container.dataset.mode ?? "backward";
  }

  #draw() {
    const state = this.#state;
    const engine = findEngine(state.engines, state.run?.config?.engine);
    if (!state.graph) {
      this.#pulse.stop();
      if (engine?.stores_grads === false) {
        this.#showNote(`${engine.name} derives its gradients by hand: no autograd graph exists. ` +
          "Pick torch-autograd or tiny-autograd to see one.");
      } else if (state.runId) this.#showNote("The graph is drawn as soon as autograd has run one step.");
      this.#stepper.show(false, null);
      return;
    }
    const handMade = state.graph.nodes.some((node) => node.name.startsWith("Hand"));
    this.#container.dataset.handMade = handMade;
    this.#showNote(handMade ? `${engine?.name ?? "This engine"} derives its gradients by hand: no autograd graph ` +
      "exists. Drawn here are the lecture's equations, evaluated at this step; pick torch-autograd or " +
      "tiny-autograd to see the graph autograd builds." : null, false);
    const values = state.graphValues;
    if (values?.signature === state.graph.signature && values !== this.#values) {
      this.#values = values;
      this.#latest = state.graph;
      this.#stepIndex = null; // a new step was taken: the walk through the last one is over
      // The drawn shape follows the pulse: a dynamic net's next shape waits until this pass has been shown.
      if (this.#mode === "backward") this.#pulse.start(this.#pass());
      else this.#paint(this.#pass(), -1);
    } else if (!this.#shape) this.#rebuild(state.graph, {});
    this.#showStepper();
    if (this.#wanted && this.#shape) this.#applyWanted();
  }

  /** The newest backward pass: its graph and its values. */
  #pass() {
    const { visibleOf } = foldGraph(this.#latest, findLayers(this.#latest, this.#values.forward), this.#open);
    return { shape: this.#latest, values: this.#values, order: visibleOrder(this.#values.order, visibleOf) };
  }

  /** A new shape (or layers opened or folded): build, measure and place it; the layout comes from the cache. */
  #rebuild(shape, forward) {
    this.#shape = shape;
    const layers = findLayers(shape, forward);
    this.#view = foldGraph(shape, layers, this.#open);
    this.#scene = buildScene(this.#svg, this.#view);
    // Layer titles come from the weights' shapes: part of the key, like the layers that are open.
    const key = `${shape.signature}|${[...this.#open].sort()}|${layers.map((layer) => layer.title)}`;
    const { sizes, layout } = this.#cache.get(key, () => {
      const measured = measureScene(this.#scene);
      return { sizes: measured, layout: layoutGraph(this.#view, measured) };
    });
    placeScene(this.#scene, layout, sizes);
    this.#layout = layout;
    this.#fit();
    const data = this.#container.dataset;
    data.signature = shape.signature;
    data.nodes = this.#view.nodes.length;
    data.graphNodes = shape.nodes.length;
    data.layers = layers.length;
    data.layouts = this.#cache.size;
    if (this.#hovered && !this.#scene.nodes.has(this.#hovered)) this.#hovered = null;
    if (this.#pinned && !this.#scene.nodes.has(this.#pinned)) this.#pinned = null;
  }

  /** Zoom to fit: the whole graph in view, a small one enlarged at most MAX_SCALE times. */
  #fit() {
    if (!this.#layout) return;
    const { width, height } = this.#layout;
    const box = this.#svg.getBoundingClientRect();
    const w = Math.max(width, box.width / MAX_SCALE);
    const h = Math.max(height, box.height / MAX_SCALE);
    this.#svg.setAttribute("viewBox", `${(width - w) / 2} ${(height - h) / 2} ${w} ${h}`);
  }

  /** Marks node `index` of the pass as running (−1: none yet; order.length: all done) and writes its values. */
  #paint(pass, index) {
    if (pass.shape !== this.#shape) this.#rebuild(pass.shape, pass.values.forward);
    const { values, order } = pass;
    this.#shown = { ...pass, index };
    this.#container.dataset.step = values.step;
    this.#stepLabel.textContent = `step ${values.step}`;
    const backward = this.#mode === "backward";
    const active = markPass(this.#scene, this.#view, values, backward ? order : null, index);
    this.#container.dataset.active = active ?? "";
    this.#container.dataset.order = order.join(" ");
    if (index <= 0 || index >= order.length || this.#stepIndex !== null) this.#inspect();
  }

  #setMode(mode) {
    this.#container.dataset.mode = mode;
    this.#pulse.stop();
    this.#stepIndex = null;
    if (this.#values) this.#paint(this.#pass(), mode === "backward" ? ALL_DONE : -1);
    this.#showStepper();
  }

  #steppable() {
    const status = this.#state?.status;
    return this.#values !== null && this.#mode === "backward" && (status === Status.PAUSED || ENDED.has(status));
  }

  #step(delta) {
    if (!this.#steppable()) return;
    const pass = this.#pass();
    this.#pulse.stop();
    this.#stepIndex = this.#stepIndex === null ? 0 : Math.min(pass.order.length - 1, Math.max(0, this.#stepIndex + delta));
    this.#paint(pass, this.#stepIndex);
    this.#showStepper();
  }

  #showStepper() {
    const enabled = this.#steppable();
    if (!enabled && this.#stepIndex !== null) this.#stepIndex = null;
    const order = this.#shown?.order ?? [];
    const id = order[this.#stepIndex];
    const item = this.#view?.nodes.find((node) => node.id === id);
    const position = this.#stepIndex === null ? null
      : { index: this.#stepIndex, count: order.length, name: item ? `${item.title} (${item.sub})` : id };
    this.#stepper.show(enabled, position);
    this.#container.dataset.stepIndex = this.#stepIndex ?? "";
  }

  /** The inspector shows the box hovered or focused, else the one stepped to, else the one tapped. */
  #inspect() {
    const stepped = this.#stepIndex !== null ? this.#shown?.order[this.#stepIndex] : null;
    const id = this.#hovered ?? stepped ?? this.#pinned;
    const item = this.#view?.nodes.find((node) => node.id === id) ?? null;
    for (const [nodeId, parts] of this.#scene?.nodes ?? []) parts.group.classList.toggle("inspected", nodeId === id);
    inspect(this.#inspector, item, this.#shape, this.#shown?.values ?? this.#values);
  }

  #listen() {
    const target = (event) => event.target.closest?.("[data-node], [data-layer]");
    const svg = this.#svg;
    const hover = (event) => {
      const id = target(event)?.dataset.node ?? null;
      if (id === this.#hovered) return;
      this.#hovered = id;
      this.#inspect();
    };
    svg.addEventListener("pointerover", hover);
    svg.addEventListener("focusin", hover);
    svg.addEventListener("pointerleave", () => ((this.#hovered = null), this.#inspect()));
    svg.addEventListener("focusout", () => ((this.#hovered = null), this.#inspect()));
    const choose = (element) => {
      if (element.dataset.layer) this.#toggleLayer(element.dataset.layer, false);
      else if (this.#view.nodes.find((node) => node.id === element.dataset.node)?.kind === "layer") {
        this.#toggleLayer(element.dataset.node, true);
      } else {
        this.#pinned = this.#pinned === element.dataset.node ? null : element.dataset.node;
        this.#inspect();
      }
    };
    svg.addEventListener("click", (event) => target(event) && choose(target(event)));
    svg.addEventListener("keydown", (event) => {
      if ((event.key === "Enter" || event.key === " ") && target(event)) {
        event.preventDefault();
        choose(target(event));
      }
    });
  }

  #toggleLayer(id, open) {
    if (open) this.#open.add(id);
    else this.#open.delete(id);
    this.#pulse.stop();
    this.#hovered = this.#pinned = null;
    this.#stepIndex = null;
    this.#shown = null;
    this.#rebuild(this.#shape, this.#values?.forward ?? {});
    if (this.#values) this.#paint(this.#pass(), this.#mode === "backward" ? ALL_DONE : -1);
    this.#showStepper();
    this.#container.dataset.open = [...this.#open].join(" ");
  }

  /** A sentence above the drawing, or in place of it (`empty`: there is nothing to draw). */
  #showNote(text, empty = true) {
    this.#note.hidden = text === null;
    this.#note.textContent = text ?? "";
    this.#container.dataset.empty = text !== null && empty;
  }
}
