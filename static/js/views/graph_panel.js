// The autograd graph of the followed run: what loss.backward() walks. Laid out once per graph shape and panel
// shape; it always shows the newest captured step, the one the weights beside it show (or says which it shows
// and why), while a pulse sweeps from the loss to the parameters in the order autograd ran the nodes, every edge
// as wide as the gradient it carried and every parameter ending with its .grad. A box opens in the inspector on
// hover, tap or focus; a paused run can be stepped through node by node. `select` picks the graph: the latest,
// or in a replay the one kept for the step replayed (replay/graphs.js), shown whole at once when sought.
import { findEngine } from "../engines.js";
import { ENDED, Status } from "../protocol.js";
import { findLayers, foldGraph, visibleOrder } from "../graph/fold.js";
import { inspect } from "../graph/inspector.js";
import { lagNote } from "../graph/lag.js";
import { markPass } from "../graph/marks.js";
import { Pulse } from "../graph/pulse.js";
import { Stepper } from "../graph/stepper.js";
import { oncePerFrame } from "./animation_frame.js";
import { GraphDrawing, listenToBoxes } from "./graph_drawing.js";
import { handNote, isHandDrawn, missingNote } from "./graph_note.js";

const ALL_DONE = Infinity; // a pass's index once every node has run

export class GraphPanel {
  #container;
  #note;
  #inspector;
  #stepLabel;
  #lag;
  #stepper;
  #pulse;
  #drawing;
  #select;
  #state = null;
  #shape = null; // the GraphShape drawn
  #latest = null; // the GraphShape of the newest values (drawn once the pulse before it has ended)
  #open = new Set(); // ids of the Linear layers shown node by node
  #values = null; // the GraphValues last received for the drawn shape
  #shown = null; // {values, order}: the backward pass on screen
  #stepIndex = null; // the node the lecturer stepped to, or null
  #hovered = null;
  #pinned = null;
  #wanted = null; // the lecturer's {step, node, mode} while this viewer follows them (follow.js), else null
  #requestDraw = oncePerFrame(() => this.#draw());

  /** `select(state)` gives the {graph, values} to draw: by default the latest, the replayed step's in a replay. */
  constructor(container, select = ({ graph, graphValues }) => ({ graph, values: graphValues })) {
    this.#container = container;
    this.#select = select;
    const svg = container.querySelector("[data-graph-svg]");
    this.#drawing = new GraphDrawing(svg, () => this.#placeInspector());
    this.#note = container.querySelector("[data-graph-note]");
    this.#inspector = container.querySelector("[data-graph-inspector]");
    this.#stepLabel = container.querySelector("[data-graph-step]");
    this.#lag = container.querySelector("[data-graph-lag]");
    const viewport = this.#drawing.viewport;
    for (const [name, act] of Object.entries({ in: () => viewport.in(), out: () => viewport.out(), fit: () => viewport.fit() })) {
      container.querySelector(`[data-zoom-${name}]`)?.addEventListener("click", act);
    }
    this.#pulse = new Pulse((pass, index) => this.#paint(pass, index));
    this.#stepper = new Stepper(container, (delta) => this.#step(delta));
    for (const input of container.querySelectorAll("[data-graph-mode]")) {
      input.addEventListener("change", () => this.#setMode(input.value));
    }
    const hover = (id) => id !== this.#hovered && ((this.#hovered = id), this.#inspect());
    listenToBoxes(svg, { hover, choose: (element) => this.#choose(element) });
    this.reset();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#pulse.stop();
    this.#shape = this.#values = this.#latest = this.#shown = null;
    this.#stepIndex = this.#hovered = this.#pinned = null;
    this.#open.clear();
    this.#drawing.clear();
    Object.assign(this.#container.dataset, { signature: "", nodes: 0, step: -1 });
    this.#stepLabel.textContent = this.#lag.textContent = "";
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
    const { graph, values } = this.#select(state);
    if (!graph) {
      this.#pulse.stop();
      const missing = missingNote(engine, state.runId);
      if (missing) this.#showNote(missing);
      this.#stepper.show(false, null);
      return;
    }
    const handMade = isHandDrawn(graph);
    this.#container.dataset.handMade = handMade;
    this.#showNote(handMade ? handNote(engine) : null, false);
    // Only a running run sweeps: paused, ended or replayed, the whole pass is shown at once, in this very frame
    // (a step taken by hand too: the lecturer then walks it node by node).
    const still = state.replay || state.status === Status.PAUSED || ENDED.has(state.status);
    if (values?.signature === graph.signature && values !== this.#values) {
      this.#values = values;
      this.#latest = graph;
      this.#stepIndex = null; // a new step was taken: the walk through the last one is over
      // Every new pass is painted at once, its shape too: the graph shows the step the weights show.
      if (this.#mode !== "backward") this.#paint(this.#pass(), -1);
      else if (still) this.#setMode(this.#mode);
      else this.#pulse.start(this.#pass());
    } else if (!this.#shape) this.#rebuild(graph, {});
    else if (still && this.#pulse.playing) this.#setMode(this.#mode); // paused or ended: the newest pass, at rest
    this.#showLag();
    this.#showStepper();
    if (this.#wanted && this.#shape) this.#applyWanted();
  }

  /** The newest backward pass: its graph and its values. */
  #pass() {
    const { visibleOf } = foldGraph(this.#latest, findLayers(this.#latest, this.#values.forward), this.#open);
    return { shape: this.#latest, values: this.#values, order: visibleOrder(this.#values.order, visibleOf) };
  }

  /** A new shape (or layers opened or folded): built, measured and placed; the layout comes from the cache. */
  #rebuild(shape, forward) {
    this.#shape = shape;
    const layers = this.#drawing.draw(shape, forward, this.#open);
    Object.assign(this.#container.dataset, {
      signature: shape.signature,
      nodes: this.#drawing.view.nodes.length,
      graphNodes: shape.nodes.length,
      layers: layers.length,
      layouts: this.#drawing.layouts,
    });
    this.#showPlaced();
    const scene = this.#drawing.scene;
    if (this.#hovered && !scene.nodes.has(this.#hovered)) this.#hovered = null;
    if (this.#pinned && !scene.nodes.has(this.#pinned)) this.#pinned = null;
  }

  /** Marks node `index` of the pass as running (−1: none yet; order.length: all done) and writes its values. */
  #paint(pass, index) {
    if (pass.shape !== this.#shape) this.#rebuild(pass.shape, pass.values.forward);
    const { values, order } = pass;
    this.#shown = { ...pass, index };
    this.#container.dataset.step = values.step;
    this.#stepLabel.textContent = `step ${values.step}`;
    this.#showLag();
    const backward = this.#mode === "backward";
    const active = markPass(this.#drawing.scene, this.#drawing.view, values, backward ? order : null, index);
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
    const item = this.#drawing.view?.nodes.find((node) => node.id === id);
    const position = this.#stepIndex === null ? null
      : { index: this.#stepIndex, count: order.length, name: item ? `${item.title} (${item.sub})` : id };
    this.#stepper.show(enabled, position);
    this.#container.dataset.stepIndex = this.#stepIndex ?? "";
  }

  /** The inspector shows the box hovered or focused, else the one stepped to, else the one tapped. */
  #inspect() {
    const stepped = this.#stepIndex !== null ? this.#shown?.order[this.#stepIndex] : null;
    const id = this.#hovered ?? stepped ?? this.#pinned;
    const item = this.#drawing.view?.nodes.find((node) => node.id === id) ?? null;
    for (const [nodeId, parts] of this.#drawing.scene?.nodes ?? []) parts.group.classList.toggle("inspected", nodeId === id);
    const sources = findEngine(this.#state?.engines ?? [], this.#state?.run?.config?.engine)?.sources ?? {};
    inspect(this.#inspector, item, this.#shape, this.#shown?.values ?? this.#values, sources);
    this.#placeInspector();
  }

  /** A box tapped (or Enter on it): a layer opens or folds, any other box is pinned in the inspector or let go. */
  #choose(element) {
    const id = element.dataset.node;
    if (element.dataset.layer) this.#toggleLayer(element.dataset.layer, false);
    else if (this.#drawing.view.nodes.find((node) => node.id === id)?.kind === "layer") this.#toggleLayer(id, true);
    else {
      this.#pinned = this.#pinned === id ? null : id;
      this.#inspect();
    }
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

  /** Says which step the graph shows when it is not the weights' step, and why (graph/lag.js). */
  #showLag() {
    const text = this.#state ? lagNote(this.#state, this.#shown?.values ?? null) : "";
    // In the stepper's row, one line whatever it says: saying it never moves the drawing (graph.css).
    if (this.#lag.textContent !== text) Object.assign(this.#lag, { textContent: text, title: text });
  }

  /** The layout in use, for styles and tests: its box style, direction and scale (CSS px per unit). */
  #showPlaced() {
    const placed = this.#drawing.placed;
    if (!placed) return;
    Object.assign(this.#container.dataset, { style: placed.style, rankdir: placed.rankdir, scale: placed.scale.toFixed(3) });
  }

  /** The inspector floats over the drawing on the side away from the box it describes. */
  #placeInspector() {
    this.#showPlaced();
    const id = this.#inspector.dataset.node;
    const box = id ? this.#drawing.screenBox(id) : null;
    if (!box) return;
    const stage = this.#container.querySelector("[data-graph-svg]").getBoundingClientRect();
    this.#inspector.dataset.side = box.left + box.width / 2 > stage.left + stage.width / 2 ? "left" : "right";
  }

  /** A sentence above the drawing, or in place of it (`empty`: there is nothing to draw). */
  #showNote(text, empty = true) {
    this.#note.hidden = text === null;
    this.#note.textContent = text ?? "";
    this.#container.dataset.empty = text !== null && empty;
  }
}
