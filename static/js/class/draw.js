// What the class chart draws on a canvas, as plain functions of a 2D context and the chart's scales: the grid
// and its labels, and one curve thinned to the pixels it covers.
import { formatCount, formatPowerOfTen } from "../format.js";
import { cssVar } from "../views/chart.js";
import { stepTicks } from "./scales.js";

/** A line and a label at every decade of the loss (every second, ... when they would crowd), steps at round
 * numbers; labels in the chart's own type size (`font` px), which presenter mode makes large. */
export function drawAxes(context, { box, scale, range, font, family }) {
  context.font = `${Math.round(font)}px ${family}`;
  context.strokeStyle = cssVar("--grid");
  context.fillStyle = cssVar("--muted");
  context.lineWidth = 1;
  context.textAlign = "right";
  context.textBaseline = "middle";
  const every = Math.max(1, Math.ceil((range.highDecade - range.lowDecade) / (box.height / (font * 1.6))));
  for (let d = range.lowDecade; d <= range.highDecade; d++) {
    if ((d - range.lowDecade) % every) continue;
    const y = Math.round(scale.y(10 ** d)) + 0.5;
    context.beginPath();
    context.moveTo(box.left, y);
    context.lineTo(box.left + box.width, y);
    context.stroke();
    context.fillText(formatPowerOfTen(10 ** d), box.left - font * 0.3, y);
  }
  context.textAlign = "center";
  context.textBaseline = "top";
  for (const step of stepTicks(range.lastStep, box.width, font * 5)) {
    context.fillText(formatCount(step), scale.x(step), box.top + box.height + font * 0.3);
  }
}

/**
 * Strokes `values` (losses by step) from index `from` on, in the context's current colour and width: one
 * column per CSS pixel, a column whose losses lie within a pixel as one point, else its lowest and highest (no
 * spike is lost). A loss that is not a number (a step that blew up) breaks the line.
 */
export function strokeCurve(context, values, from, scale) {
  context.beginPath();
  let open = false;
  let column = NaN;
  let low = 0;
  let high = 0;
  const flush = () => {
    if (Number.isNaN(column)) return;
    const a = scale.y(low);
    const b = scale.y(high);
    const single = Math.abs(a - b) < 1;
    if (open) context.lineTo(column, single ? (a + b) / 2 : a);
    else context.moveTo(column, single ? (a + b) / 2 : a);
    if (!single) context.lineTo(column, b);
    open = true;
  };
  for (let i = from; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) {
      flush();
      column = NaN;
      open = false;
      continue;
    }
    const x = Math.round(scale.x(i));
    if (x !== column) {
      flush();
      column = x;
      low = high = v;
    } else if (v < low) low = v;
    else if (v > high) high = v;
  }
  flush();
  context.stroke();
}
