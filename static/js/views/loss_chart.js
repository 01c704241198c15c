// Every loss so far against its step, on a log scale, over the whole run's length so it grows left to right.
import { decimateMinMax } from "../decimate.js";
import { formatPowerOfTen } from "../format.js";
import { oncePerFrame } from "./animation_frame.js";
import { axis, createPlot, cssVar } from "./chart.js";

/** A log axis labelled and lined at powers of ten only (the 2…9 lines of each decade bury the curve). */
function lossAxis(container) {
  const decades = (_, splits) => splits.map((v) => (formatPowerOfTen(v) ? v : null));
  const base = axis(container, "loss", { values: (_, splits) => splits.map(formatPowerOfTen) });
  return { ...base, grid: { ...base.grid, filter: decades }, ticks: { ...base.ticks, filter: decades } };
}

export class LossChart {
  #container;
  #plot;
  #state = null;
  #drawn = { losses: 0, width: 0, lastStep: 0 }; // what the last setData was made from
  #pending = null; // what the next draw will put on screen, reported by #markDrawn
  #lastStep = 1; // the x axis ends at the run's last step
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(container) {
    this.#container = container;
    this.#plot = createPlot(
      container,
      {
        scales: {
          x: { time: false, range: () => [0, this.#lastStep] },
          y: { distr: 3 }, // log10
        },
        axes: [axis(container, "step"), lossAxis(container)],
        series: [{}, { label: "loss", stroke: cssVar("--loss"), width: 2, points: { show: false } }],
      },
      { onDraw: () => this.#markDrawn(), onResize: this.#requestDraw },
    );
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#drawn = { losses: 0, width: 0, lastStep: 0 };
    this.#lastStep = 1;
    this.#pending = { points: 0, losses: 0 };
    this.#plot.setData([[], []]);
  }

  #draw() {
    if (!this.#state) return;
    const { losses, run } = this.#state;
    const width = this.#plot.width;
    this.#lastStep = Math.max(1, (run?.config?.steps ?? 0) - 1, losses.length - 1);
    const drawn = { losses: losses.length, width, lastStep: this.#lastStep };
    if (Object.keys(drawn).every((key) => drawn[key] === this.#drawn[key])) return;
    // One bucket per pixel, each giving its lowest and highest loss: ~2 points per pixel whatever the length.
    const { x, y } = decimateMinMax(losses, Math.max(1, Math.round(width)));
    this.#pending = { points: x.length, losses: losses.length };
    this.#plot.setData([x, y]);
    this.#drawn = drawn;
  }

  #markDrawn() {
    if (!this.#pending) return;
    const { points, losses } = this.#pending;
    Object.assign(this.#container.dataset, { points, losses, step: losses - 1 });
  }
}
