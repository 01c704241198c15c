// The training data (dots), the target (dashed) and the current model (solid) over x; when two runs are
// compared, the second run's model too (dashed on top, so that where the two agree both colours show).
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { targetOf } from "../engines.js";
import { oncePerFrame } from "./animation_frame.js";
import { axis, createPlot, cssVar } from "./chart.js";
import { describeRun, showKey } from "./run_label.js";

const DEFAULT_Y_RANGE = [-1.5, 1.5];
const Y_PADDING = 0.35; // of the target's span, each side: room for the cubic to arrive from afar

/** A y range fixed by the data, so the axes hold still while the cubic moves into place. */
function paddedRange(...series) {
  let low = Infinity;
  let high = -Infinity;
  for (const ys of series) {
    for (const y of ys) {
      if (y < low) low = y;
      if (y > high) high = y;
    }
  }
  if (!(high > low)) return DEFAULT_Y_RANGE;
  const pad = (high - low) * Y_PADDING;
  return [low - pad, high + pad];
}

export class FitChart {
  #container;
  #keys;
  #plot;
  #state = null;
  #drawnData = null;
  #drawnCurve = null;
  #drawnCompare = null;
  #pending = null; // what the next draw will put on screen, reported by #markDrawn
  #yRange = DEFAULT_Y_RANGE;
  #requestDraw = oncePerFrame(() => this.#draw());

  /** `panel` holds the key ([data-key-*]) and the plot (.plot), which reports what it drew. */
  constructor(panel) {
    const container = panel.querySelector(".plot");
    this.#container = container;
    this.#keys = {
      target: panel.querySelector("[data-key-target]"),
      run: panel.querySelector("[data-key-run]"),
      compare: panel.querySelector("[data-key-compare]"),
    };
    const line = (stroke, width, dash) => ({ stroke, width, dash, spanGaps: true, points: { show: false } });
    this.#plot = createPlot(
      container,
      {
        scales: { x: { time: false }, y: { range: () => this.#yRange } },
        axes: [axis(container, "x"), axis(container, "y")],
        series: [
          {},
          {
            label: "data",
            paths: () => null, // dots only
            points: { show: true, size: 4, width: 0, fill: cssVar("--fit-data") },
          },
          { label: "target", ...line(cssVar("--fit-truth"), 2, [6, 4]) },
          { label: "model", ...line(cssVar("--fit-cubic"), 3) },
          { label: "compared", ...line(cssVar("--compare"), 2.5, [8, 5]) },
        ],
      },
      { onDraw: () => this.#markDrawn() },
    );
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = this.#drawnData = this.#drawnCurve = this.#drawnCompare = null;
    this.#yRange = DEFAULT_Y_RANGE;
    this.#pending = { points: 0, step: -1 };
    this.#plot.setData([[], [], [], [], []]);
  }

  #draw() {
    const state = this.#state;
    this.#showKeys(state);
    const compare = state?.compare?.curve ?? null;
    const unchanged = state?.data === this.#drawnData && state?.curve === this.#drawnCurve;
    if (!state?.data || (unchanged && compare === this.#drawnCompare)) return;
    if (state.data !== this.#drawnData) this.#yRange = paddedRange(state.data.y, state.truth.y);
    const curve = state.curve ?? []; // empty before the server has drawn one: no line yet
    // The series have different x; uPlot.join lines them up on one x, leaving holes it draws across.
    const tables = [
      [state.data.x, state.data.y],
      [state.truth.x, state.truth.y],
      [state.curveX.slice(0, curve.length), curve],
      [state.compare?.curveX?.slice(0, compare?.length ?? 0) ?? [], compare ?? []],
    ];
    this.#pending = { points: state.data.x.length + state.truth.x.length + curve.length, step: state.step };
    this.#plot.setData(uPlot.join(tables));
    this.#drawnData = state.data;
    this.#drawnCurve = state.curve;
    this.#drawnCompare = compare;
  }

  #showKeys(state) {
    const compared = state?.compare?.run;
    showKey(this.#keys.target, targetOf(state?.run));
    showKey(this.#keys.run, state?.run ? `model: ${describeRun(state.run)}` : "model");
    showKey(this.#keys.compare, compared ? `compared: ${describeRun(compared)}` : "");
  }

  #markDrawn() {
    if (!this.#pending) return;
    this.#container.dataset.points = this.#pending.points;
    this.#container.dataset.step = this.#pending.step;
  }
}
