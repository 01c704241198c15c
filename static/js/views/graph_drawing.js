// One graph shape on the panel's SVG: folded into boxes (fold.js), built, measured and placed (draw.js) with a
// layout kept per shape, and zoomed to fit its box; and the box events the graph panel listens to.
import { buildScene, measureScene, placeScene } from "../graph/draw.js";
import { findLayers, foldGraph } from "../graph/fold.js";
import { LayoutCache, layoutGraph } from "../graph/layout.js";

const MAX_SCALE = 1.35; // a small graph is drawn large, but not so large it looks like a poster

export class GraphDrawing {
  #svg;
  #cache = new LayoutCache();
  #layout = null;
  view = null; // what fold.js made of the shape drawn
  scene = null; // its SVG parts by id (draw.js)

  constructor(svg) {
    this.#svg = svg;
    new ResizeObserver(() => this.fit()).observe(svg);
  }

  /** How many layouts are kept: one per shape and set of open layers seen. */
  get layouts() {
    return this.#cache.size;
  }

  /** Draws `shape` with the Linear layers in `open` shown node by node; returns the layers found in it. */
  draw(shape, forward, open) {
    const layers = findLayers(shape, forward);
    this.view = foldGraph(shape, layers, open);
    this.scene = buildScene(this.#svg, this.view);
    // Layer titles come from the weights' shapes: part of the key, like the layers that are open.
    const key = `${shape.signature}|${[...open].sort()}|${layers.map((layer) => layer.title)}`;
    const { sizes, layout } = this.#cache.get(key, () => {
      const measured = measureScene(this.scene);
      return { sizes: measured, layout: layoutGraph(this.view, measured) };
    });
    placeScene(this.scene, layout, sizes);
    this.#layout = layout;
    this.fit();
    return layers;
  }

  clear() {
    this.view = this.scene = this.#layout = null;
    this.#svg.replaceChildren();
  }

  /** Zoom to fit: the whole graph in view, a small one enlarged at most MAX_SCALE times. */
  fit() {
    if (!this.#layout) return;
    const { width, height } = this.#layout;
    const box = this.#svg.getBoundingClientRect();
    const w = Math.max(width, box.width / MAX_SCALE);
    const h = Math.max(height, box.height / MAX_SCALE);
    this.#svg.setAttribute("viewBox", `${(width - w) / 2} ${(height - h) / 2} ${w} ${h}`);
  }
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
