// The presenter bar: presenter mode on or off, light or dark, full screen, the key list, and one line that
// says what the last key did ("paused", "changing the pace needs a newer server"). A view of the store only
// for saying whether this screen is shared with the run's viewers.
import { KEYS } from "./keys.js";

export class PresenterBar {
  #container;
  #buttons;
  #note;
  #dialog;
  #presentation;

  /** `presentation` is present/theme.js's Presentation, which this bar switches. */
  constructor(container, presentation) {
    this.#container = container;
    this.#presentation = presentation;
    const $ = (selector) => container.querySelector(selector);
    this.#buttons = { present: $("[data-present-toggle]"), dark: $("[data-theme-toggle]"), full: $("[data-full-screen]") };
    this.#note = $("[data-present-note]");
    this.#dialog = $("[data-present-keys]");
    const list = this.#dialog.querySelector("dl");
    for (const [key, words] of KEYS) {
      const term = document.createElement("dt");
      term.append(Object.assign(document.createElement("kbd"), { textContent: key }));
      list.append(term, Object.assign(document.createElement("dd"), { textContent: words }));
    }
    this.#buttons.present.addEventListener("click", () => presentation.setPresenting(!presentation.presenting));
    this.#buttons.dark.addEventListener("click", () => presentation.setDark(!presentation.dark));
    this.#buttons.full.addEventListener("click", () => this.fullScreen());
    $("[data-present-help]").addEventListener("click", () => this.help());
    this.#dialog.querySelector("[data-close]").addEventListener("click", () => this.#dialog.close());
    document.addEventListener("fullscreenchange", () => this.#show());
    this.#show();
  }

  update(state) {
    const sharing = this.#presentation.presenting && state.canControl && state.runId;
    this.#container.dataset.sharing = Boolean(sharing);
    this.#show();
  }

  reset() {
    this.say("");
  }

  /** Says what came of a key, for a moment's glance (and for screen readers: aria-live). */
  say(text) {
    this.#note.textContent = text;
  }

  /** Opens the key list, a modal dialog: focus moves in, Escape or the button closes it. */
  help() {
    if (!this.#dialog.open) this.#dialog.showModal();
  }

  async fullScreen() {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await document.documentElement.requestFullscreen();
    } catch {
      this.say("This browser would not go full screen here (F11 does it too).");
    }
  }

  /** The buttons say what they switch, and aria-pressed says whether it is on. */
  #show() {
    const { present, dark, full } = this.#buttons;
    present.setAttribute("aria-pressed", this.#presentation.presenting);
    dark.setAttribute("aria-pressed", this.#presentation.dark);
    full.setAttribute("aria-pressed", Boolean(document.fullscreenElement));
  }

  /** After Presentation changes: the buttons follow. */
  refresh() {
    this.#show();
  }
}
