// The weights with their gradients, the engine's own model written out with them, and the loss. A run with
// zero_grad off is marked "accumulating": its gradients pile up in .grad, and the bars show them grow.
// A network's weights are tensors: one row per tensor with its L2 norm and its gradient's, and the
// architecture in place of the equation (a network has no formula to fill its numbers into).
import { architectureOf, isNetwork, modelOf } from "../engines.js";
import { formatCount, formatModel, formatSigned, formatValue } from "../format.js";
import { PARAM_NAMES } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";

const HEADS = { name: "weight", value: "value", grad: "gradient" };
const NORM_HEADS = { name: "tensor", value: "‖W‖", grad: "‖∇W‖" };

// The gradient bars' log scale, fixed so that growth shows as growth: |grad| of 10⁻² is empty, 10⁸ full.
const BAR_LOW = -2;
const BAR_HIGH = 8;

/** How much of a bar |grad| fills, 0…1, on a log scale: a summed gradient spans many decades. */
function barFraction(grad) {
  const exponent = Math.log10(Math.abs(grad));
  if (!Number.isFinite(exponent)) return 0;
  return Math.min(1, Math.max(0, (exponent - BAR_LOW) / (BAR_HIGH - BAR_LOW)));
}

export class WeightsPanel {
  #container;
  #body;
  #names = [];
  #cells = {}; // name -> { value, grad }: the table cells of each weight
  #cubic;
  #loss;
  #lossStep;
  #badge;
  #note;
  #caption;
  #heads;
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  /** `onLink(link)` hears a weight's row pointed at or focused ({param: name}), and null when it is left. */
  constructor(container, onLink = () => {}) {
    this.#container = container;
    this.#body = container.querySelector("tbody");
    const row = (event) => event.target.closest?.("tr[data-param]");
    const point = (event) => onLink(row(event) ? { param: row(event).dataset.param } : null);
    this.#body.addEventListener("pointerover", point);
    this.#body.addEventListener("focusin", point);
    this.#body.addEventListener("pointerleave", () => onLink(null));
    this.#body.addEventListener("focusout", () => onLink(null));
    this.#cubic = container.querySelector("[data-cubic]");
    this.#loss = container.querySelector("[data-loss]");
    this.#lossStep = container.querySelector("[data-loss-step]");
    this.#badge = container.querySelector("[data-accumulating]");
    this.#note = container.querySelector("[data-accumulating-note]");
    this.#caption = container.querySelector("[data-weights-caption]");
    this.#heads = container.querySelectorAll("thead [data-head]");
    this.#rows(PARAM_NAMES);
    this.reset();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#show({ params: {}, grads: {}, losses: [], engines: [], run: null });
    this.#container.dataset.step = -1;
  }

  /** One row per weight of the engine, in its order. */
  #rows(names) {
    if (names.join() === this.#names.join()) return;
    this.#names = [...names];
    this.#body.replaceChildren();
    this.#cells = {};
    for (const name of names) {
      const row = this.#body.insertRow();
      row.dataset.param = name;
      row.tabIndex = 0; // focused, it lights up its leaf in the graph and the line that updates it
      const header = document.createElement("th");
      header.scope = "row";
      header.textContent = name;
      row.append(header);
      this.#cells[name] = { value: row.insertCell(), grad: row.insertCell() };
      this.#cells[name].grad.className = "grad";
    }
  }

  #draw() {
    const state = this.#state;
    if (!state) return;
    const replay = state.replay; // a replayed step: the history's weights, gradient and loss of that step
    if (replay) this.#show({ ...state, params: replay.params, grads: replay.grads }, replay);
    else if (state.params) this.#show(state);
    else {
      // No weights yet: the rows of the run's engine, or of the one the form names (a network's tensors).
      const run = state.run ?? (state.selectedEngine ? { engine: state.selectedEngine } : null);
      this.#show({ ...state, params: {}, grads: {}, run });
    }
    this.#container.dataset.step = replay ? replay.step : state.step;
    this.#container.dataset.replayStep = replay ? replay.step : "";
  }

  /** Names a network's columns as the norms they are. */
  #mode(network) {
    if (this.#container.dataset.network === String(network)) return;
    this.#container.dataset.network = network;
    this.#caption.hidden = !network;
    const heads = network ? NORM_HEADS : HEADS;
    for (const head of this.#heads) head.textContent = heads[head.dataset.head];
  }

  /** `at`: the replayed {step, loss} shown instead of the latest loss, or null. */
  #show({ params, grads, losses, engines, run }, at = null) {
    const { model, names } = modelOf(engines, run);
    const network = isNetwork(run);
    this.#mode(network);
    this.#rows(names);
    for (const name of names) {
      const { value, grad } = this.#cells[name];
      value.textContent = formatSigned(params[name]);
      grad.textContent = formatSigned(grads?.[name]);
      grad.style.setProperty("--bar", barFraction(grads?.[name]));
    }
    this.#cubic.textContent = network ? (architectureOf(run) ?? model) : formatModel(model, params, names);
    // losses[k] was computed with the weights before step k's update: it belongs to step k.
    this.#loss.textContent = formatValue(at ? at.loss : losses.at(-1));
    this.#lossStep.textContent = at ? formatCount(at.step) : losses.length ? formatCount(losses.length - 1) : "—";

    const accumulating = run?.config?.zero_grad === false;
    this.#container.dataset.accumulating = accumulating;
    this.#badge.hidden = !accumulating;
    this.#note.hidden = !accumulating;
  }
}
