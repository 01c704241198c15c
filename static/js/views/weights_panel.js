// The four weights with their gradients, the cubic they make written out as in the lecture, and the loss.
import { formatCount, formatCubic, formatSigned, formatValue } from "../format.js";
import { PARAM_NAMES } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";

export class WeightsPanel {
  #container;
  #cells = {}; // name -> { value, grad }: the table cells of each weight
  #cubic;
  #loss;
  #lossStep;
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(container) {
    this.#container = container;
    const body = container.querySelector("tbody");
    for (const name of PARAM_NAMES) {
      const row = body.insertRow();
      row.dataset.param = name;
      const header = document.createElement("th");
      header.scope = "row";
      header.textContent = name;
      row.append(header);
      this.#cells[name] = { value: row.insertCell(), grad: row.insertCell() };
    }
    this.#cubic = container.querySelector("[data-cubic]");
    this.#loss = container.querySelector("[data-loss]");
    this.#lossStep = container.querySelector("[data-loss-step]");
    this.reset();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#show({ params: {}, grads: {}, losses: [] });
    this.#container.dataset.step = -1;
  }

  #draw() {
    if (!this.#state?.params) return;
    this.#show(this.#state);
    this.#container.dataset.step = this.#state.step;
  }

  #show({ params, grads, losses }) {
    for (const name of PARAM_NAMES) {
      this.#cells[name].value.textContent = formatSigned(params[name]);
      this.#cells[name].grad.textContent = formatSigned(grads?.[name]);
    }
    this.#cubic.textContent = formatCubic(params);
    // losses[k] was computed with the weights before step k's update: it belongs to step k.
    this.#loss.textContent = formatValue(losses.at(-1));
    this.#lossStep.textContent = losses.length ? formatCount(losses.length - 1) : "—";
  }
}
