// Two runs, one question: do they compute the same thing? The panel picks a run to compare with (or starts
// the followed run's config again on another engine) and shows how far the two runs' weights and gradients
// lie apart. It does not know the REST API: main.js hands it `compareWith(runId)` and `runTwin(changes)`.
import { firstDifference, roundingOf } from "../compare.js";
import { formatCount, formatDifference } from "../format.js";
import { ENDED, ViewKind } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";
import { describeEngine, describeListedRun, describeRun } from "./run_label.js";

const SAME_ENGINE = "="; // the twin select's value for "this engine, zero_grad the other way"

/** How each view kind reads the model, for the note on two runs that cannot share the fit chart. */
const VIEW_READINGS = { [ViewKind.FIT]: "y against x", [ViewKind.OUTPUTS]: "predictions against targets" };

/** A note when the two runs' models are drawn on different axes (so the fit chart shows the first only). */
function viewNote(first, second) {
  const [a, b] = [first?.view?.kind, second?.view?.kind];
  if (!a || !b || a === b) return "";
  const reading = (kind) => VIEW_READINGS[kind] ?? kind;
  return `The fit chart shows A only: A's model is drawn as ${reading(a)}, B's as ${reading(b)}.`;
}

/** Replaces a select's options when they differ from `options` ([value, text]), keeping `value` chosen. */
function fillSelect(select, options, value) {
  const now = [...select.options].map((option) => [option.value, option.text]);
  if (JSON.stringify(now) !== JSON.stringify(options)) {
    select.replaceChildren(...options.map(([v, text]) => new Option(text, v)));
  }
  if (options.some(([v]) => v === value)) select.value = value;
}

export class ComparePanel {
  #container;
  #parts;
  #actions;
  #pending = false;
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  /**
   * @param {{compareWith: (runId: string|null) => void, runTwin: (changes: object) => Promise,
   *   listRuns: () => Promise, fixed?: () => Set<string>}} actions `fixed`: the settings a twin may not
   *   change (a class's), so the panel offers no twin that would change one
   */
  constructor(container, actions) {
    this.#container = container;
    this.#actions = actions;
    const part = (name) => container.querySelector(`[data-${name}]`);
    this.#parts = {
      hint: part("compare-hint"),
      select: part("compare-select"),
      twin: part("twin-select"),
      twinStart: part("twin-start"),
      error: part("compare-error"),
      body: part("compare-body"),
      summary: part("compare-summary"),
      numbers: part("compare-numbers"),
      verdict: Object.assign(document.createElement("p"), { className: "compare-verdict" }),
    };
    // The answer in words, before the numbers it rests on.
    this.#parts.verdict.dataset.compareVerdict = "";
    this.#parts.numbers.before(this.#parts.verdict);
    this.#parts.select.addEventListener("change", () => this.#actions.compareWith(this.#parts.select.value || null));
    this.#parts.select.addEventListener("focus", () => this.#actions.listRuns()); // statuses change meanwhile
    this.#parts.twinStart.addEventListener("click", () => this.#startTwin());
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#showError("");
    this.#requestDraw();
  }

  async #startTwin() {
    const config = this.#state?.run?.config;
    const choice = this.#parts.twin.value;
    if (!config || !choice) return;
    const changes = choice === SAME_ENGINE ? { zero_grad: !config.zero_grad } : this.#onEngine(choice);
    this.#pending = true;
    this.#showError("");
    this.#draw();
    try {
      await this.#actions.runTwin(changes);
    } catch (error) {
      if (!error?.fields) throw error; // not an answer from the server but a bug: let it surface
      const fields = Object.entries(error.fields).map(([name, text]) => `${name}: ${text}`);
      this.#showError([error.message, ...fields].join(" "));
    } finally {
      this.#pending = false;
      this.#draw();
    }
  }

  /** The same config on another engine; one that keeps no .grad cannot leave it unzeroed. */
  #onEngine(name) {
    const engine = this.#state.engines.find((e) => e.name === name);
    return engine?.stores_grads === false ? { engine: name, zero_grad: true } : { engine: name };
  }

  #showError(text) {
    this.#parts.error.textContent = text;
    this.#parts.error.hidden = !text;
  }

  #draw() {
    const state = this.#state;
    const run = state?.run;
    const { select, twin, twinStart, hint } = this.#parts;
    hint.hidden = Boolean(run);

    // A run the server cannot read has nothing to compare.
    const others = (state?.runs ?? []).filter((listed) => listed.id !== state.runId && listed.config);
    const compareId = state?.compare?.runId ?? "";
    // The list is fetched now and then; the compared run's socket knows its status better.
    const live = (other) =>
      other.id === compareId && state.compare.status ? { ...other, status: state.compare.status } : other;
    // A run named in the address but not (yet) in the list still shows as chosen.
    const listed = others.map((other) => [other.id, describeListedRun(live(other))]);
    if (compareId && !listed.some(([id]) => id === compareId)) listed.unshift([compareId, compareId]);
    fillSelect(select, [["", others.length ? "no other run" : "no other run yet"], ...listed], compareId);
    select.disabled = !run;

    const fixed = this.#actions.fixed?.() ?? new Set();
    const engines = fixed.has("engine")
      ? []
      : (state?.engines ?? []).filter((engine) => engine.name !== run?.config?.engine);
    const current = state?.engines.find((engine) => engine.name === run?.config?.engine);
    const options = engines.map((engine) => [engine.name, engine.name]);
    if (current?.stores_grads && !fixed.has("zero_grad")) {
      const flipped = run.config.zero_grad ? "off" : "on";
      options.push([SAME_ENGINE, `${describeEngine({ ...run.config, zero_grad: true })}, zero_grad ${flipped}`]);
    }
    const none = options.length === 0;
    fillSelect(twin, none ? [["", "fixed by the class"]] : options, twin.value);
    twin.disabled = !run || none;
    twinStart.disabled = !run || none || this.#pending;

    this.#showComparison(state);
  }

  #showComparison(state) {
    const compare = state?.compare;
    this.#parts.body.hidden = !compare;
    this.#container.dataset.comparing = Boolean(compare);
    if (!compare) return;
    const status = (runState) => runState.status ?? "joining";
    const name = (runState) => (runState.run ? describeRun(runState.run) : runState.runId);
    this.#parts.summary.replaceChildren(
      ...[
        ["A", name(state), status(state)],
        ["B", name(compare), status(compare)],
      ].map(([letter, text, runStatus]) => {
        const line = document.createElement("span");
        line.className = `compare-run run-${letter.toLowerCase()}`;
        line.textContent = `${letter}: ${text} (${runStatus})`;
        return line;
      }),
    );
    const note = viewNote(state, compare);
    this.#container.dataset.viewsDiffer = Boolean(note);
    if (note) {
      const line = Object.assign(document.createElement("span"), { className: "compare-note", textContent: note });
      this.#parts.summary.append(line);
    }
    const ended = ENDED.has(state.status) && ENDED.has(compare.status);
    this.#showNumbers(state.diff, ended);
    this.#showVerdict(state.diff, ended, [state.run?.config?.dtype, compare.run?.config?.dtype]);
  }

  /** "Identical up to rounding" or "Differ from step N", with the tolerance the dtypes give. */
  #showVerdict(diff, ended, dtypes) {
    const verdict = this.#parts.verdict;
    const comparable = diff && diff.steps > 0 && diff.names.length > 0 && dtypes.every(Boolean);
    verdict.hidden = !comparable;
    Object.assign(verdict.dataset, { verdict: "", differFrom: "", tolerance: "" });
    if (!comparable) return;
    const tolerance = roundingOf(...dtypes);
    const coarser = dtypes.includes("float32") ? "float32" : "float64";
    const rounding = `${coarser}'s rounding (relative ${formatDifference(tolerance).replace(".0", "")})`;
    const first = firstDifference(diff, tolerance);
    const [a, b] = diff.lengths;
    const span = !ended ? "so far, over" : a === b ? "over all" : "over the";
    const both = ended && a !== b ? " both have" : "";
    verdict.dataset.tolerance = tolerance;
    if (first === null) {
      // Gradients, rounded more coarsely (compare.js), agreed too: the numbers below give their differences.
      const largest = Math.max(diff.worst.relWeight, diff.worst.relLoss);
      const how =
        largest === 0
          ? "every weight and loss the same number, bit for bit"
          : `weights and losses at most ${formatDifference(largest)} apart (relative), within ${rounding}`;
      verdict.dataset.verdict = "identical";
      verdict.textContent = `Identical up to rounding ${span} ${formatCount(diff.steps)} steps${both}: ${how}.`;
      return;
    }
    const what = first.parts.map(([part, relative]) => `${part} by ${formatDifference(relative)}`).join(", ");
    Object.assign(verdict.dataset, { verdict: "differ", differFrom: first.step });
    verdict.textContent =
      `Differ from step ${formatCount(first.step)}: ${what} (relative), past ${rounding}.` +
      (first.step === 0 ? "" : ` Steps 0 to ${formatCount(first.step - 1)} agree.`);
  }

  /** The latest step both runs have, and the largest differences over all steps so far. */
  #showNumbers(diff, ended) {
    const numbers = this.#parts.numbers;
    if (!diff || diff.steps === 0) {
      numbers.replaceChildren(Object.assign(document.createElement("dd"), { textContent: "waiting for steps…" }));
      Object.assign(this.#container.dataset, { steps: 0, dweight: "", dgrad: "", relDweight: "", relDgrad: "" });
      this.#container.dataset.sharedWeights = "";
      return;
    }
    const { latest, worst, steps } = diff;
    // A network and a cubic, say: a zero difference over no weights would read as "identical".
    this.#container.dataset.sharedWeights = diff.names.length > 0;
    if (diff.names.length === 0) {
      const text = "The two runs have no weights in common: compare their losses and fits above.";
      numbers.replaceChildren(Object.assign(document.createElement("dd"), { textContent: text, className: "note" }));
      Object.assign(this.#container.dataset, { steps, dweight: "", dgrad: "", relDweight: "", relDgrad: "" });
      return;
    }
    const both = (absolute, relative) => `${formatDifference(absolute)} (relative ${formatDifference(relative)})`;
    const now = `at step ${formatCount(latest.step)}`;
    const rows = [
      [`steps compared${ended ? "" : " so far"}`, formatCount(steps)],
      [`${now}: max |Δweight|`, both(latest.dWeight, latest.relWeight)],
      [`${now}: max |Δgrad|`, both(latest.dGrad, latest.relGrad)],
      ["over all steps: max |Δweight|", both(worst.dWeight, worst.relWeight)],
      ["over all steps: max |Δgrad|", both(worst.dGrad, worst.relGrad)],
    ];
    numbers.replaceChildren(
      ...rows.flatMap(([term, value]) => [
        Object.assign(document.createElement("dt"), { textContent: term }),
        Object.assign(document.createElement("dd"), { textContent: value }),
      ]),
    );
    // The numbers themselves, for tests and for anyone reading the page's markup.
    Object.assign(this.#container.dataset, {
      steps,
      dweight: worst.dWeight,
      dgrad: worst.dGrad,
      relDweight: worst.relWeight,
      relDgrad: worst.relGrad,
    });
  }
}
