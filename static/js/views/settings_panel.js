// The settings sheet under the run bar: closed until asked for (the lecture's defaults start a run without it),
// opened at a field the server refused, closed again by Start. Watching a run that was not started from this
// page (a student following, a projector opened on the lecturer's run), it holds that run's own settings, so
// nothing on screen contradicts the run; changed and started, they make the viewer's own run.
import { fillForm } from "./form_fill.js";

const OWN = "What Start runs: the lecture's defaults until changed; a blank field takes the server's.";
const WATCHED = "The settings of the run you are watching. Change any and press Start to run your own.";

export class SettingsPanel {
  #form;
  #panel;
  #toggle;
  #source;
  #filledFrom = null; // the run whose settings the sheet holds
  #startedHere = new Set(); // runs this page's form started: it holds their settings as typed (a blank seed too)
  #starting = false;

  constructor(form) {
    this.#form = form;
    this.#panel = form.querySelector("[data-settings]");
    this.#toggle = form.querySelector("[data-settings-toggle]");
    this.#source = form.querySelector("[data-settings-source]");
    this.#toggle.addEventListener("click", () => this.#show(this.#panel.hidden));
    form.querySelector("[data-settings-close]").addEventListener("click", () => this.close());
    this.#panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.close();
        this.#toggle.focus();
      }
    });
  }

  get open() {
    return !this.#panel.hidden;
  }

  close() {
    this.#show(false);
  }

  /** Opens the sheet if `control` is in it, and moves focus to it: the field a message is about. */
  reveal(control) {
    if (this.#panel.contains(control)) this.#show(true);
    control.focus();
  }

  /** Around a Start from this form: a run joined meanwhile is the form's own, its settings already the form's. */
  set starting(value) {
    this.#starting = value;
  }

  update(state) {
    if (this.#starting && state.runId && state.canControl) this.#startedHere.add(state.runId);
    const config = state.run?.config;
    if (!config || this.#startedHere.has(state.runId) || this.#filledFrom === state.runId) return;
    this.#filledFrom = state.runId;
    // After this update: filling announces each field's change, and the engine's reaches the store again.
    queueMicrotask(() => {
      fillForm(this.#form, config);
      this.#source.textContent = WATCHED;
    });
  }

  reset() {
    this.#filledFrom = null;
    this.#source.textContent = OWN;
  }

  #show(open) {
    this.#panel.hidden = !open;
    this.#toggle.setAttribute("aria-expanded", String(open));
  }
}
