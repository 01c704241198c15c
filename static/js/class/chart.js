// The class chart: every run's loss curve on one canvas, coloured by the setting that varies, redrawn at most
// once per animation frame. A new epoch (a snapshot, a run gone, another colouring chosen), new colours (a run
// whose learning rate widens the scale), a new decade on the loss axis or a resize redraws every curve, each
// thinned to two points per pixel column; otherwise only the losses new since the last draw are drawn on, so a
// class of hundreds of runs costs a few milliseconds per message. The highlighted runs (the one pointed at, the
// one singled out, this browser's own) and the marks of diverged runs sit on a second canvas above, redrawn
// whole each time: they are few.
import { cssVar } from "../views/chart.js";
import { oncePerFrame } from "../views/animation_frame.js";
import { formatValue } from "../format.js";
import { colourField, colouring, valueText } from "./colours.js";
import { drawAxes, strokeCurve } from "./draw.js";
import { domain, plotBox, scales } from "./scales.js";
import { latestLoss, settingOf } from "./store.js";

const HIT_PX = 12; // how near the pointer must be to a curve to take it
// A curve's width. A canvas without a GPU strokes a one-pixel line many times faster than a wider one (300
// runs × 2000 steps: ~0.2 s against ~3 s), so a large class is drawn in hairlines; a small one in presenter
// mode twice as thick. The runs singled out are drawn thick on the canvas above either way.
const LINE = 1;
const THICK_UP_TO = 60; // runs

export class ClassChart {
  #container;
  #base;
  #over;
  #tip;
  #open;
  #state = null;
  #drawn = new Map(); // run id -> how many of its losses the base canvas shows
  #key = ""; // what the base canvas was drawn for: a change redraws it whole
  #geometry = null; // {box, scale, font, colourOf}
  #hovered = null;
  #wholeDraws = 0; // how often every curve was drawn again (reported: a page's own account of its cost)
  #request = oncePerFrame(() => this.#draw());

  /** `open(runId)` opens a run (a click on its curve). */
  constructor(container, { open }) {
    this.#container = container;
    this.#base = container.querySelector("[data-chart-base]");
    this.#over = container.querySelector("[data-chart-over]");
    this.#tip = container.querySelector("[data-chart-tip]");
    this.#open = open;
    new ResizeObserver(() => this.#request()).observe(container); // a new size is a new key: drawn whole
    this.#over.addEventListener("pointermove", (event) => this.#point(event));
    this.#over.addEventListener("pointerleave", () => this.#point(null));
    this.#over.addEventListener("click", (event) => {
      const run = this.#hit(event);
      if (run) this.#open(run.id);
    });
  }

  update(state) {
    this.#state = state;
    this.#request();
  }

  reset() {
    this.invalidate();
  }

  /** Redraw every curve on the next frame (the theme, the type size or the window changed). */
  invalidate() {
    this.#key = "";
    this.#request();
  }

  /** The colouring in use, for the legend and the table (null before the first snapshot). */
  colouring(state) {
    const runs = [...state.runs.values()];
    return colouring(runs, colourField(state.varying, state.colourBy, state.cls), state.cls);
  }

  #draw() {
    const state = this.#state;
    if (!state) return;
    const runs = [...state.runs.values()];
    const ratio = devicePixelRatio || 1;
    const width = Math.floor(this.#container.clientWidth);
    const height = Math.floor(this.#container.clientHeight);
    const font = parseFloat(getComputedStyle(this.#container).fontSize);
    const presenting = document.documentElement.classList.contains("presenting");
    const range = domain(runs, state.cls);
    const colouring = this.colouring(state);
    // New colours (a run added past the learning rates so far) redraw every curve; a run added within them does not.
    const key = JSON.stringify([state.epoch, width, height, ratio, font, presenting, range, colouring.legend]);
    if (key !== this.#key) {
      this.#key = key;
      for (const canvas of [this.#base, this.#over]) {
        canvas.width = Math.max(1, width * ratio);
        canvas.height = Math.max(1, height * ratio);
      }
      const box = plotBox(width, height, font);
      this.#geometry = { box, scale: scales(box, range), font, colourOf: colouring.colourOf, ratio,
        line: LINE * (presenting && runs.length <= THICK_UP_TO ? 2 : 1) };
      this.#drawAll(runs, range);
      this.#wholeDraws++;
    } else {
      this.#drawNew(runs);
    }
    this.#drawOver(state);
    const ended = runs.filter((run) => run.status === "diverged").length;
    const curves = [...this.#drawn.values()].filter((length) => length > 0).length;
    this.#report({ curves, diverged: ended, runs: runs.length, font: Math.round(font), own: Boolean(state.own) });
  }

  #context(canvas) {
    const context = canvas.getContext("2d");
    const { ratio } = this.#geometry;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return context;
  }

  #drawAll(runs, range) {
    const context = this.#context(this.#base);
    const { box, scale, font } = this.#geometry;
    context.clearRect(0, 0, this.#base.width, this.#base.height);
    drawAxes(context, { box, scale, range, font, family: getComputedStyle(this.#container).fontFamily });
    this.#drawn.clear();
    context.save();
    context.beginPath();
    context.rect(box.left, box.top, box.width, box.height);
    context.clip();
    for (const run of runs) {
      this.#curve(context, run, 0);
      this.#drawn.set(run.id, run.losses.length);
    }
    context.restore();
  }

  #drawNew(runs) {
    const context = this.#context(this.#base);
    const { box } = this.#geometry;
    context.save();
    context.beginPath();
    context.rect(box.left, box.top, box.width, box.height);
    context.clip();
    for (const run of runs) {
      const drawn = this.#drawn.get(run.id) ?? 0;
      if (run.losses.length <= drawn) continue;
      this.#curve(context, run, Math.max(0, drawn - 1));
      this.#drawn.set(run.id, run.losses.length);
    }
    context.restore();
  }

  /** Strokes `run`'s curve from step `from` on, in its colour and the class's line unless told otherwise. */
  #curve(context, run, from, { colour = null, width = null } = {}) {
    const { scale, colourOf, line } = this.#geometry;
    if (run.losses.length - from < 1) return;
    context.strokeStyle = colour ?? colourOf(run);
    context.lineWidth = width ?? line;
    strokeCurve(context, run.losses.values, from, scale);
  }

  #drawOver(state) {
    const context = this.#context(this.#over);
    const { scale, font, line } = this.#geometry;
    context.clearRect(0, 0, this.#over.width, this.#over.height);
    const ink = cssVar("--ink");
    // Diverged runs: a cross where each last had a loss to draw.
    context.lineWidth = line * 1.6;
    context.strokeStyle = cssVar("--class-diverged");
    const size = font * 0.35;
    for (const run of state.runs.values()) {
      if (run.status !== "diverged") continue;
      const last = latestLoss(run);
      if (!last) continue;
      const x = scale.x(last.step);
      const y = scale.y(last.loss);
      context.beginPath();
      context.moveTo(x - size, y - size);
      context.lineTo(x + size, y + size);
      context.moveTo(x + size, y - size);
      context.lineTo(x - size, y + size);
      context.stroke();
    }
    const marked = [state.own, state.selected, this.#hovered].filter(Boolean);
    for (const id of new Set(marked)) {
      const run = state.runs.get(id);
      if (!run) continue;
      this.#curve(context, run, 0, { colour: ink, width: line * 4 }); // a halo, so the colour reads on any curve
      this.#curve(context, run, 0, { width: line * 2.2 });
    }
    this.#container.dataset.highlighted = [...new Set(marked)].join(" ");
  }

  /** The run whose curve passes nearest the pointer, within HIT_PX, or null. */
  #hit(event) {
    if (!this.#geometry || !this.#state) return null;
    const rect = this.#over.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const py = event.clientY - rect.top;
    const { scale } = this.#geometry;
    const step = scale.step(px);
    let best = null;
    let bestDistance = HIT_PX;
    for (const run of this.#state.runs.values()) {
      const v = run.losses.at(Math.min(step, run.losses.length - 1));
      if (v === undefined || Number.isNaN(v)) continue;
      if (step > run.losses.length - 1 && scale.x(run.losses.length - 1) < px - HIT_PX) continue;
      const distance = Math.abs(scale.y(v) - py);
      if (distance < bestDistance) {
        best = run;
        bestDistance = distance;
      }
    }
    return best;
  }

  #point(event) {
    const run = event ? this.#hit(event) : null;
    this.#over.style.cursor = run ? "pointer" : "";
    if ((run?.id ?? null) !== this.#hovered) {
      this.#hovered = run?.id ?? null;
      this.#request();
    }
    this.#tip.hidden = !run;
    if (!run) return;
    const state = this.#state;
    const field = colourField(state.varying, state.colourBy, state.cls);
    const last = latestLoss(run);
    const setting = field ? ` · ${field} ${valueText(settingOf(run, field, state.cls))}` : "";
    this.#tip.textContent = `${run.name ?? run.student ?? run.id}${setting} · loss ${last ? formatValue(last.loss) : "—"}`;
    const rect = this.#container.getBoundingClientRect();
    const left = event.clientX - rect.left;
    this.#tip.style.left = `${Math.min(left + 12, rect.width - this.#tip.offsetWidth - 4)}px`;
    this.#tip.style.top = `${Math.max(0, event.clientY - rect.top - this.#tip.offsetHeight - 10)}px`;
  }

  /** What is on the canvas, for tests and for anyone reading the page's markup. */
  #report({ curves, diverged, runs, font, own }) {
    const data = this.#container.dataset;
    data.curves = curves;
    data.diverged = diverged;
    data.runs = runs;
    data.fontPx = font;
    data.wholeDraws = this.#wholeDraws;
    const label = `The loss of ${runs} ${runs === 1 ? "run" : "runs"} of the class, step by step`;
    const text = `${label}${diverged ? `; ${diverged} diverged` : ""}${own ? "; yours is drawn thick" : ""}`;
    if (this.#container.getAttribute("aria-label") !== text) this.#container.setAttribute("aria-label", text);
  }
}
