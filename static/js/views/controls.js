// The run bar and the settings behind it. It reads the form and reports what the user asked for; it does not
// know the REST API: main.js hands it `start(config)`, `command(name)`, `pace(pace)` (each returning a promise)
// and `select(engine)`, told whenever the form names another engine.
import { Command, COMMANDS_BY_STATUS, ENDED, RunConfigField, Status } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";
import { EngineFields } from "./engine_fields.js";
import { SettingsPanel } from "./settings_panel.js";

const NUMERIC_FIELDS = new Set([
  RunConfigField.STEPS,
  RunConfigField.LEARNING_RATE,
  RunConfigField.SEED,
  RunConfigField.PACE,
  RunConfigField.POINTS,
  RunConfigField.X_MIN,
  RunConfigField.X_MAX,
  RunConfigField.NOISE,
  RunConfigField.DEGREE,
]);

// Fields FormData cannot tell as the server wants them; EngineFields.extraConfig() sends them.
const FROM_ENGINE_FIELDS = new Set([
  RunConfigField.ZERO_GRAD,
  RunConfigField.NO_GRAD,
  RunConfigField.LAYERS,
  "requires_grad", // the boxes of `frozen`
]);

// "2pi", "-0.5 π", "pi": the range is most often a multiple of π, and −3.14159 is tedious to type.
const MULTIPLE_OF_PI = /^([+\-\u2212]?)\s*(\d*\.?\d*)\s*\*?\s*(?:pi|π)$/i;

/** A typed number, or a multiple of π, or NaN. */
function parseNumber(text) {
  const match = MULTIPLE_OF_PI.exec(text);
  if (!match) return Number(text.replace("\u2212", "-"));
  const [, sign, factor] = match;
  return (sign && sign !== "+" ? -1 : 1) * (factor === "" ? 1 : Number(factor)) * Math.PI;
}

export class Controls {
  #form;
  #actions;
  #startButtons; // the run bar's Start and the settings sheet's
  #commandButtons;
  #paceField;
  #settings;
  #readOnlyNote;
  #formError;
  #engineFields;
  #targetPresets; // the preset select, or null on a server without targets
  #pending = false; // a request is on its way: no second click until it is answered
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  /**
   * @param {{start: (config: object) => Promise, command: (name: string) => Promise,
   *   pace: (pace: number | null) => Promise, select: (engine: string) => void}} actions
   */
  constructor(form, actions) {
    this.#form = form;
    this.#actions = actions;
    this.#startButtons = [...form.querySelectorAll("button[type=submit]")];
    this.#commandButtons = [...form.querySelectorAll("[data-command]")];
    this.#paceField = form.querySelector(".pace-field");
    this.#readOnlyNote = form.querySelector("[data-read-only]");
    this.#formError = form.querySelector("[data-form-error]");
    this.#settings = new SettingsPanel(form);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#perform(async () => {
        this.#settings.starting = true;
        try {
          await this.#actions.start(this.#readConfig());
        } finally {
          this.#settings.starting = false;
        }
        this.#settings.close(); // the run is what to watch now
      });
    });
    // The pace of a live run this browser steers changes as it is typed in; before a run, it is a setting.
    form.elements.pace.addEventListener("change", () => {
      if (!this.#steersLiveRun()) return;
      const text = form.elements.pace.value.trim();
      const pace = text === "" ? null : parseNumber(text);
      this.#perform(() => this.#actions.pace(Number.isNaN(pace) ? text : pace));
    });
    for (const button of this.#commandButtons) {
      const { command } = button.dataset;
      button.addEventListener("click", () => this.#perform(() => this.#actions.command(command)));
    }
    this.#engineFields = new EngineFields(form, (engine, choice) => this.#actions.select(engine, choice));
    this.#targetPresets = form.querySelector("[data-target-presets]");
    this.#targetPresets?.addEventListener("change", () => {
      if (this.#targetPresets.value) form.elements.target.value = this.#targetPresets.value;
      else form.elements.target.focus(); // "custom formula": the user is about to type one
    });
    this.#draw();
  }

  update(state) {
    this.#state = state;
    this.#showTargets(state.targets);
    this.#settings.update(state);
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#showErrors({});
    this.#settings.reset();
    this.#requestDraw();
  }

  #steersLiveRun() {
    const status = this.#state?.status;
    return Boolean(this.#state?.canControl) && status != null && !ENDED.has(status);
  }

  #draw() {
    const status = this.#state?.status;
    const active = status != null && !ENDED.has(status);
    for (const button of this.#startButtons) button.disabled = this.#pending || active;
    const allowed = COMMANDS_BY_STATUS[status] ?? [];
    // Only the browser that started the run holds its token; everyone else watches it read-only, and is shown
    // no button they could not use. Pause and Resume take turns in one place.
    const readOnly = this.#state?.runId != null && !this.#state.canControl;
    const paused = status === Status.PAUSED;
    for (const button of this.#commandButtons) {
      const { command } = button.dataset;
      const turn = (command === Command.PAUSE && paused) || (command === Command.RESUME && !paused);
      button.hidden = readOnly || turn;
      button.disabled = this.#pending || readOnly || !allowed.includes(command);
    }
    this.#paceField.hidden = readOnly;
    // A live run's pace, as the server has it (the presenter's keys change it too), unless it is being typed.
    const pace = this.#state?.run?.config?.pace;
    const field = this.#form.elements.pace;
    if (this.#steersLiveRun() && pace !== undefined && document.activeElement !== field) {
      field.value = pace === null ? "" : String(pace);
    }
    if (this.#readOnlyNote) this.#readOnlyNote.hidden = !readOnly;
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
      // The boxes and the layer list: see extraConfig().
      if (text === "" || FROM_ENGINE_FIELDS.has(name)) continue;
      const number = parseNumber(text);
      // Text that is no number goes as typed, so the server's message names the field.
      config[name] = NUMERIC_FIELDS.has(name) && Number.isFinite(number) ? number : text;
    }
    return { ...config, ...this.#engineFields.extraConfig() };
  }

  /**
   * Puts each field's message next to it, and takes the user to the first such field (opening the settings if
   * it is there); the rest (and messages about no field here) go under the run bar.
   */
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
    const first = this.#form.querySelector("[aria-invalid=true]");
    if (first) this.#settings.reveal(first);
  }

  /** Fills the preset select once the server's presets are known; it stays hidden without them. */
  #showTargets(targets) {
    const select = this.#targetPresets;
    if (!select || !targets?.length || select.options.length > 0) return;
    const current = this.#form.elements.target.value.trim() || this.#form.elements.target.placeholder;
    select.append(new Option("custom formula", ""));
    for (const { name, formula } of targets) select.append(new Option(`${name}: ${formula}`, formula));
    select.value = targets.some(({ formula }) => formula === current) ? current : "";
    select.hidden = false;
    this.#form.querySelector("[data-target-presets-label]").hidden = false;
    this.#form.elements.target.addEventListener("input", () => {
      const typed = this.#form.elements.target.value.trim();
      select.value = targets.some(({ formula }) => formula === typed) ? typed : "";
    });
  }
}
