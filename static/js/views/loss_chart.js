// Every loss so far against its step, on a log scale, over the whole run's length so it grows left to right;
// when two runs are compared, the second run's losses too (dashed on top: where they agree, both show).
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { decimateMinMax } from "../decimate.js";
import { oncePerFrame } from "./animation_frame.js";
import { modelOf } from "../engines.js";
import { formatCount, formatValue } from "../format.js";
import { axis, createPlot, cssVar, lastStep, logAxis } from "./chart.js";
import { ChartReadout, WeightsAt, range, weightsLine } from "./chart_readout.js";
import { describeRun, showKey } from "./run_label.js";

export class LossChart {
  #container;
  #keys;
  #plot;
  #state = null;
  #drawn = {}; // what the last setData was made from
  #pending = null; // what the next draw will put on screen, reported by #markDrawn
  #lastStep = 1; // the x axis ends at the longer run's last step
  #marker; // a replay's step: a line across the plot with a dot on the loss (hidden when not replaying)
  #readout;
  #weights;
  #requestDraw = oncePerFrame(() => this.#draw());

  /**
   * `panel` holds the key ([data-key-*]) and the plot (.plot), which reports what it drew. `fetchRow(runId,
   * step)` answers one step of a run's history, for the read-out's weights while the run still goes.
   */
  constructor(panel, { fetchRow = () => Promise.reject(new Error("no history")) } = {}) {
    const container = panel.querySelector(".plot");
    this.#container = container;
    this.#readout = new ChartReadout(container, {
      label: "Loss chart",
      read: (x) => this.#read(x),
      positions: () => range(this.#state?.losses.length ?? 0),
    });
    this.#weights = new WeightsAt(fetchRow, () => this.#readout.refresh());
    this.#keys = { run: panel.querySelector("[data-key-run]"), compare: panel.querySelector("[data-key-compare]") };
    const line = (stroke, width, dash) => ({ stroke, width, dash, spanGaps: true, points: { show: false } });
    this.#plot = createPlot(
      container,
      {
        scales: {
          x: { time: false, range: () => [0, this.#lastStep] },
          y: { distr: 3 }, // log10
        },
        axes: [axis(container, "step"), logAxis(container, "loss")],
        series: [
          {},
          { label: "loss", ...line(cssVar("--loss"), 2) },
          { label: "compared", ...line(cssVar("--compare"), 2, [8, 5]) },
        ],
      },
      { onDraw: () => (this.#markDrawn(), this.#readout.refresh()), onResize: this.#requestDraw, onCursor: (plot) => this.#readout.moved(plot) },
    );
    this.#readout.attach(this.#plot);
    this.#marker = document.createElement("div");
    this.#marker.className = "replay-marker";
    this.#marker.hidden = true;
    this.#marker.append(document.createElement("span"));
    this.#plot.over.append(this.#marker); // uPlot's overlay: its pixels are the plotting area's
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#drawn = {};
    this.#lastStep = 1;
    this.#pending = { points: 0, losses: 0, compared: 0 };
    this.#plot.setData([[], [], []]);
    this.#placeMarker();
  }

  #draw() {
    if (!this.#state) return;
    const { losses, compare } = this.#state;
    const compared = compare?.losses ?? [];
    this.#showKeys();
    this.#placeMarker();
    const width = this.#plot.width;
    this.#lastStep = Math.max(lastStep(this.#state), compare ? lastStep(compare) : 1);
    const drawn = { losses: losses.length, compared: compared.length, width, lastStep: this.#lastStep };
    if (Object.keys(drawn).every((key) => drawn[key] === this.#drawn[key])) return;
    // One bucket per pixel, each giving its lowest and highest loss: ~2 points per pixel whatever the length.
    const buckets = Math.max(1, Math.round(width));
    const own = decimateMinMax(losses, buckets);
    if (compare) {
      const other = decimateMinMax(compared, buckets);
      this.#plot.setData(uPlot.join([[own.x, own.y], [other.x, other.y]]));
    } else {
      this.#plot.setData([own.x, own.y, new Array(own.x.length).fill(null)]);
    }
    this.#pending = { points: own.x.length, losses: losses.length, compared: compared.length };
    this.#drawn = drawn;
  }

  /** The read-out at step x: its loss (and the compared run's), and the weights that loss was computed with. */
  #read(x) {
    const state = this.#state;
    const step = Math.max(0, Math.round(x));
    if (!state || step >= state.losses.length) return null; // right of the line drawn so far: nothing to read
    const loss = state.losses[step];
    const compared = state.compare?.losses[step];
    const { names } = modelOf(state.engines, state.run);
    const weights = this.#weights.at(state, step);
    const lossText = `loss ${formatValue(loss)}${compared === undefined ? "" : ` · compared ${formatValue(compared)}`}`;
    return {
      lines: [`step ${formatCount(step)}`, lossText, weightsLine(names, weights)],
      data: { step, loss, compared: compared ?? null, weights: weights ?? null },
    };
  }

  #showKeys() {
    const { run, compare } = this.#state;
    showKey(this.#keys.run, run ? `loss: ${describeRun(run)}` : "loss per step");
    showKey(this.#keys.compare, compare?.run ? `compared: ${describeRun(compare.run)}` : "");
  }

  #markDrawn() {
    if (!this.#pending) return;
    const { points, losses, compared } = this.#pending;
    Object.assign(this.#container.dataset, { points, losses, step: losses - 1, compared });
    this.#placeMarker(); // the scales may have moved under it
  }

  /** Puts the marker at the replayed step and its loss; hides it outside a replay. */
  #placeMarker() {
    const replay = this.#state?.replay;
    const shown = replay != null && Number.isFinite(replay.loss) && replay.loss > 0;
    this.#marker.hidden = !shown;
    this.#container.dataset.replayStep = shown ? replay.step : "";
    if (!shown) return;
    const left = this.#plot.valToPos(replay.step, "x");
    const top = this.#plot.valToPos(replay.loss, "y");
    this.#marker.style.left = `${left}px`;
    this.#marker.style.setProperty("--dot-top", `${top}px`);
  }
}
