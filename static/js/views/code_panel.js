// One step of the shown engine's training loop, as the server read it from the engine's own source: each
// line tagged with its phase, and, as frames arrive, the phases of a step marked one after the other. Only the
// lines the run takes are shown: a line the server marks `when` (zeroing under zero_grad, the division under the
// mean) is there only for a config that runs it, and lines that only copy numbers out for the page never are.
import { findEngine } from "../engines.js";
import { Phase } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";
import { PhaseSweep } from "./phase_sweep.js";

const PHASE_LABELS = {
  [Phase.FORWARD]: "forward",
  [Phase.LOSS]: "loss",
  [Phase.BACKWARD]: "backward",
  [Phase.UPDATE]: "update",
  [Phase.ZERO]: "zero grads",
  [Phase.RECORD]: "record",
};

/** Whether `config` has each field of `condition` ({zero_grad: true}, {reduction: "mean"}); none always holds. */
function holds(condition, config) {
  return !condition || Object.entries(condition).every(([field, value]) => config[field] === value);
}

/**
 * The line as a run of `config` has it: out one level where the `with` it is inside is left out (no_grad off
 * runs the update without `with torch.no_grad():`).
 */
function textUnder({ text, inside }, config) {
  return holds(inside, config) ? text : text.replace(/^ {4}/, "");
}

/** The config whose lines are shown: the followed run's, else the form's (a new run's), else the defaults. */
function shownConfig(state, engine, following, defaults) {
  if (following) return state.run.config;
  return { ...defaults, ...engine.defaults, ...state.formChoice };
}

/** The phases a step goes through, in the order the loop runs them (torch.optim zeroes before backward). */
function phaseOrder(code) {
  const order = [];
  for (const { text, phase } of code) {
    if (phase !== Phase.RECORD && text.trim() !== "" && !order.includes(phase)) order.push(phase);
  }
  return order;
}

export class CodePanel {
  #container;
  #lines;
  #key;
  #title;
  #source;
  #sweepNote;
  #sweep;
  #state = null;
  #shown = null; // the EngineInfo whose lines are on screen
  #items = []; // [line, its element] of each line on screen (record lines are not)
  #variant = ""; // the switches the shown lines were picked for
  #sweepStep = null; // the step of the followed run last swept, so a redraw without a new frame sweeps nothing
  #defaults;
  #marked = null; // the scene lines last marked
  #requestDraw = oncePerFrame(() => this.#draw());

  /**
   * `onLink(link)` hears a line pointed at or focused ({line: index}), and null when it is left; `defaults` are
   * the server's config defaults, whose lines are shown before the form says otherwise.
   */
  constructor(container, { onLink = () => {}, defaults = {} } = {}) {
    this.#container = container;
    this.#defaults = defaults;
    this.#lines = container.querySelector("[data-code-lines]");
    const line = (event) => event.target.closest?.("[data-line]");
    const point = (event) => onLink(line(event) ? { line: Number(line(event).dataset.line) } : null);
    this.#lines.addEventListener("pointerover", point);
    this.#lines.addEventListener("focusin", point);
    this.#lines.addEventListener("pointerleave", () => onLink(null));
    this.#lines.addEventListener("focusout", () => onLink(null));
    this.#key = container.querySelector("[data-phase-key]");
    this.#title = container.querySelector("[data-code-engine]");
    this.#source = container.querySelector("[data-code-source]");
    this.#sweepNote = container.querySelector("[data-code-sweep-note]");
    this.#sweep = new PhaseSweep((current, done) => this.#mark(current, done));
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#sweepStep = null;
    this.#sweep.stop();
  }

  #draw() {
    const state = this.#state;
    const engine = findEngine(state.engines, state.codeEngine ?? state.selectedEngine);
    if (engine !== this.#shown) this.#show(engine);
    if (!engine) return;
    const following = state.run?.config?.engine === engine.name;
    this.#showVariant(shownConfig(state, engine, following, this.#defaults));
    this.#source.textContent = following ? "— the followed run" : "— press Start to run it";
    this.#markScene(state.lecture);
    this.#sweepNote.textContent = following
      ? "As each frame arrives, the phases of one step light up in turn; a paused run keeps its last step marked."
      : "";
    this.#container.dataset.zeroSkipped = following && state.run.config.zero_grad === false;
    if (!following) {
      if (this.#sweepStep !== null) this.reset();
      return;
    }
    // A frame (or the snapshot) brought a step this panel has not swept: the loop went round once more.
    if (state.step >= 0 && state.step !== this.#sweepStep) {
      this.#sweepStep = state.step;
      this.#sweep.frame();
    }
  }

  /** Puts the engine's lines on screen, each tagged with its phase; a tag opens each run of one phase. */
  #show(engine) {
    this.#shown = engine;
    this.#sweepStep = null;
    this.#marked = null; // new lines: the scene's marks go on them again
    this.#lines.replaceChildren();
    this.#key.replaceChildren();
    this.#title.textContent = engine?.name ?? "";
    this.#container.dataset.engine = engine?.name ?? "";
    if (!engine) {
      this.#sweep.setPhases([]);
      return;
    }
    let previous = null;
    this.#items = [];
    this.#variant = "";
    for (const [index, line] of engine.code.entries()) {
      const { text, phase } = line;
      if (phase === Phase.RECORD) continue; // copies numbers out for this page: not part of the lecture's step
      const item = document.createElement("li");
      this.#items.push([line, item]);
      const blank = text.trim() === "";
      item.className = `code-line phase-${phase}${blank ? " blank" : ""}`;
      item.dataset.phase = phase;
      if (!blank && !text.trim().startsWith("#")) {
        // A line of code can be focused, so the keyboard too can ask what it built and what it updates.
        item.dataset.line = index;
        item.tabIndex = 0;
      }
      const tag = document.createElement("span");
      tag.className = "phase-tag";
      if (!blank && phase !== previous) tag.textContent = PHASE_LABELS[phase] ?? phase;
      const code = document.createElement("code");
      code.textContent = text;
      item.append(tag, code);
      this.#lines.append(item);
      if (!blank) previous = phase;
    }
    const present = phaseOrder(engine.code);
    for (const phase of present) {
      const chip = document.createElement("li");
      chip.className = `phase-chip phase-${phase}`;
      chip.dataset.phase = phase;
      chip.textContent = PHASE_LABELS[phase] ?? phase;
      this.#key.append(chip);
    }
    this.#sweep.setPhases(phaseOrder(engine.code));
  }

  /** Shows the lines a run of `config` runs, as it runs them, and hides the others (its switches decide). */
  #showVariant(config) {
    const variant = JSON.stringify([config.zero_grad, config.reduction, config.no_grad, config.frozen]);
    if (variant === this.#variant) return;
    this.#variant = variant;
    for (const [line, item] of this.#items) {
      // Not run: a switch the config does not take, or a frozen weight's update (its `if w.requires_grad:`).
      item.hidden = !holds(line.when, config) || (config.frozen ?? []).includes(line.needs_grad);
      item.querySelector("code").textContent = textUnder(line, config);
    }
    Object.assign(this.#container.dataset, { zeroGrad: config.zero_grad, reduction: config.reduction });
  }

  /** Marks the lines a lecture's scene is about (each scene line is found in the line's text). */
  #markScene(lecture) {
    const wanted = lecture?.scenes[lecture.index]?.lines ?? [];
    if (wanted === this.#marked) return;
    this.#marked = wanted;
    for (const [line, item] of this.#items) {
      item.classList.toggle("marked", line.text.trim() !== "" && wanted.some((text) => line.text.includes(text.trim())));
    }
    // Enlarged for the scene, the panel scrolls to its first marked line (the page itself is left where it is).
    if (this.#container.classList.contains("enlarged")) {
      this.#lines.querySelector(".marked")?.scrollIntoView({ block: "center" });
    }
  }

  /** The sweep's marks: the phase being run, and those this step has already been through. */
  #mark(current, done) {
    this.#container.dataset.sweepPhase = current ?? (done.size ? "done" : "");
    for (const element of this.#container.querySelectorAll("[data-phase]")) {
      const { phase } = element.dataset;
      element.classList.toggle("current", phase === current);
      element.classList.toggle("done", done.has(phase));
    }
  }
}
