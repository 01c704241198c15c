// Two runs side by side, step by step: the difference of their weights and gradients, from both runs' full
// histories (frames carry only the latest weights, and sampled ones would hide where two engines part).
import { getHistory } from "./api.js";

// How far two runs' numbers may lie apart, relative to their size, and still be the same computation rounded
// differently (another summation order, another library): far above the ~1e-16 (float64) and ~1e-7 (float32)
// that engines actually differ by, far below what any change of config makes. Runs of two dtypes: the coarser.
export const ROUNDING = Object.freeze({ float64: 1e-12, float32: 1e-5 });
// A gradient is a difference of large sums: rounded far more coarsely than the weights it moves (numpy and torch
// part by ~1e-13 of a float64 gradient, ~5e-5 of a float32 one), so it is held to 1000 times the weights' rounding.
export const GRADIENT_SLACK = 1000;

const POLL_MS = 1000; // a history is every step so far: about once a second is plenty to read by eye
const STEPS_PER_POLL_MS = 20; // past 20,000 steps a history is megabytes: ask for it less often

/** max over names of |a[name][i] − b[name][i]|, and of max(|a|, |b|) there, for the relative difference. */
function largest(a, b, names, i) {
  let difference = 0;
  let size = 0;
  for (const name of names) {
    const x = a[name][i];
    const y = b[name][i];
    difference = Math.max(difference, Math.abs(x - y));
    size = Math.max(size, Math.abs(x), Math.abs(y));
  }
  return [difference, size > 0 ? difference / size : 0];
}

/**
 * The step-by-step difference of two histories (`GET /api/runs/{id}/history`) over the steps both have:
 * dWeight[i] and dGrad[i] are the largest |difference| of a weight and of a gradient at step i, `latest`
 * and `worst` those of the last common step and the largest over all of them, absolute and relative;
 * relWeights[i] and relLosses[i] the relative differences of the weights and of the loss at step i.
 */
export function diffHistories(a, b) {
  const names = Object.keys(a.params).filter((name) => name in b.params && name in a.grads && name in b.grads);
  const steps = Math.min(a.loss.length, b.loss.length);
  const dWeight = new Float64Array(steps);
  const dGrad = new Float64Array(steps);
  const relWeights = new Float64Array(steps);
  const relLosses = new Float64Array(steps);
  const relGrads = new Float64Array(steps);
  const latest = { step: steps - 1, dWeight: NaN, dGrad: NaN, relWeight: NaN, relGrad: NaN };
  const worst = { dWeight: 0, dGrad: 0, relWeight: 0, relGrad: 0, relLoss: 0 };
  for (let i = 0; i < steps; i++) {
    const [weight, relWeight] = largest(a.params, b.params, names, i);
    const [grad, relGrad] = largest(a.grads, b.grads, names, i);
    const [, relLoss] = largest({ loss: a.loss }, { loss: b.loss }, ["loss"], i);
    dWeight[i] = weight;
    dGrad[i] = grad;
    relWeights[i] = relWeight;
    relLosses[i] = relLoss;
    relGrads[i] = relGrad;
    worst.relLoss = Math.max(worst.relLoss, relLoss);
    Object.assign(latest, { dWeight: weight, dGrad: grad, relWeight, relGrad });
    worst.dWeight = Math.max(worst.dWeight, weight);
    worst.dGrad = Math.max(worst.dGrad, grad);
    worst.relWeight = Math.max(worst.relWeight, relWeight);
    worst.relGrad = Math.max(worst.relGrad, relGrad);
  }
  return { names, steps, lengths: [a.loss.length, b.loss.length], dWeight, dGrad, relWeights, relLosses, relGrads, latest, worst };
}

/** The rounding runs of these dtypes may differ by (ROUNDING; the coarser of the two). */
export function roundingOf(...dtypes) {
  return Math.max(...dtypes.map((dtype) => ROUNDING[dtype] ?? ROUNDING.float64));
}

/**
 * Whether two runs agree: null when at every common step the weights and the loss lie within `tolerance` of
 * each other and the gradients within GRADIENT_SLACK times that (each relative to the larger), else the first
 * step past it: {step, parts: [[what, relative difference], ...]} naming what differs there.
 */
export function firstDifference(diff, tolerance) {
  for (let i = 0; i < diff.steps; i++) {
    const parts = [
      ["the weights", diff.relWeights[i], tolerance],
      ["the gradients", diff.relGrads[i], tolerance * GRADIENT_SLACK],
      ["the loss", diff.relLosses[i], tolerance],
    ].filter(([, relative, allowed]) => relative > allowed);
    if (parts.length) return { step: i, parts: parts.map(([what, relative]) => [what, relative]) };
  }
  return null;
}

/**
 * Fetches both runs' histories about once a second while either still runs, and reports their difference;
 * once both have ended it fetches one last time (to hold every step) and rests.
 */
export class HistoryPoller {
  #isEnded;
  #onDiff;
  #ids = null;
  #timer = null;
  #generation = 0; // bumped on every watch(): an answer about runs no longer watched is dropped
  #ended = new Map(); // id -> history of a run that had ended before it was fetched: it will not change

  /** `isEnded(id)` tells whether a run will take no more steps; `onDiff(diff)` gets each difference. */
  constructor({ isEnded, onDiff }) {
    this.#isEnded = isEnded;
    this.#onDiff = onDiff;
  }

  /** Compares runs `a` and `b` from now on (either null: compare nothing). */
  watch(a, b) {
    this.#generation += 1;
    clearTimeout(this.#timer);
    this.#ids = a && b ? [a, b] : null;
    for (const id of this.#ended.keys()) if (!this.#ids?.includes(id)) this.#ended.delete(id); // can be large
    if (this.#ids) this.#tick(this.#generation);
  }

  async #tick(generation) {
    // Decided before the fetch, so that the fetch after a run's end holds its last step.
    const settled = this.#ids.every((id) => this.#isEnded(id));
    let histories;
    try {
      histories = await Promise.all(this.#ids.map((id) => this.#history(id, this.#isEnded(id))));
    } catch {
      histories = null; // the server restarted or forgot a run: try again at the next tick
    }
    if (generation !== this.#generation) return;
    if (histories) this.#onDiff(diffHistories(...histories));
    const longest = Math.max(0, ...(histories ?? []).map((history) => history.loss.length));
    const wait = Math.max(POLL_MS, longest / STEPS_PER_POLL_MS);
    if (!settled || !histories) this.#timer = setTimeout(() => this.#tick(generation), wait);
  }

  async #history(id, ended) {
    if (this.#ended.has(id)) return this.#ended.get(id);
    const history = await getHistory(id);
    if (ended) this.#ended.set(id, history);
    return history;
  }
}
