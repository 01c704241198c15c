// How far two compared runs lie apart at each step: the largest |difference| of a weight and of a gradient,
// on a log scale (two engines that agree differ by rounding, ~1e-16 of the values; an exact 0 is not drawn).
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { decimateMax } from "../decimate.js";
import { oncePerFrame } from "./animation_frame.js";
import { axis, createPlot, cssVar, logAxis } from "./chart.js";

/** Zeros leave gaps: log10(0) has no place on the axis. */
function positive(values) {
  return Array.from(values, (v) => (v > 0 ? v : null));
}

export class DiffChart {
  #container;
  #plot;
  #diff = null;
  #drawn = { diff: null, width: 0 };
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(container) {
    this.#container = container;
    const line = (stroke, dash) => ({ stroke, width: 2, dash, spanGaps: false, points: { show: false } });
    this.#plot = createPlot(
      container,
      {
        scales: { x: { time: false }, y: { distr: 3 } },
        axes: [axis(container, "step"), logAxis(container, "|Δ|")],
        series: [
          {},
          { label: "max |Δweight|", ...line(cssVar("--dweight")) },
          { label: "max |Δgrad|", ...line(cssVar("--dgrad"), [6, 4]) },
        ],
      },
      { onDraw: () => this.#markDrawn(), onResize: this.#requestDraw },
    );
  }

  update(state) {
    this.#diff = state.diff;
    this.#requestDraw();
  }

  reset() {
    this.#diff = null;
    this.#drawn = { diff: null, width: 0 };
    this.#plot.setData([[], [], []]);
  }

  #draw() {
    const diff = this.#diff;
    const width = Math.max(1, Math.round(this.#plot.width));
    if (diff === this.#drawn.diff && width === this.#drawn.width) return;
    this.#drawn = { diff, width };
    if (!diff?.steps) {
      this.#plot.setData([[], [], []]);
      return;
    }
    // Each keeps its worst step of every bucket, so their x differ: uPlot.join lines them up.
    const weight = decimateMax(diff.dWeight, width);
    const grad = decimateMax(diff.dGrad, width);
    this.#plot.setData(uPlot.join([[weight.x, positive(weight.y)], [grad.x, positive(grad.y)]]));
  }

  #markDrawn() {
    this.#container.dataset.steps = this.#drawn.diff?.steps ?? 0;
  }
}
