// The run's settings and its buttons. It reads the form and reports what the user asked for; it does not
// know the REST API: main.js hands it `start(config)` and `command(name)`, each returning a promise.
import { formatInputNumber } from "../format.js";
import { COMMANDS_BY_STATUS, ENDED, RunConfigField } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";

const NUMERIC_FIELDS = new Set([
  RunConfigField.STEPS,
  RunConfigField.LEARNING_RATE,
  RunConfigField.SEED,
  RunConfigField.PACE,
]);

export class Controls {
  #form;
  #actions;
  #startButton;
  #commandButtons;
  #formError;
  #pending = false; // a request is on its way: no second click until it is answered
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  /** @param {{start: (config: object) => Promise, command: (name: string) => Promise}} actions */
  constructor(form, actions) {
    this.#form = form;
    this.#actions = actions;
    this.#startButton = form.querySelector("[data-start]");
    this.#commandButtons = [...form.querySelectorAll("[data-command]")];
    this.#formError = form.querySelector("[data-form-error]");

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#perform(() => this.#actions.start(this.#readConfig()));
    });
    for (const button of this.#commandButtons) {
      const { command } = button.dataset;
      button.addEventListener("click", () => this.#perform(() => this.#actions.command(command)));
    }
    form.elements.engine.addEventListener("change", () => this.#describeEngine());
    for (const radio of form.elements.reduction) {
      radio.addEventListener("change", () => this.#convertLearningRate(radio));
    }
    const reduction = form.querySelector("[name=reduction]:checked");
    form.elements.learning_rate.placeholder = reduction.dataset.learningRate;
    this.#describeEngine();
    this.#draw();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#showErrors({});
    this.#requestDraw();
  }

  #draw() {
    const status = this.#state?.status;
    const active = status != null && !ENDED.has(status);
    this.#startButton.disabled = this.#pending || active;
    const allowed = COMMANDS_BY_STATUS[status] ?? [];
    for (const button of this.#commandButtons) {
      button.disabled = this.#pending || !allowed.includes(button.dataset.command);
    }
  }

  async #perform(action) {
    this.#pending = true;
    this.#showErrors({});
    this.#draw();
    try {
      await action();
    } catch (error) {
      if (!error?.fields) throw error; // not an answer from the server but a bug: let it surface
      this.#showErrors(error.fields, error.message);
    } finally {
      this.#pending = false;
      this.#draw();
    }
  }

  /** The fields the user filled in; a blank one is left to the server (seed: random, pace: full speed). */
  #readConfig() {
    const config = {};
    for (const [name, raw] of new FormData(this.#form)) {
      const text = String(raw).trim();
      if (text === "") continue;
      const number = Number(text);
      // Text that is no number goes as typed, so the server's message names the field.
      config[name] = NUMERIC_FIELDS.has(name) && Number.isFinite(number) ? number : text;
    }
    return config;
  }

  /** Puts each field's message next to it; the rest (and messages about no field here) under the buttons. */
  #showErrors(fields, message = "") {
    const unplaced = message ? [message] : [];
    for (const [name, text] of Object.entries(fields)) {
      const slot = this.#form.querySelector(`[data-error-for="${name}"]`);
      if (slot) slot.textContent = text;
      else unplaced.push(`${name}: ${text}`);
    }
    for (const slot of this.#form.querySelectorAll("[data-error-for]")) {
      const name = slot.dataset.errorFor;
      slot.hidden = !(name in fields);
      for (const control of this.#form.querySelectorAll(`[name="${name}"]`)) {
        control.setAttribute("aria-invalid", String(name in fields));
      }
    }
    this.#formError.textContent = unplaced.join(" ");
    this.#formError.hidden = unplaced.length === 0;
  }

  #describeEngine() {
    const option = this.#form.elements.engine.selectedOptions[0];
    this.#form.querySelector("[data-engine-description]").textContent = option?.dataset.description ?? "";
  }

  /**
   * Keeps the step size when the reduction changes: a summed gradient is `points` times the mean one.
   * A blank field shows, as its placeholder, the rate the server will use.
   */
  #convertLearningRate(radio) {
    const input = this.#form.elements.learning_rate;
    input.placeholder = radio.dataset.learningRate;
    const rate = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(rate)) return;
    const points = Number(this.#form.dataset.points);
    input.value = formatInputNumber(radio.value === "mean" ? rate * points : rate / points);
  }
}
