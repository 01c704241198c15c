// The gradient's length on a log scale: falling as a run converges, growing when zero_grad is off and .grad piles
// up. The snapshot brings the steps taken before the page joined (every one, or an even sample of a long run's),
// then each frame received adds its step: frames sample the steps (~30 a second), so this is a sample, and says so.
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { oncePerFrame } from "./animation_frame.js";
import { modelOf } from "../engines.js";
import { formatCount, formatValue } from "../format.js";
import { axis, createPlot, cssVar, lastStep, logAxis } from "./chart.js";
import { ChartReadout, WeightsAt, nearestIndex, weightsLine } from "./chart_readout.js";

/** A log axis needs positive values: a zero gradient leaves a gap rather than breaking the scale. */
function positive(norms) {
  return norms.map((v) => (v > 0 ? v : null));
}

export class GradNormChart {
  #container;
  #plot;
  #state = null;
  #drawn = { a: 0, b: 0 }; // how many samples of each run the last setData held, and the axis's end
  #lastStep = 1; // the x axis ends at the longer run's last step, as the loss chart's does
  #readout;
  #weights;
  #requestDraw = oncePerFrame(() => this.#draw());

  /** `fetchRow(runId, step)` answers one step of a run's history, for the read-out's weights (see LossChart). */
  constructor(container, { fetchRow = () => Promise.reject(new Error("no history")) } = {}) {
    this.#container = container;
    this.#readout = new ChartReadout(container, {
      label: "Gradient norm chart",
      read: (x) => this.#read(x),
      positions: () => this.#state?.gradNorms.steps ?? [],
    });
    this.#weights = new WeightsAt(fetchRow, () => this.#readout.refresh());
    const line = (stroke, dash) => ({ stroke, width: 2, dash, spanGaps: true, points: { show: false } });
    this.#plot = createPlot(
      container,
      {
        scales: { x: { time: false, range: () => [0, this.#lastStep] }, y: { distr: 3 } },
        axes: [axis(container, "step"), logAxis(container, "norm")],
        series: [
          {},
          { label: "‖∇‖", ...line(cssVar("--grad-norm")) },
          { label: "compared", ...line(cssVar("--compare"), [6, 4]) },
        ],
      },
      { onDraw: () => (this.#markDrawn(), this.#readout.refresh()), onCursor: (plot) => this.#readout.moved(plot) },
    );
    this.#readout.attach(this.#plot);
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#drawn = { a: 0, b: 0 };
    this.#lastStep = 1;
    this.#plot.setData([[], [], []]);
    this.#container.dataset.samples = 0;
  }

  #draw() {
    const state = this.#state;
    if (!state) return;
    const a = state.gradNorms;
    const b = state.compare?.gradNorms ?? { steps: [], norms: [] };
    this.#lastStep = Math.max(lastStep(state), state.compare ? lastStep(state.compare) : 1);
    const drawn = { a: a.steps.length, b: b.steps.length, lastStep: this.#lastStep };
    if (Object.keys(drawn).every((key) => drawn[key] === this.#drawn[key])) return;
    this.#drawn = drawn;
    // The two runs' frames fall on different steps; uPlot.join lines them up on one x.
    this.#plot.setData(uPlot.join([[a.steps, positive(a.norms)], [b.steps, positive(b.norms)]]));
  }

  /** The read-out at the sampled step nearest x: the gradient's length there, the loss and the weights. */
  #read(x) {
    const state = this.#state;
    const i = nearestIndex(state?.gradNorms.steps, x);
    if (i < 0) return null;
    const step = state.gradNorms.steps[i];
    const norm = state.gradNorms.norms[i];
    const loss = state.losses[step];
    const weights = this.#weights.at(state, step);
    return {
      lines: [`step ${formatCount(step)}`, `‖∇‖ ${formatValue(norm)} · loss ${formatValue(loss)}`,
        weightsLine(modelOf(state.engines, state.run).names, weights)],
      data: { step, norm, loss: loss ?? null, weights: weights ?? null },
    };
  }

  #markDrawn() {
    Object.assign(this.#container.dataset, { samples: this.#drawn.a, last: this.#state?.gradNorms.norms.at(-1) ?? "" });
  }
}
