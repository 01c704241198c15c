// The lecture's equations with the shown step's numbers in them: the features X (a few rows, with each point's
// prediction and residual εᵢ), the loss L = Σ εᵢ² (or (1/n) Σ εᵢ²), each weight's gradient 2 Σ εᵢ xᵢʲ (2/n
// under the mean) and the update w ← w − η ∂L/∂w. Drawn for a model that is a polynomial in its weights (the
// cubic, a linear model on its features) stepped by plain gradient descent; for any other, the panel says why not.
import { isNetwork, layersOf, polynomialDegreeOf } from "../engines.js";
import { formatCount, formatValue } from "../format.js";
import { LECTURE_NET, OPTIMIZER_ENGINE } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";
import { layerCards, modulesOf } from "./layer_functions.js";

const POWER = ["1", "xᵢ", "xᵢ²", "xᵢ³"];
const COLUMN = ["1", "x", "x²", "x³"];
const ROWS_SHOWN = 3; // the first, middle and last point: enough to see what X is

/** The weights at the shown step: `before` (the loss and gradient's) and `after` its update, by name. */
function stepWeights(state, names, lr) {
  const replay = state.replay;
  if (replay) {
    // A history row holds the weights before its step; the update is the lecture's, from them.
    const after = Object.fromEntries(names.map((n) => [n, replay.params[n] - lr * replay.grads[n]]));
    return { step: replay.step, loss: replay.loss, grads: replay.grads, before: replay.params, after };
  }
  // A frame holds the weights after its step's update: the ones its loss was computed with are one update back.
  const before = Object.fromEntries(names.map((n) => [n, state.params[n] + lr * state.grads[n]]));
  return { step: state.step, loss: state.losses[state.step], grads: state.grads, before, after: state.params };
}

/** Why the panel has no equations for this run (empty: it has them). */
function unsupported(state, degree) {
  const config = state.run?.config;
  if (!config) return "Start a run: its loss, gradient and update appear here with each step's numbers.";
  if (degree === null) {
    return `${config.engine} is not a polynomial in its weights: the equations here are the lecture's, for the cubic and the linear models.`;
  }
  if (config.engine === OPTIMIZER_ENGINE && config.optimizer !== "sgd") {
    return `${config.optimizer} changes the update rule: its step is not w − η ∂L/∂w (pick sgd to see the lecture's).`;
  }
  return "";
}

function cell(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

export class EquationsPanel {
  #container;
  #body;
  #note;
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(container) {
    this.#container = container;
    this.#body = container.querySelector("[data-equations-body]");
    this.#note = container.querySelector("[data-equations-note]");
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#draw();
  }

  #draw() {
    const state = this.#state;
    if (state?.run && isNetwork(state.run)) return this.#drawLayers(state);
    const degree = state ? polynomialDegreeOf(state.engines, state.run) : null;
    const why = state ? unsupported(state, degree) : unsupported({}, null);
    const ready = !why && state.params && state.grads && state.step >= 0;
    this.#note.textContent = why || (ready ? "" : "The first step's numbers arrive with its frame.");
    this.#note.hidden = Boolean(ready);
    this.#body.hidden = !ready;
    this.#container.dataset.step = ready ? String(state.replay?.step ?? state.step) : "";
    if (!ready) return;
    const names = state.run.param_names;
    const lr = state.run.config.learning_rate;
    const mean = state.run.config.reduction === "mean";
    const shown = stepWeights(state, names, lr);
    this.#body.replaceChildren(
      this.#heading(shown.step),
      this.#loss(shown.loss, mean),
      this.#features(state, names, shown.before),
      this.#gradient(names, shown, lr, mean),
    );
  }

  /** A network's equations are its layers: each Linear's o = W i + b with its norms, each activation drawn. */
  #drawLayers(state) {
    const lecture = state.run.config.engine === LECTURE_NET.name;
    const modules = lecture
      ? modulesOf(LECTURE_NET.layers, LECTURE_NET.inputs, LECTURE_NET.outputs)
      : modulesOf(layersOf(state.run) ?? []);
    this.#note.hidden = true;
    this.#body.hidden = false;
    this.#container.dataset.step = String(state.step);
    const heading = this.#heading(state.step, "the network's layers as functions, one after the other");
    const cards = document.createElement("div");
    cards.className = "layer-cards";
    // The parameters' own values, where the last captured graph carried them (its leaves, by label).
    const tensors = {};
    for (const node of state.graph?.nodes ?? []) {
      const value = state.graphValues?.forward?.[node.id];
      if (node.kind === "leaf" && value) tensors[node.label] = value;
    }
    cards.append(...layerCards(modules, state.params, tensors));
    this.#body.replaceChildren(heading, cards);
  }

  #heading(step, what = "the weights w before its update, its loss, its gradient") {
    return cell("p", `At step ${formatCount(Math.max(0, step))}: ${what}.`, {
      class: "equations-step",
    });
  }

  /** X a row per point (a few of them), with yᵢ, the prediction f(xᵢ) = xᵢᵀw and the residual εᵢ. */
  #features(state, names, weights) {
    const { x, y } = state.data;
    const table = document.createElement("table");
    table.className = "equations-features";
    const columns = names.map((_, power) => COLUMN[power]);
    table.append(cell("caption", `X: a row [${columns.join(", ")}] per point (${ROWS_SHOWN} of ${formatCount(x.length)} drawn)`));
    const head = table.createTHead().insertRow();
    for (const text of ["i", ...columns, "yᵢ", "f(xᵢ) = xᵢᵀw", "εᵢ = f(xᵢ) − yᵢ"]) head.append(cell("th", text, { scope: "col" }));
    const body = table.createTBody();
    const rows = [...new Set([0, Math.floor((x.length - 1) / 2), x.length - 1])].slice(0, ROWS_SHOWN);
    for (const i of rows) {
      const powers = names.map((_, power) => x[i] ** power);
      const prediction = names.reduce((sum, name, power) => sum + weights[name] * powers[power], 0);
      const row = body.insertRow();
      row.append(cell("th", String(i + 1), { scope: "row" }));
      for (const value of powers) row.append(cell("td", formatValue(value)));
      row.append(cell("td", formatValue(y[i])), cell("td", formatValue(prediction)));
      row.append(cell("td", formatValue(prediction - y[i]), { class: "residual" }));
    }
    return table;
  }

  #loss(loss, mean) {
    const line = cell("p", mean ? "L = (1/n) Σ εᵢ² = " : "L = Σ εᵢ² = ", { class: "equation math" });
    line.append(cell("b", formatValue(loss), { "data-eq-loss": String(loss) }));
    return line;
  }

  /** Each weight: ∂L/∂w = 2 Σ εᵢ xᵢʲ (2/n under the mean), its value, and the update it makes. */
  #gradient(names, { grads, before, after }, lr, mean) {
    const table = document.createElement("table");
    table.className = "equations-gradient";
    const piled = this.#state.run.config.zero_grad === false && !this.#state.replay;
    const rule = `∇L = ${mean ? "(2/n)" : "2"} Σ εᵢ xᵢ, then w ← w − η ∇L with η = ${formatValue(lr)}`;
    // zero_grad off: .grad holds every step's gradient so far, and the update uses that sum.
    table.append(cell("caption", piled ? `${rule}; zero_grad is off, so the value is .grad: every step's ∂L/∂w so far, summed` : rule));
    const head = table.createTHead().insertRow();
    for (const text of ["w", "∂L/∂w", "value", "w − η ∂L/∂w"]) head.append(cell("th", text, { scope: "col" }));
    const body = table.createTBody();
    names.forEach((name, power) => {
      const row = body.insertRow();
      row.dataset.weight = name;
      row.append(cell("th", name, { scope: "row" }));
      const sum = power === 0 ? "Σ εᵢ" : `Σ εᵢ ${POWER[power]}`;
      const frozen = this.#state.run.config.frozen?.includes(name);
      row.append(cell("td", frozen ? "frozen: requires_grad=False" : `${mean ? "(2/n)" : "2"} ${sum}`, { class: "math" }));
      row.append(cell("td", formatValue(grads[name]), { "data-eq-grad": String(grads[name]) }));
      const update = `${formatValue(before[name])} − η·${formatValue(grads[name])} = ${formatValue(after[name])}`;
      row.append(cell("td", update, { "data-eq-after": String(after[name]) }));
    });
    return table;
  }
}
