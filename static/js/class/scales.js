// Where a step and a loss land on the class chart: steps along x (linear), losses up y on a log scale whose
// ends are whole decades, so the scale (and with it a full redraw) changes only when a curve crosses one.
// A run that blew up is not allowed to stretch the scale: its losses past the top are drawn at the edge.
import { settingOf } from "./store.js";

const DEFAULT_STEPS = 2000; // RunConfig's default, for a run whose settings name none
const CLIMB = 100; // how far above the highest start the scale reaches: a run past it is drawn at the top

/** The steps axis' end and the loss axis' decades, from every run's settings and losses. */
export function domain(runs, cls) {
  let lastStep = Math.max(1, Number(cls?.settings?.steps ?? DEFAULT_STEPS) - 1); // the class's, before any run
  let low = Infinity;
  let high = -Infinity;
  let start = -Infinity; // the highest first loss: a run climbing far past it is blowing up
  for (const run of runs) {
    const steps = Number(settingOf(run, "steps", cls) ?? DEFAULT_STEPS);
    lastStep = Math.max(lastStep, steps - 1, run.losses.length - 1);
    const values = run.losses.values;
    if (values[0] > 0 && values[0] < Infinity) start = Math.max(start, values[0]);
    const blewUp = run.status === "diverged";
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(v > 0) || v === Infinity) continue;
      if (v < low) low = v;
      // A diverged run counts only with its first loss: where it started, not where it blew up to.
      if (v > high && (!blewUp || i === 0)) high = v;
    }
  }
  if (low === Infinity) return { lastStep, lowDecade: 0, highDecade: 1 };
  if (start > 0) high = Math.min(high, start * CLIMB);
  const lowDecade = Math.floor(Math.log10(low));
  const highDecade = Math.max(lowDecade + 1, Math.ceil(Math.log10(Math.max(high, low))));
  return { lastStep, lowDecade, highDecade };
}

/** The plot's box inside a canvas of `width` × `height` CSS pixels, with room for labels of `font` px. */
export function plotBox(width, height, font) {
  const left = Math.round(font * 3.4);
  const bottom = Math.round(font * 2.4);
  const top = Math.round(font * 0.7);
  const right = Math.round(font * 1.2);
  return { left, top, width: Math.max(1, width - left - right), height: Math.max(1, height - top - bottom) };
}

/** Functions from step and loss to CSS pixels (and back, for the pointer), for a box and a domain. */
export function scales(box, { lastStep, lowDecade, highDecade }) {
  const span = highDecade - lowDecade;
  const x = (step) => box.left + (step / lastStep) * box.width;
  const y = (loss) => {
    const decade = loss > 0 ? Math.log10(loss) : lowDecade;
    const clamped = Math.min(highDecade, Math.max(lowDecade, decade));
    return box.top + (1 - (clamped - lowDecade) / span) * box.height;
  };
  const step = (px) => Math.round(((px - box.left) / box.width) * lastStep);
  return { x, y, step };
}

/** Step labels: about one per `spacing` pixels, at round numbers. */
export function stepTicks(lastStep, pixels, spacing) {
  const wanted = Math.max(1, Math.floor(pixels / spacing));
  const raw = lastStep / wanted;
  const power = 10 ** Math.floor(Math.log10(raw));
  const every = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((m) => m >= raw) ?? raw); // whole steps
  const ticks = [];
  for (let s = 0; s <= lastStep; s += every) ticks.push(s);
  return ticks;
}
