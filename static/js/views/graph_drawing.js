// One graph shape on the panel's SVG: folded into boxes (fold.js), built and measured (draw.js), laid out in the
// style and direction that fit the panel's shape best (layout.js, each layout kept), and shown through a
// viewport that fits it, zooms and pans (viewport.js); and the box events the graph panel listens to.
import { STYLES, boxSizes, buildScene, clusterTitleSizes, measureScene, placeScene } from "../graph/draw.js";
import { findLayers, foldGraph } from "../graph/fold.js";
import { LayoutCache, layoutGraph } from "../graph/layout.js";
import { Viewport } from "../graph/viewport.js";

const DIRECTIONS = ["TB", "LR"]; // top to bottom first: the loss on top reads like the lecture's slides
const TAP_PX = 44; // the smallest box a finger can hit reliably (WCAG 2.5.5)
const coarse = matchMedia("(pointer: coarse)");

export class GraphDrawing {
  #svg;
  #cache = new LayoutCache();
  #shapes = new Set(); // the keys of the shapes laid out
  #viewport;
  #key = null;
  #measures = null;
  #placed = null; // the layout the scene is placed by
  #forward = {}; // the forward values of the shape drawn: a parameter's shape says how much room its value needs
  #touched = false; // a finger has touched the page
  view = null; // what fold.js made of the shape drawn
  scene = null; // its SVG parts by id (draw.js)

  /** `onView()` hears every change of what is in view (a new layout, a zoom, a pan, a resize). */
  constructor(svg, onView = () => {}) {
    this.#svg = svg;
    this.#viewport = new Viewport(svg, onView);
    new ResizeObserver(() => this.fit()).observe(svg);
    coarse.addEventListener("change", () => this.fit());
    // A touch is the surest sign of a finger (an emulated or late-reported pointer may read "fine" at first).
    addEventListener("pointerdown", (event) => event.pointerType === "touch" && !coarse.matches && (this.#touched = true) && this.fit(), { once: false });
    // The smallest text asked for changes with presenter mode and an enlarged panel, not always with the size.
    const restyled = new MutationObserver(() => this.fit());
    restyled.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    const panel = svg.closest(".panel");
    if (panel) restyled.observe(panel, { attributes: true, attributeFilter: ["class"] });
  }

  /** How many graph shapes (with their sets of open layers) have been laid out. */
  get layouts() {
    return this.#shapes.size;
  }

  get viewport() {
    return this.#viewport;
  }

  /** The layout in use: {style, rankdir, scale}, for the page's data attributes and the tests. */
  get placed() {
    return this.#placed && { style: this.#placed.style, rankdir: this.#placed.rankdir, scale: this.#viewport.scale };
  }

  /** Draws `shape` with the Linear layers in `open` shown node by node; returns the layers found in it. */
  draw(shape, forward, open) {
    const layers = findLayers(shape, forward);
    this.view = foldGraph(shape, layers, open);
    this.scene = buildScene(this.#svg, this.view);
    // Layer titles come from the weights' shapes: part of the key, like the layers that are open.
    this.#key = `${shape.signature}|${[...open].sort()}|${layers.map((layer) => layer.title)}`;
    this.#shapes.add(this.#key);
    this.#measures = null;
    this.#placed = null;
    this.#forward = forward;
    this.fit();
    return layers;
  }

  clear() {
    this.view = this.scene = this.#key = this.#measures = this.#placed = null;
    this.#svg.replaceChildren();
    this.#svg.removeAttribute("viewBox");
  }

  /** Picks the layout that fits the panel now and shows it: called on every new shape and every resize. */
  fit() {
    if (!this.scene || this.#svg.clientWidth === 0) return; // hidden: measured and placed once shown
    // Measured once per shape, from the text as the browser sets it (kept with the shape's layouts).
    this.#measures ??= this.#cache.get(`${this.#key}|measures`, () => measureScene(this.scene, this.#forward));
    const chosen = this.#choose();
    if (chosen !== this.#placed) {
      placeScene(this.scene, chosen, chosen.style, this.#measures);
      this.#placed = chosen;
    }
    this.#viewport.show(chosen);
  }

  /**
   * The most detailed style whose better direction fits the panel with its text at least the smallest size asked
   * for; if none does, whichever shows the text largest (it is then moved around in the panel).
   */
  #choose() {
    const { min } = this.#viewport.textScales();
    const minBox = coarse.matches || this.#touched ? TAP_PX / min : 0; // a box a finger hits at the smallest scale
    const titles = clusterTitleSizes(this.#measures);
    let best = null;
    for (const style of STYLES) {
      for (const rankdir of DIRECTIONS) {
        const layout = this.#cache.get(`${this.#key}|${style}|${rankdir}|${minBox.toFixed(1)}`, () => ({
          ...layoutGraph(this.view, boxSizes(this.#measures, style, minBox), rankdir, titles),
          style,
          anchor: null,
        }));
        layout.anchor ??= layout.nodes.get(root(this.view)) ?? { x: 0, y: 0 };
        const scale = this.#viewport.fitScale(layout);
        if (!best || scale > best.scale + 1e-6) best = { layout, scale };
      }
      if (best.scale >= min) return best.layout;
    }
    return best.layout;
  }

  /** A box's place on the screen (a DOMRect), or null. */
  screenBox(id) {
    return this.scene?.nodes.get(id)?.group.getBoundingClientRect() ?? null;
  }
}

/** The loss: the one box no edge leads to (gradients start there). */
function root(folded) {
  const targets = new Set(folded.edges.map((edge) => edge.target));
  return folded.nodes.find((node) => !targets.has(node.id))?.id ?? folded.nodes[0]?.id;
}

/**
 * Calls `hover(id)` as a box is pointed at or focused (null once the pointer or focus leaves the drawing), and
 * `choose(element)` when a box or a layer's frame is clicked, or Enter or Space is pressed on it.
 */
export function listenToBoxes(svg, { hover, choose }) {
  const target = (event) => event.target.closest?.("[data-node], [data-layer]");
  const over = (event) => hover(target(event)?.dataset.node ?? null);
  svg.addEventListener("pointerover", over);
  svg.addEventListener("focusin", over);
  svg.addEventListener("pointerleave", () => hover(null));
  svg.addEventListener("focusout", () => hover(null));
  svg.addEventListener("click", (event) => target(event) && choose(target(event)));
  svg.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && target(event)) {
      event.preventDefault();
      choose(target(event));
    }
  });
}
