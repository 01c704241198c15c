// What the fit and loss charts share: a uPlot that fills its container and follows its size, and a look
// taken from the stylesheet, which owns the palette (a canvas cannot read CSS by itself).
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { formatPowerOfTen, formatTick } from "../format.js";

// Each container's uPlot, for exporting what it shows (chart_export.js) without every view handing it out.
const plots = new WeakMap();

/** The uPlot drawn in `container` by createPlot, or undefined. */
export function plotIn(container) {
  return plots.get(container);
}

// Custom property -> its value, read once: the charts' strokes ask for their colours on every draw, and each
// getComputedStyle call costs a style pass. Only a change of theme changes them (forgetCssVars).
const cssVars = new Map();

/** The value of a CSS custom property set on :root, such as "--loss". */
export function cssVar(name) {
  let value = cssVars.get(name);
  if (value === undefined) {
    value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    if (value) cssVars.set(name, value);
  }
  return value;
}

/** Forget the custom properties' values read so far: the page's theme has changed. */
export function forgetCssVars() {
  cssVars.clear();
}

/** An axis in the page's colours and font size (a projector's larger font reaches the charts too). */
export function axis(container, label, extra = {}) {
  const style = getComputedStyle(container);
  const fontSize = parseFloat(style.fontSize) * 0.875;
  const font = `${Math.round(fontSize)}px ${style.fontFamily}`;
  const line = { stroke: cssVar("--grid"), width: 1 };
  return {
    label,
    stroke: cssVar("--muted"),
    font,
    labelFont: font,
    size: Math.round(fontSize * 4), // room for "10¹⁶" or "−1.5" beside the axis label
    // Room between ticks grows with the font, or a projector's larger labels run into each other; the
    // x axis (the first) needs a label's width, a y axis a line's height.
    space: (_, axisIndex) => Math.round(fontSize * (axisIndex === 0 ? 4.5 : 2.4)),
    grid: line,
    ticks: line,
    values: (_, splits) => splits.map(formatTick),
    ...extra,
  };
}

/**
 * A log axis lined and labelled at powers of ten only (the 2…9 lines of each decade bury the curve); when
 * more decades are on screen than labels fit, only every second (third, ...) decade keeps its line and label.
 */
export function logAxis(container, label) {
  const lineHeight = parseFloat(getComputedStyle(container).fontSize) * 1.5;
  const shown = (self, splits) => {
    const decades = splits.filter((v) => formatPowerOfTen(v)).length;
    // The plot's height from uPlot's own box: reading the element's would force a layout on every tick.
    const every = Math.max(1, Math.ceil(decades / Math.max(1, self.bbox.height / uPlot.pxRatio / lineHeight)));
    return splits.map((v) => (formatPowerOfTen(v) && Math.round(Math.log10(v)) % every === 0 ? v : null));
  };
  const base = axis(container, label, {
    values: (self, splits) => shown(self, splits).map((v) => (v === null ? "" : formatPowerOfTen(v))),
  });
  return { ...base, grid: { ...base.grid, filter: shown }, ticks: { ...base.ticks, filter: shown } };
}

/**
 * A uPlot inside `container`, sized to it and resized with it. `onDraw` runs after every real draw, so
 * what the container reports about its drawing is what is on screen; `onResize` after a size change;
 * `onCursor` (a ChartReadout's `moved`) whenever the cursor moves: given one, the chart shows a cursor line.
 */
export function createPlot(container, options, { onDraw, onResize = () => {}, onCursor = null }) {
  // No dragging to zoom: live data would reset a zoom at once. Only the line where the pointer is.
  const cursor = onCursor
    ? { show: true, x: true, y: false, points: { show: false }, drag: { x: false, y: false, setScale: false } }
    : { show: false };
  const { width, height } = container.getBoundingClientRect();
  const plot = new uPlot(
    {
      ...options,
      width: Math.max(1, Math.floor(width)),
      height: Math.max(1, Math.floor(height)),
      legend: { show: false }, // each panel has its own key in the page, readable from the back row
      cursor,
      hooks: { draw: [onDraw], setSize: [onResize], ...(onCursor ? { setCursor: [onCursor] } : {}) },
    },
    options.series.map(() => []),
    container,
  );
  plots.set(container, plot);
  new ResizeObserver(([entry]) => {
    const { width, height } = entry.contentRect;
    if (width >= 1 && height >= 1) plot.setSize({ width: Math.floor(width), height: Math.floor(height) });
  }).observe(container);
  return plot;
}

/** The last step a run will reach, so its line grows across a fixed axis (the loss's, the gradient's length). */
export function lastStep({ run, losses }) {
  return Math.max(1, (run?.config?.steps ?? 0) - 1, losses.length - 1);
}
