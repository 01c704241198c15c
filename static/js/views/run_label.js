// How a run is named in keys, lists and summaries: by what makes it differ from its neighbours.
import { describeLayers } from "../layers.js";
import { NETWORK_ENGINE, OPTIMIZER_ENGINE } from "../protocol.js";

/**
 * "torch-optim (adam) · zero_grad off", "torch-mlp (1 → 16 → Tanh → 1)": the engine, with the settings that
 * change what it computes.
 */
export function describeEngine(config) {
  if (!config) return "";
  let detail = config.engine === OPTIMIZER_ENGINE ? ` (${config.optimizer})` : "";
  if (config.engine === NETWORK_ENGINE && config.layers) detail = ` (${describeLayers(config.layers)})`;
  const zeroGrad = config.zero_grad === false ? " · zero_grad off" : "";
  const noGrad = config.no_grad === false ? " · no_grad off" : "";
  const frozen = config.frozen?.length ? ` · ${config.frozen.join(", ")} frozen` : "";
  return `${config.engine}${detail}${zeroGrad}${noGrad}${frozen}`;
}

/** "numpy · seed 7", for a chart's key. */
export function describeRun(run) {
  if (!run.config) return run.engine; // an unreadable run: its engine is all the server could read
  return `${describeEngine(run.config)} · seed ${run.config.seed}`;
}

/** "numpy · seed 7 · finished · 8f3kQ2", for a list to pick a run from. */
export function describeListedRun(run) {
  return `${describeRun(run)} · ${run.status} · ${run.id}`;
}

/**
 * Names a run in a chart's key; an empty name hides the entry. Unchanged text is left alone: keys are
 * refreshed with every frame, and rewriting a text node makes the browser lay the page out again.
 */
export function showKey(element, text) {
  if (element.textContent !== text) {
    element.textContent = text;
    element.title = text; // whole, where a narrow panel cuts the key short
  }
  element.hidden = text === "";
}
