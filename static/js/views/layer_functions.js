// A network's layers as the functions they are (the lecture's "Some types of layers"): each Linear(n₁, n₂) as
// o = W i + b with W's shape and the current norms of W and b, each activation drawn as its output against its
// input, with its formula beside it. The points drawn are on the element (data-points), as the page computed them.
import { formatValue } from "../format.js";
import { ACTIVATIONS } from "../layers.js";

const SPAN = 4; // inputs drawn from −SPAN to SPAN
const SAMPLES = 81;
const SIZE = { width: 180, height: 110, pad: 14 };

/** Each activation's formula, and the function drawn (softmax: the first of two outputs, the other input 0). */
export const FUNCTIONS = Object.freeze({
  sigmoid: { formula: "σ(i) = 1 / (1 + e⁻ⁱ)", f: (i) => 1 / (1 + Math.exp(-i)) },
  relu: { formula: "ReLU(i) = max(0, i)", f: (i) => Math.max(0, i) },
  tanh: { formula: "tanh(i) = (eⁱ − e⁻ⁱ) / (eⁱ + e⁻ⁱ)", f: (i) => Math.tanh(i) },
  softmax: {
    formula: "oⱼ = e^iⱼ / Σₖ e^iₖ   (drawn: o₁ of [i, 0])",
    f: (i) => Math.exp(i) / (Math.exp(i) + Math.exp(0)),
  },
});

/** [[i, f(i)], ...] on the drawn span. */
export function samples(name) {
  const { f } = FUNCTIONS[name];
  return Array.from({ length: SAMPLES }, (_, k) => {
    const i = -SPAN + (2 * SPAN * k) / (SAMPLES - 1);
    return [i, f(i)];
  });
}

function svg(tag, attributes = {}) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/** The activation's curve, with its axes through 0, as an SVG image labelled by its formula. */
function plot(name) {
  const points = samples(name);
  const ys = points.map(([, y]) => y);
  const [low, high] = [Math.min(0, ...ys), Math.max(1, ...ys)];
  const { width, height, pad } = SIZE;
  const x = (i) => pad + ((i + SPAN) / (2 * SPAN)) * (width - 2 * pad);
  const y = (v) => height - pad - ((v - low) / (high - low)) * (height - 2 * pad);
  const figure = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "layer-plot",
    role: "img",
    "aria-label": `${ACTIVATIONS[name]}: ${FUNCTIONS[name].formula}, drawn for inputs from −${SPAN} to ${SPAN}`,
    "data-activation": name,
    "data-points": JSON.stringify(points),
  });
  figure.append(
    svg("line", { x1: pad, x2: width - pad, y1: y(0), y2: y(0), class: "layer-axis" }),
    svg("line", { x1: x(0), x2: x(0), y1: pad / 2, y2: height - pad / 2, class: "layer-axis" }),
    svg("polyline", { points: points.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" "), class: "layer-curve" }),
  );
  return figure;
}

function cell(tag, text, className) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = text;
  return element;
}

/**
 * The modules of a network in order ({index, kind: "linear", from, to} or {index, kind: name}), from its hidden
 * `layers` between `inputs` and `outputs`, numbered as torch.nn.Sequential numbers them.
 */
export function modulesOf(layers, inputs = 1, outputs = 1) {
  const modules = [];
  let width = inputs;
  [...layers, outputs].forEach((layer, index) => {
    if (typeof layer === "number") {
      modules.push({ index, kind: "linear", from: width, to: layer });
      width = layer;
    } else modules.push({ index, kind: layer });
  });
  return modules;
}

/** A diverging colour for v in [−1, 1]: blue below 0, white at 0, red above. */
function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t < 0 ? [255 + t * 208, 255 + t * 141, 255 + t * 76] : [255 - t * 55, 255 - t * 202, 255 - t * 196];
  return `rgb(${Math.round(r)} ${Math.round(g)} ${Math.round(b)})`;
}

/**
 * A parameter's values as a heat map, a row per output (W: n₂×n₁; b: a column), each cell coloured by its value
 * against the largest |value|; null when the graph carried only part of it (too large to send whole).
 */
export function heatMap(name, summary) {
  if (!summary?.shape) return null;
  const [rows, columns = 1] = summary.shape.length === 1 ? [summary.shape[0], 1] : summary.shape;
  if (!(rows * columns > 0) || summary.values?.length !== rows * columns) return null;
  const cell = Math.max(3, Math.min(18, Math.floor(150 / Math.max(rows, columns))));
  const largest = Math.max(...summary.values.map((v) => Math.abs(v ?? 0)), 1e-12);
  const figure = svg("svg", {
    viewBox: `0 0 ${columns * cell} ${rows * cell}`,
    width: columns * cell,
    height: rows * cell,
    class: "layer-heat",
    role: "img",
    "aria-label": `${name}: ${rows}×${columns} values, from ${formatValue(Math.min(...summary.values))} to ${formatValue(Math.max(...summary.values))}`,
    "data-values": JSON.stringify(summary.values),
  });
  summary.values.forEach((value, k) => {
    const rect = svg("rect", { x: (k % columns) * cell, y: Math.floor(k / columns) * cell, width: cell, height: cell });
    rect.setAttribute("fill", diverging((value ?? 0) / largest));
    rect.append(svg("title"));
    rect.firstChild.textContent = `${name}[${Math.floor(k / columns)}, ${k % columns}] = ${formatValue(value)}`;
    figure.append(rect);
  });
  return figure;
}

/**
 * One card per module: a Linear's equation, shape and norms (from `params`, name → norm) with W and b as heat maps
 * (from `tensors`, the graph's parameter values by name, where it carried them whole); an activation's plot.
 */
export function layerCards(modules, params, tensors = {}) {
  return modules.map((module) => {
    const card = cell("figure", "", "layer-card");
    card.dataset.module = module.index;
    if (module.kind === "linear") {
      card.append(cell("figcaption", `${module.index}: Linear(${module.from}, ${module.to})`));
      card.append(cell("p", "o = W i + b", "layer-formula math"));
      const norms = ["weight", "bias"].map((part) => params?.[`${module.index}.${part}`]);
      Object.assign(card.dataset, { weightNorm: norms[0], biasNorm: norms[1] });
      const shape = `W: ${module.to}×${module.from}, ‖W‖ = ${formatValue(norms[0])}; b: ${module.to}, ‖b‖ = ${formatValue(norms[1])}`;
      card.append(cell("p", shape, "layer-shape"));
      const maps = ["weight", "bias"].map((part) => heatMap(`${module.index}.${part}`, tensors[`${module.index}.${part}`]));
      if (maps.every(Boolean)) {
        const row = cell("div", "", "layer-heats");
        row.append(...maps);
        card.append(row);
      } else if (Object.keys(tensors).length) {
        card.append(cell("p", "too large to draw whole here: its norms say how it grows", "layer-shape"));
      }
      return card;
    }
    card.append(cell("figcaption", `${module.index}: ${ACTIVATIONS[module.kind] ?? module.kind}`));
    if (FUNCTIONS[module.kind]) card.append(plot(module.kind), cell("p", FUNCTIONS[module.kind].formula, "layer-formula math"));
    return card;
  });
}
