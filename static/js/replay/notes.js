// What a replay cannot show, said where it would be missed: a network's past fits, and the graph of a step other
// than the one the server last captured. Each note is a small view over the store's `history` and `replay`.
import { ENDED } from "../protocol.js";
import { canRedraw } from "./curves.js";

/** The fit panel's note: a network records only norms, so its curve cannot be redrawn at a past step. */
export function fitNote({ status, history, run }) {
  if (!ENDED.has(status) || !history || !run || canRedraw(run.config?.engine)) return "";
  return "This network records only one norm per weight tensor, so its past fits cannot be redrawn: the curve shown is the final one.";
}

/** The graph panel's note: the server keeps only the last captured graph, whatever step the timeline is at. */
export function graphNote({ replay, graph, graphValues }) {
  if (!replay || !graph || !graphValues || graphValues.step === replay.step) return "";
  return `graph of step ${graphValues.step} (the last captured), not of step ${replay.step}`;
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
