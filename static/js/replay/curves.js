// The model of each engine whose curve the page can redraw from its weights alone, written as the server's own
// `predict` (app/engines/*.py): a replayed step's fit comes from the history's weights, not from a stored curve.
// A network records only one norm per tensor, so its past fits cannot be redrawn: it has no entry here.

/** a + b·x + c·x² + d·x³: the lecture's cubic. */
function cubic({ a, b, c, d }, x) {
  return a + x * (b + x * (c + x * d));
}

/** a + b·P3(c + d·x), with the Legendre polynomial P3(z) = ½(5z³ − 3z) (torch_function.legendre_curve). */
function legendre({ a, b, c, d }, x) {
  const z = c + d * x;
  return a + b * 0.5 * (5 * z ** 3 - 3 * z);
}

/** The dynamic net at its widest, as the server draws it (dynamic_net.widest): e weighs both x⁴ and x⁵. */
function widest({ a, b, c, d, e }, x) {
  return a + b * x + c * x ** 2 + d * x ** 3 + e * x ** 4 + e * x ** 5;
}

/** b + w1·x + w2·x² + w3·x³, as many terms as the run has weights (linear.polynomial). */
function polynomial({ b, w1 = 0, w2 = 0, w3 = 0 }, x) {
  return b + x * (w1 + x * (w2 + x * w3));
}

const FORMULAS = {
  linear: polynomial,
  "linear-torch": polynomial,
  numpy: cubic,
  "torch-tensors": cubic,
  "torch-autograd": cubic,
  "tiny-autograd": cubic,
  "torch-nn": cubic,
  "torch-optim": cubic,
  "torch-function": legendre,
  "dynamic-net": widest,
};

/** Whether the fit of a past step of `engine` can be redrawn from its weights. */
export function canRedraw(engine) {
  return Object.hasOwn(FORMULAS, engine ?? "");
}

/** The model with weights `params` ({name: number}) on `xs`, or null for an engine without a formula here. */
export function curveOf(engine, params, xs) {
  const formula = canRedraw(engine) ? FORMULAS[engine] : null;
  return formula && xs ? Array.from(xs, (x) => formula(params, x)) : null;
}

/**
 * What the page shows at history row `index`: its step, loss, weights and gradient (the weights before that
 * step's update, with which its loss and gradient were computed), and the curve of those weights (null: none).
 */
export function replayFrame(history, index, engine, curveX) {
  const pick = (columns) => Object.fromEntries(Object.entries(columns ?? {}).map(([name, values]) => [name, values[index]]));
  const params = pick(history.params);
  return {
    index,
    step: history.step[index],
    last: history.step.length - 1,
    loss: history.loss[index],
    params,
    grads: pick(history.grads),
    curve: curveOf(engine, params, curveX),
  };
}
