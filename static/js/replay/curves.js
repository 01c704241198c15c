// The model of each engine whose curve the page can redraw from its weights alone: a replayed step's fit comes
// from the history's weights, not from a stored curve. A model that is a sum of weights times powers of x says
// so itself (`powers` of GET /api/engines); the one other, the Legendre model, is written here as the server's
// torch_function.legendre_curve. A network records only one norm per tensor: its past fits cannot be redrawn.

/** a + b·P3(c + d·x), with the Legendre polynomial P3(z) = ½(5z³ − 3z) (torch_function.legendre_curve). */
function legendre({ a, b, c, d }, x) {
  const z = c + d * x;
  return a + b * 0.5 * (5 * z ** 3 - 3 * z);
}

const FORMULAS = { "torch-function": legendre };

/** Σ weight · Σ x^power over the weights the run has (a linear model has fewer than its engine names). */
function fromPowers(powers) {
  return (params, x) =>
    Object.entries(powers).reduce(
      (sum, [name, list]) => (name in params ? sum + params[name] * list.reduce((s, p) => s + x ** p, 0) : sum),
      0,
    );
}

/** The formula of an engine (its EngineInfo), or null. */
function formulaOf(engine) {
  if (engine?.powers) return fromPowers(engine.powers);
  return FORMULAS[engine?.name ?? ""] ?? null;
}

/** Whether the fit of a past step of `engine` (its EngineInfo) can be redrawn from its weights. */
export function canRedraw(engine) {
  return formulaOf(engine) !== null;
}

/** The model with weights `params` ({name: number}) on `xs`, or null for an engine without a formula. */
export function curveOf(engine, params, xs) {
  const formula = formulaOf(engine);
  return formula && xs ? Array.from(xs, (x) => formula(params, x)) : null;
}

/**
 * What the page shows at history row `index`: its step, loss, weights and gradient (the weights before that
 * step's update, with which its loss and gradient were computed), and the curve of those weights (null: none).
 */
export function replayFrame(history, index, engine, curveX) {
  // `engine`: the run's EngineInfo (GET /api/engines), null while the list has not come.
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
