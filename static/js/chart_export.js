// Each chart as a file: PNG from what is on screen, SVG as vectors. The uPlot charts draw on a canvas, so
// their SVG is rebuilt from the numbers the chart holds (its data, scales and tick labels): lines, points and
// axes, nothing else. The graph panel is already SVG: it is copied with the page's styles written into it,
// since a file on its own cannot reach the stylesheet.
import { plotIn } from "./views/chart.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const PAD = 12; // around the chart, in CSS pixels
const TITLE = 28; // the title's band above the chart
const FONT = "system-ui, sans-serif";

const escape = (text) =>
  String(text).replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]);
const num = (v) => (Math.round(v * 10) / 10).toString();

/** A canvas's picture as a PNG blob. */
function toPng(canvas) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the chart could not be drawn"))), "image/png"),
  );
}

/** A white picture `width` × `height` (CSS pixels, drawn at the screen's density) with `title` on top. */
function sheet(width, height, title) {
  const ratio = devicePixelRatio || 1;
  const canvas = Object.assign(document.createElement("canvas"), {
    width: Math.round((width + 2 * PAD) * ratio),
    height: Math.round((height + 2 * PAD + TITLE) * ratio),
  });
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#1b2230";
  ctx.font = `600 16px ${FONT}`;
  ctx.fillText(title, PAD, PAD + 16);
  return { canvas, ctx };
}

/** The uPlot chart in `container` as a PNG: its canvas with its axes, under `title`. */
export function plotPng(container, title) {
  const plot = plotIn(container);
  const source = plot.ctx.canvas;
  const { canvas, ctx } = sheet(plot.width, plot.height, title);
  ctx.drawImage(source, PAD, PAD + TITLE, plot.width, plot.height);
  return toPng(canvas);
}

/** One axis's ticks and labels (uPlot keeps them as `_splits` and `_values` after a draw). */
function axisSvg(plot, axis, box) {
  const marks = [];
  const horizontal = axis.side % 2 === 0; // 0 top, 2 bottom; 1 right, 3 left
  const scale = axis.scale ?? (horizontal ? "x" : "y");
  (axis._splits ?? []).forEach((value, i) => {
    const label = axis._values?.[i];
    if (value == null || label == null || label === "") return;
    const pos = plot.valToPos(value, scale);
    if (horizontal) {
      const x = box.left + pos;
      marks.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${num(box.top)}" y2="${num(box.top + box.height)}" class="grid"/>`);
      marks.push(`<text x="${num(x)}" y="${num(box.top + box.height + 16)}" text-anchor="middle">${escape(label)}</text>`);
    } else {
      const y = box.top + pos;
      marks.push(`<line x1="${num(box.left)}" x2="${num(box.left + box.width)}" y1="${num(y)}" y2="${num(y)}" class="grid"/>`);
      marks.push(`<text x="${num(box.left - 6)}" y="${num(y + 4)}" text-anchor="end">${escape(label)}</text>`);
    }
  });
  const label = typeof axis.label === "function" ? axis.label(plot) : axis.label;
  if (label) {
    marks.push(
      horizontal
        ? `<text x="${num(box.left + box.width / 2)}" y="${num(box.top + box.height + 36)}" text-anchor="middle">${escape(label)}</text>`
        : `<text transform="translate(${num(box.left - 48)} ${num(box.top + box.height / 2)}) rotate(-90)" text-anchor="middle">${escape(label)}</text>`,
    );
  }
  return marks.join("");
}

/** One series as a polyline (broken at gaps) or as dots, in plot-area coordinates. */
function seriesSvg(plot, index, box) {
  const series = plot.series[index];
  const [xs, ys] = [plot.data[0], plot.data[index]];
  if (!series.show || !ys) return "";
  const stroke = series.stroke?.(plot, index) ?? "#000";
  const at = (i) => [box.left + plot.valToPos(xs[i], "x"), box.top + plot.valToPos(ys[i], series.scale ?? "y")];
  const valid = (i) => xs[i] != null && ys[i] != null && Number.isFinite(ys[i]) && (series.scale !== "y" || ys[i] > 0 || plot.scales.y.distr !== 3);
  if (series.points.show(plot, index)) {
    const fill = series.points.fill?.(plot, index) ?? stroke;
    const ring = series.points.stroke?.(plot, index) ?? "none";
    const r = (series.points.size ?? 5) / 2;
    const dots = [];
    for (let i = 0; i < xs.length; i++) {
      if (!valid(i)) continue;
      const [x, y] = at(i);
      dots.push(`<circle cx="${num(x)}" cy="${num(y)}" r="${r}"/>`);
    }
    return `<g fill="${escape(fill)}" stroke="${escape(ring)}" stroke-width="${series.points.width ?? 0}">${dots.join("")}</g>`;
  }
  const runs = [[]]; // spanGaps: a null is skipped, a missing point on a log scale breaks nothing either
  for (let i = 0; i < xs.length; i++) if (valid(i)) runs.at(-1).push(at(i).map(num).join(","));
  const dash = series.dash ? ` stroke-dasharray="${series.dash.join(" ")}"` : "";
  return runs
    .filter((points) => points.length > 1)
    .map((points) => `<polyline points="${points.join(" ")}" fill="none" stroke="${escape(stroke)}" stroke-width="${series.width ?? 1}"${dash} stroke-linejoin="round"/>`)
    .join("");
}

/** The uPlot chart in `container` as an SVG document: its series and its axes, under `title`. */
export function plotSvg(container, title) {
  const plot = plotIn(container);
  const ratio = uPlotRatio(plot);
  const b = plot.bbox;
  const box = { left: PAD + b.left / ratio, top: PAD + TITLE + b.top / ratio, width: b.width / ratio, height: b.height / ratio };
  const [width, height] = [plot.width + 2 * PAD, plot.height + 2 * PAD + TITLE];
  const axes = plot.axes.map((axis) => (axis.show === false ? "" : axisSvg(plot, axis, box))).join("");
  const series = plot.series.map((_, i) => (i === 0 ? "" : seriesSvg(plot, i, box))).join("");
  return `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">
<style>.grid { stroke: #e8ebf0; stroke-width: 1 } text { fill: #566072 }</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${PAD}" y="${PAD + 16}" font-size="16" font-weight="600" style="fill: #1b2230">${escape(title)}</text>
<g>${axes}</g>
<rect x="${num(box.left)}" y="${num(box.top)}" width="${num(box.width)}" height="${num(box.height)}" fill="none" stroke="#d9dee6"/>
<svg x="${num(box.left)}" y="${num(box.top)}" width="${num(box.width)}" height="${num(box.height)}" viewBox="${num(box.left)} ${num(box.top)} ${num(box.width)} ${num(box.height)}" overflow="hidden">${series}</svg>
</svg>`;
}

/** uPlot's bbox is in device pixels: the ratio it was drawn at. */
function uPlotRatio(plot) {
  return plot.ctx.canvas.width / plot.width || 1;
}

// What the graph's look is made of; everything else in a computed style is the browser's default.
const STYLED = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity", "opacity",
  "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline", "visibility", "display"];

/** A live SVG element as a standalone document, each element carrying the styles the page gave it. */
export function inlineSvg(svg, title) {
  const copy = svg.cloneNode(true);
  const originals = [svg, ...svg.querySelectorAll("*")];
  const copies = [copy, ...copy.querySelectorAll("*")];
  originals.forEach((element, i) => {
    const style = getComputedStyle(element);
    // Through the style object, not a style attribute: the page's Content-Security-Policy refuses inline styles.
    for (const name of STYLED) copies[i].style.setProperty(name, style.getPropertyValue(name));
  });
  const { width, height } = svg.getBoundingClientRect();
  copy.setAttribute("xmlns", SVG_NS);
  copy.setAttribute("width", String(Math.round(width)));
  copy.setAttribute("height", String(Math.round(height)));
  copy.style.background = "#fff";
  if (title) copy.prepend(Object.assign(document.createElementNS(SVG_NS, "title"), { textContent: title }));
  return new XMLSerializer().serializeToString(copy);
}

/** An SVG document drawn onto a canvas as a PNG, under `title`. */
export async function svgPng(text, title) {
  const image = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    image.src = url;
    await image.decode();
  } finally {
    URL.revokeObjectURL(url);
  }
  const { canvas, ctx } = sheet(image.naturalWidth, image.naturalHeight, title);
  ctx.drawImage(image, PAD, PAD + TITLE);
  return toPng(canvas);
}
