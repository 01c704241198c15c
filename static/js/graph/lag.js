// The graph is captured once per frame, the weights every step: at a fast pace the newest graph can be a step or
// two older than the weights beside it, and a run stopped by hand may end on a step whose graph was never
// captured. Said in plain words, next to the graph's step, whenever the two differ.
import { ENDED, Status } from "../protocol.js";

/** Why the graph's step (of `values`) is not the weights' step, in words; "" when they agree. */
export function lagNote(state, values) {
  // A replay says which graph it shows in its own note (replay/notes.js).
  if (!values || state.replay || state.step < 0 || values.step === state.step) return "";
  const weights = `the weights are at step ${state.step}`;
  if (state.graphThinned && state.status === Status.RUNNING) {
    return `${weights}: the server is busy training many runs, so this run's graph is captured less often than ` +
      "its frames";
  }
  if (state.status === Status.PAUSED || ENDED.has(state.status)) {
    return `${weights}: the run stopped on a step whose graph was not captured (a graph is captured once per frame)`;
  }
  return `${weights}: a graph is captured once per frame, and the newest is shown`;
}
