// What the fit and loss charts share: a uPlot that fills its container and follows its size, and a look
// taken from the stylesheet, which owns the palette (a canvas cannot read CSS by itself).
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { formatTick } from "../format.js";

/** The value of a CSS custom property set on :root, such as "--loss". */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
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
    grid: line,
    ticks: line,
    values: (_, splits) => splits.map(formatTick),
    ...extra,
  };
}

/**
 * A uPlot inside `container`, sized to it and resized with it. `onDraw` runs after every real draw, so
 * what the container reports about its drawing is what is on screen; `onResize` after a size change.
 */
export function createPlot(container, options, { onDraw, onResize = () => {} }) {
  const { width, height } = container.getBoundingClientRect();
  const plot = new uPlot(
    {
      ...options,
      width: Math.max(1, Math.floor(width)),
      height: Math.max(1, Math.floor(height)),
      legend: { show: false }, // each panel has its own key in the page, readable from the back row
      cursor: { show: false }, // live data would reset any zoom at once
      hooks: { draw: [onDraw], setSize: [onResize] },
    },
    options.series.map(() => []),
    container,
  );
  new ResizeObserver(([entry]) => {
    const { width, height } = entry.contentRect;
    if (width >= 1 && height >= 1) plot.setSize({ width: Math.floor(width), height: Math.floor(height) });
  }).observe(container);
  return plot;
}
