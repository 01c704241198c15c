// An enlarged graph fills its panel. In its place on the page the graph panel zooms a small drawing only a little
// (it sits among the charts), which on a projector leaves it small; enlarged, it is the one thing on the screen.
// While on, every viewBox the graph panel sets is replaced by the drawing's own box: the SVG then scales the
// drawing to the panel either way, keeping its aspect (preserveAspectRatio's default, "meet").

const MARGIN = 12; // SVG units around the drawing, as dagre's layout keeps: outlines and label halos stay in

export class GraphZoom {
  #svg;
  #observer;
  #on = false;
  #theirs = null; // the graph panel's own viewBox, put back when the zoom goes off

  /** `svg`: the graph panel's drawing ([data-graph-svg]). */
  constructor(svg) {
    this.#svg = svg;
    // The panel sets its viewBox on every resize and every new shape: each time, the drawing is fitted again.
    this.#observer = new MutationObserver(() => this.#fill());
  }

  get on() {
    return this.#on;
  }

  set on(on) {
    if (on === this.#on) return;
    this.#on = on;
    if (on) {
      this.#observer.observe(this.#svg, { attributes: true, attributeFilter: ["viewBox"] });
      this.#fill();
      return;
    }
    this.#observer.disconnect();
    if (this.#theirs !== null) this.#svg.setAttribute("viewBox", this.#theirs);
    this.#theirs = null;
  }

  /** The viewBox that frames the drawing exactly (null while nothing is drawn, or the drawing is hidden). */
  #wanted() {
    const root = this.#svg.querySelector(".graph-root");
    if (!root) return null;
    const { x, y, width, height } = root.getBBox();
    if (!(width > 0 && height > 0)) return null;
    return [x - MARGIN, y - MARGIN, width + 2 * MARGIN, height + 2 * MARGIN].map((v) => +v.toFixed(2)).join(" ");
  }

  #fill() {
    const current = this.#svg.getAttribute("viewBox");
    const wanted = this.#wanted();
    if (wanted === null || current === wanted) return; // the second case: our own change, heard back
    this.#theirs = current;
    this.#svg.setAttribute("viewBox", wanted);
  }
}
