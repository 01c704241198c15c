// One plain sentence of what is happening, for whoever has just pressed Start: "Step 340: the loss fell from
// 22,884 to 31.2; b is 0.812, heading for 0.857 (least squares)." A polynomial's weights (the cubic's, a linear
// model's) are compared with the least-squares fit through the drawn data, the point descent on the squared error
// approaches.
import { polynomialDegreeOf } from "../engines.js";
import { formatCount, formatValue } from "../format.js";
import { leastSquaresOf } from "../least_squares.js";
import { Status, ViewKind } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";

const IDLE = "Press Start: the fit, the loss, the weights and the autograd graph below move with every step.";

/** How the sentence opens, by status, for the step shown. */
const OPENINGS = {
  [Status.RUNNING]: (step) => `Step ${formatCount(step)}`,
  [Status.PAUSED]: (step) => `Paused at step ${formatCount(step)}`,
  [Status.FINISHED]: (step) => `Finished after ${formatCount(step + 1)} steps`,
  [Status.STOPPED]: (step) => `Stopped at step ${formatCount(step)}`,
  [Status.DIVERGED]: (step) => `Diverged at step ${formatCount(step)}`,
  [Status.INTERRUPTED]: (step) => `Interrupted at step ${formatCount(step)}`,
};

/** A loss as the sentence says it: three significant digits are what the eye takes in. */
function say(v) {
  return formatValue(Number(v.toPrecision(3)));
}

/** A weight as the sentence says it: three decimals, so a weight headed for 0 is said to be headed for 0. */
function sayWeight(v) {
  return Math.abs(v) < 100 ? formatValue(Number(v.toFixed(3))) : say(v);
}

function lossClause(losses) {
  const last = losses.at(-1);
  if (losses.length < 2) return `the loss is ${say(last)}`;
  const first = losses[0];
  const moved = last < first ? "fell" : last > first ? "rose" : "stayed";
  return moved === "stayed" ? `the loss stayed at ${say(last)}` : `the loss ${moved} from ${say(first)} to ${say(last)}`;
}

export class Narration {
  #element;
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(element) {
    this.#element = element;
    this.reset();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#draw();
  }

  /** The least-squares weights of the run's data, by name, when the run fits a polynomial to one input. */
  #leastSquares(state) {
    const degree = polynomialDegreeOf(state.engines, state.run);
    if (degree === null || !state.data?.x?.length || !(state.view == null || state.view.kind === ViewKind.FIT)) return null;
    const weights = leastSquaresOf(state.data, degree);
    return weights && Object.fromEntries(state.run.param_names.map((name, i) => [name, weights[i]]));
  }

  /** The weight furthest from where least squares puts it, and both numbers. */
  #weightClause(state, ended) {
    const target = this.#leastSquares(state);
    if (!target || !state.params) return "";
    const far = (n) => Math.abs(state.params[n] - target[n]);
    const [name] = Object.keys(target).sort((a, b) => far(b) - far(a));
    const [value, goal] = [sayWeight(state.params[name]), sayWeight(target[name])];
    this.#element.dataset.weight = name;
    this.#element.dataset.leastSquares = String(target[name]);
    return ended
      ? `; ${name} ended at ${value}, least squares gives ${goal}`
      : `; ${name} is ${value}, heading for ${goal} (least squares)`;
  }

  #draw() {
    const state = this.#state;
    delete this.#element.dataset.weight;
    delete this.#element.dataset.leastSquares;
    this.#element.dataset.step = state?.step ?? -1;
    if (!state?.runId) {
      this.#element.textContent = IDLE;
      return;
    }
    if (state.status === Status.QUEUED) {
      this.#element.textContent = "Waiting for a free training slot: the run starts by itself.";
      return;
    }
    const opening = OPENINGS[state.status];
    if (!opening || state.step < 0 || state.losses.length === 0) {
      this.#element.textContent = "";
      return;
    }
    const ended = state.status !== Status.RUNNING && state.status !== Status.PAUSED;
    const advice = state.status === Status.DIVERGED ? ". A smaller learning rate keeps the steps from overshooting." : ".";
    const weights = state.status === Status.DIVERGED ? "" : this.#weightClause(state, ended);
    this.#element.textContent = `${opening(state.step)}: ${lossClause(state.losses)}${weights}${advice}`;
  }
}
