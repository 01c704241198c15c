// What a replay cannot show exactly, said where it would be missed: a network's past fits, and a graph from another
// step than the replayed one. Each note is a small view over the store's `history` and `replay`.
import { findEngine } from "../engines.js";
import { ENDED } from "../protocol.js";
import { canRedraw } from "./curves.js";
import { shownGraph } from "./graphs.js";

/** The fit panel's note: a network records only norms, so its curve cannot be redrawn at a past step. */
export function fitNote({ status, history, run, engines }) {
  if (!ENDED.has(status) || !history || !run || canRedraw(findEngine(engines, run.config?.engine))) return "";
  return "This network records only one norm per weight tensor, so its past fits cannot be redrawn: the curve shown is the final one.";
}

/**
 * The graph panel's note: graphs are kept only for the steps that had frames, so the one drawn may be of an
 * earlier step than the replayed one (or, while its own is fetched, of another): say which.
 */
export function graphNote(state) {
  const { replay, replayGraph } = state;
  const { graph, values } = shownGraph(state);
  if (!replay || !graph || !values || values.step === replay.step) return "";
  if (!replayGraph) return `graph of step ${values.step} (the last captured), not of step ${replay.step}`;
  const { step, nextStep } = replayGraph;
  const covers = step <= replay.step && (nextStep === null || replay.step < nextStep);
  if (covers) return `graph of step ${step}, the nearest kept before step ${replay.step}`;
  return `graph of step ${values.step}, not of step ${replay.step}`;
}

export class ReplayNote {
  #element;
  #describe;

  /** `describe(state)` gives the note's text, "" for none. */
  constructor(element, describe) {
    this.#element = element;
    this.#describe = describe;
    this.reset();
  }

  update(state) {
    const text = this.#describe(state);
    if (text === this.#element.textContent && this.#element.hidden === !text) return;
    this.#element.textContent = text;
    this.#element.hidden = !text;
  }

  reset() {
    this.#element.textContent = "";
    this.#element.hidden = true;
  }
}
