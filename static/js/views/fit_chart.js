// What the model has learned, read the way the run's snapshot says (`view.kind`). "fit": the training data
// (dots), the target (dashed) and the current model (solid) over x. "outputs" (two inputs, two outputs): each
// prediction against its target, as dots, with the diagonal prediction = target that a perfect model would lie
// on. When two runs of the same kind are compared, the second run's model too (dashed, or rings, on top, so
// that where the two agree both colours show); a second run of the other kind is not overlaid.
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { modelOf, polynomialDegreeOf, targetOf } from "../engines.js";
import { formatCount, formatValue } from "../format.js";
import { leastSquaresOf, polynomialAt } from "../least_squares.js";
import { FIT_VIEW, ViewKind } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";
import { axis, createPlot, cssVar } from "./chart.js";
import { ChartReadout, nearestIndex, weightsLine } from "./chart_readout.js";
import { describeRun, showKey } from "./run_label.js";

const DEFAULT_Y_RANGE = [-1.5, 1.5];
const Y_PADDING = 0.35; // of the target's span, each side: room for the cubic to arrive from afar
const OUTPUTS_PADDING = 0.08; // of the span of targets and predictions, each side
const SHRINK_BELOW = 0.7; // outputs: the range narrows once what it must hold spans less than this of it
const RESIDUALS_DRAWN = 40; // at most this many residuals, evenly spread: more is a hatching, not a lesson

/** y of the curve (xs ascending) at x, by straight lines between its points; NaN outside it. */
function interpolate(xs, ys, x) {
  let high = xs.findIndex((value) => value >= x);
  if (high < 0) return NaN;
  if (high === 0) return xs[0] === x ? ys[0] : NaN;
  const low = high - 1;
  return ys[low] + ((ys[high] - ys[low]) * (x - xs[low])) / (xs[high] - xs[low]);
}

/** Text on the chart in `colour`, haloed in the panel's colour so it reads over the lines it lies on. */
function label(ctx, text, x, y, colour) {
  ctx.lineWidth = 4 * (window.devicePixelRatio || 1);
  ctx.lineJoin = "round";
  ctx.strokeStyle = cssVar("--panel");
  ctx.strokeText(text, x, y);
  ctx.fillStyle = colour;
  ctx.fillText(text, x, y);
}

/** εᵢ at up to RESIDUALS_DRAWN data points: [[x, y, f(x)], ...] against the model curve. */
function residualsOf(data, curveX, curve) {
  if (!data?.x.length || !curve?.length) return [];
  const every = Math.max(1, Math.ceil(data.x.length / RESIDUALS_DRAWN));
  const xs = curveX.slice(0, curve.length);
  const residuals = [];
  for (let i = Math.floor(every / 2); i < data.x.length; i += every) {
    const model = interpolate(xs, curve, data.x[i]);
    if (Number.isFinite(model)) residuals.push([data.x[i], data.y[i], model]);
  }
  return residuals;
}

/** How each kind titles and explains the panel; `aria` describes the chart to a screen reader. */
const LOOKS = {
  [ViewKind.FIT]: {
    title: "Fit",
    caption: "",
    aria: "The data, the target and the current model over x",
  },
  [ViewKind.OUTPUTS]: {
    title: "Predictions against targets",
    caption: "Each dot is one output of one sample. A perfect model puts every dot on the diagonal.",
    aria: "Each prediction of the current model against its target, and the diagonal where they are equal",
  },
};

/** The smallest [low, high] holding every finite value of `series`, or null when there is none. */
function extent(...series) {
  let low = Infinity;
  let high = -Infinity;
  for (const ys of series) {
    for (const y of ys) {
      if (y < low) low = y;
      if (y > high) high = y;
    }
  }
  return high >= low ? [low, high] : null;
}

/** A range fixed by the data, so the axes hold still while the model moves into place. */
function paddedRange(padding, ...series) {
  const span = extent(...series);
  if (!span || !(span[1] > span[0])) return DEFAULT_Y_RANGE;
  const pad = (span[1] - span[0]) * padding;
  return [span[0] - pad, span[1] + pad];
}

export class FitChart {
  #container;
  #title;
  #caption;
  #keys;
  #plot;
  #state = null;
  #view = null; // the view drawn now (null: none yet, drawn as a fit)
  #drawn = { data: null, curve: null, compare: null, compareShown: "" };
  #pending = null; // what the next draw will put on screen, reported by #markDrawn
  #yRange = DEFAULT_Y_RANGE;
  #readout;
  #residuals = []; // [[x, y, f(x)], ...] drawn from each point to the model
  #leastSquares = { weights: null, curveX: null, curve: null }; // the dotted curve last drawn, and of what
  #requestDraw = oncePerFrame(() => this.#draw());

  /** `panel` holds the title (h2), caption, key ([data-key-*]) and the plot (.plot), which reports what it drew. */
  constructor(panel) {
    const container = panel.querySelector(".plot");
    this.#container = container;
    this.#readout = new ChartReadout(container, {
      label: "Fit chart",
      read: (x) => this.#read(x),
      positions: () => this.#shownCurve()?.x ?? [],
    });
    this.#title = panel.querySelector("h2");
    this.#caption = panel.querySelector("[data-fit-caption]");
    this.#keys = {
      data: panel.querySelector("[data-key-data]"),
      target: panel.querySelector("[data-key-target]"),
      run: panel.querySelector("[data-key-run]"),
      compare: panel.querySelector("[data-key-compare]"),
      leastSquares: panel.querySelector("[data-key-least-squares]"),
      residuals: panel.querySelector("[data-key-residuals]"),
    };
    const line = (stroke, width, dash) => ({ stroke, width, dash, spanGaps: true, points: { show: false } });
    // paths: null draws no line between the points: a scatter.
    const dots = (points) => ({ paths: () => null, points: { show: true, ...points } });
    const outputs = () => this.#view?.kind === ViewKind.OUTPUTS;
    // Outputs: x and y share one range, so the diagonal runs from corner to corner.
    const xRange = (_, low, high) => (outputs() ? this.#yRange : [low, high]);
    const label = (name) => () => (this.#view ?? FIT_VIEW)[name];
    this.#plot = createPlot(
      container,
      {
        scales: { x: { time: false, range: xRange }, y: { range: () => this.#yRange } },
        axes: [axis(container, "x", { label: label("x_label") }), axis(container, "y", { label: label("y_label") })],
        series: [
          {},
          { label: "data", ...dots({ size: 4, width: 0, fill: cssVar("--fit-data") }) },
          { label: "target", ...line(cssVar("--fit-truth"), 2, [6, 4]) },
          { label: "model", ...line(cssVar("--fit-cubic"), 3) },
          { label: "compared", ...line(cssVar("--compare"), 2.5, [8, 5]) },
          { label: "predictions", ...dots({ size: 7, width: 0, fill: cssVar("--fit-cubic") }) },
          // Rings: a compared prediction on the same spot leaves the first run's dot visible inside it.
          {
            label: "compared predictions",
            ...dots({ size: 9, width: 1.5, stroke: cssVar("--compare"), fill: "transparent" }),
          },
          { label: "least squares", ...line(cssVar("--fit-least-squares"), 2, [2, 5]) },
        ],
      },
      {
        onDraw: (plot) => (this.#drawResiduals(plot), this.#markDrawn(), this.#readout.refresh()),
        onCursor: (plot) => this.#readout.moved(plot),
      },
    );
    this.#readout.attach(this.#plot);
  }

  /** The model's curve on screen, {x, y, step, loss, params} (a replay's, or the latest), or null. */
  #shownCurve() {
    const state = this.#state;
    const replay = state?.replay?.curve ? state.replay : null;
    const y = replay?.curve ?? state?.curve;
    if (!state?.curveX || !y?.length) return null;
    const step = replay ? replay.step : state.step;
    const loss = replay ? replay.loss : state.losses[step];
    return { x: state.curveX.slice(0, y.length), y, step, loss, params: replay ? replay.params : state.params };
  }

  /** The read-out at x: the model (and the target) there, and the step, loss and weights the model is drawn with. */
  #read(x) {
    const state = this.#state;
    const curve = this.#shownCurve();
    const i = nearestIndex(curve?.x, x);
    if (i < 0) return null;
    const view = state.view ?? FIT_VIEW;
    const outputs = view.kind === ViewKind.OUTPUTS;
    const truth = state.truth?.x[i] === curve.x[i] ? state.truth.y[i] : undefined;
    const at = `${view.x_label} = ${formatValue(curve.x[i])}`;
    const model = `${outputs ? "prediction" : "model"} ${formatValue(curve.y[i])}`;
    const target = outputs || truth === undefined ? "" : ` · target ${formatValue(truth)}`;
    return {
      lines: [`${at}: ${model}${target}`, `step ${formatCount(curve.step)} · loss ${formatValue(curve.loss)}`,
        weightsLine(modelOf(state.engines, state.run).names, curve.params)],
      data: { x: curve.x[i], model: curve.y[i], step: curve.step, loss: curve.loss ?? null, weights: curve.params },
    };
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#drawn = { data: null, curve: null, compare: null, compareShown: "" };
    this.#yRange = DEFAULT_Y_RANGE;
    this.#pending = { points: 0, step: -1, replayStep: "", modelPoints: 0, compare: "" };
    this.#look(null);
    this.#residuals = [];
    this.#plot.setData([[], [], [], [], [], [], [], []]);
  }

  #draw() {
    const state = this.#state;
    const view = state?.data ? (state.view ?? FIT_VIEW) : null;
    const viewChanged = view?.kind !== this.#view?.kind;
    this.#look(view);
    this.#showKeys(state);
    const comparable = (state?.compare?.view?.kind ?? view?.kind) === view?.kind;
    const compare = comparable ? (state?.compare?.curve ?? null) : null;
    // What became of a compared run: drawn, or not (another view kind), or none ("").
    const compareShown = state?.compare?.view ? (comparable ? "drawn" : "other-view") : "";
    // A replay draws the curve of the weights at its step, where the engine has a formula for it (store.js).
    const replayed = state?.replay?.curve ?? null;
    const shownCurve = replayed ?? state?.curve ?? null;
    const drawn = this.#drawn;
    const unchanged =
      state?.data === drawn.data &&
      shownCurve === drawn.curve &&
      compare === drawn.compare &&
      compareShown === drawn.compareShown;
    if (!state?.data || (unchanged && !viewChanged)) return;
    const outputs = view.kind === ViewKind.OUTPUTS;
    const curve = shownCurve ?? []; // empty before the server has drawn one: nothing yet
    const compareX = state.compare?.curveX?.slice(0, compare?.length ?? 0) ?? [];
    this.#fitRange(state, outputs, compare);
    const none = [[], []];
    const model = [state.curveX.slice(0, curve.length), curve];
    const solved = outputs ? null : this.#leastSquaresCurve(state);
    this.#residuals = outputs ? [] : residualsOf(state.data, state.curveX, curve);
    showKey(this.#keys.leastSquares, solved ? "least squares: where descent is heading" : "");
    showKey(this.#keys.residuals, this.#residuals.length ? "residuals εᵢ = f(xᵢ) − yᵢ" : "");
    const compared = [compareX, compare ?? []];
    // The series have different x; uPlot.join lines them up on one x, leaving holes it draws across.
    // Outputs leave out the data: it lies on the diagonal, under the truth's line.
    const tables = [
      outputs ? none : [state.data.x, state.data.y],
      [state.truth.x, state.truth.y],
      outputs ? none : model,
      outputs ? none : compared,
      outputs ? model : none,
      outputs ? compared : none,
      solved ? [state.curveX, solved] : none,
    ];
    const data = outputs ? 0 : state.data.x.length;
    this.#pending = {
      points: data + state.truth.x.length + curve.length,
      step: replayed ? state.replay.step : state.step,
      replayStep: replayed ? state.replay.step : "",
      modelPoints: outputs ? curve.length : 0,
      compare: compareShown,
      residuals: this.#residuals.length,
      leastSquares: solved ? solved.length : 0,
    };
    this.#plot.setData(uPlot.join(tables));
    this.#drawn = { data: state.data, curve: shownCurve, compare, compareShown };
  }

  /**
   * Fit: y fixed by the data and target when they arrive. Outputs: the targets' range, widened to hold every
   * prediction (untrained ones lie far off the diagonal), and narrowed again only once the predictions need
   * much less room, so the axes do not follow every frame.
   */
  #fitRange(state, outputs, compare) {
    if (!outputs) {
      if (state.data !== this.#drawn.data) this.#yRange = paddedRange(Y_PADDING, state.data.y, state.truth.y);
      return;
    }
    const [low, high] = paddedRange(OUTPUTS_PADDING, state.truth.y, state.curve ?? [], compare ?? []);
    const [shownLow, shownHigh] = this.#yRange;
    const newData = state.data !== this.#drawn.data;
    const outside = low < shownLow || high > shownHigh;
    if (newData || outside || high - low < (shownHigh - shownLow) * SHRINK_BELOW) this.#yRange = [low, high];
  }

  /** Titles, captions and labels the panel for the kind of view; only when the kind changes. */
  #look(view) {
    if (view?.kind === this.#view?.kind && view?.x_label === this.#view?.x_label) return;
    this.#view = view;
    const kind = view?.kind ?? ViewKind.FIT;
    const look = LOOKS[kind] ?? LOOKS[ViewKind.FIT];
    this.#title.textContent = look.title;
    this.#caption.textContent = look.caption;
    this.#caption.hidden = !look.caption;
    this.#container.setAttribute("aria-label", look.aria);
    Object.assign(this.#container.dataset, { view: kind, xLabel: view?.x_label ?? "x", yLabel: view?.y_label ?? "y" });
    const outputs = kind === ViewKind.OUTPUTS;
    this.#keys.run.classList.toggle("dots", outputs);
    this.#keys.compare.classList.toggle("dots", outputs);
  }

  #showKeys(state) {
    const outputs = this.#view?.kind === ViewKind.OUTPUTS;
    const compared = state?.compare?.run;
    const comparable = (state?.compare?.view?.kind ?? this.#view?.kind) === this.#view?.kind;
    showKey(this.#keys.data, outputs ? "" : "data");
    const target = outputs ? "perfect fit (prediction = target)" : targetOf(state?.run, state?.engines ?? []);
    showKey(this.#keys.target, target);
    const model = outputs ? "predictions" : "model";
    const at = state?.replay?.curve ? ` at step ${formatCount(state.replay.step)}` : "";
    showKey(this.#keys.run, state?.run ? `${model}${at}: ${describeRun(state.run)}` : model);
    // A compared run of the other kind is not drawn here: the compare panel says so.
    showKey(this.#keys.compare, compared && comparable ? `compared: ${describeRun(compared)}` : "");
  }

  #markDrawn() {
    if (!this.#pending) return;
    const { points, step, replayStep, modelPoints, compare, residuals = 0, leastSquares = 0 } = this.#pending;
    Object.assign(this.#container.dataset, { points, step, replayStep, modelPoints, compare, residuals, leastSquares });
  }

  /**
   * The least-squares polynomial of the run's data on the model's grid, for a model that is a polynomial in its
   * weights (the cubic, a linear model on its features); null for any other. Drawn anew only for new weights.
   */
  #leastSquaresCurve(state) {
    const degree = polynomialDegreeOf(state.engines, state.run);
    if (degree === null || !state.curveX?.length) return null;
    const weights = leastSquaresOf(state.data, degree);
    const drawn = this.#leastSquares;
    if (drawn.weights !== weights || drawn.curveX !== state.curveX) {
      this.#leastSquares = { weights, curveX: state.curveX, curve: weights && polynomialAt(weights, state.curveX) };
    }
    return this.#leastSquares.curve;
  }

  /**
   * Each residual as a thin upright line from its data point to the model, and the labels of what has no key on
   * screen: "εᵢ" by the longest residual, "least squares" by its dotted line's right end.
   */
  #drawResiduals(plot) {
    const { ctx } = plot;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.bbox.left, plot.bbox.top, plot.bbox.width, plot.bbox.height);
    ctx.clip();
    ctx.setLineDash([]); // not the dotted least-squares line's, drawn just before
    ctx.font = `${parseFloat(getComputedStyle(this.#container).fontSize) * 0.95 * dpr}px sans-serif`;
    ctx.textBaseline = "bottom";
    let longest = null;
    if (this.#residuals.length) {
      ctx.strokeStyle = cssVar("--fit-residual");
      ctx.lineWidth = Math.max(1, 1.5 * dpr);
      ctx.beginPath();
      for (const [x, y, model] of this.#residuals) {
        const left = plot.valToPos(x, "x", true);
        const [top, bottom] = [plot.valToPos(y, "y", true), plot.valToPos(model, "y", true)];
        ctx.moveTo(left, top);
        ctx.lineTo(left, bottom);
        const length = Math.abs(bottom - top);
        if (!longest || length > longest.length) longest = { left, top: Math.min(top, bottom), length };
      }
      ctx.stroke();
      if (longest.length > 12 * dpr) {
        label(ctx, "εᵢ", longest.left + 4 * dpr, longest.top + longest.length / 2 + 8 * dpr, cssVar("--fit-residual"));
      }
    }
    const solved = plot.data[7];
    const last = solved ? solved.findLastIndex((y) => y != null && Number.isFinite(y)) : -1;
    if (last > 0) {
      const x = plot.valToPos(plot.data[0][last], "x", true);
      const y = plot.valToPos(solved[last], "y", true);
      ctx.textAlign = "right";
      label(ctx, "least squares", x - 4 * dpr, y - 6 * dpr, cssVar("--fit-least-squares"));
    }
    ctx.restore();
  }
}
