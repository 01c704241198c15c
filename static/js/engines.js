// What the page knows of an engine comes from `GET /api/engines` (in the store as `engines`): never a copy here.
import { CUBIC_MODEL, DEFAULT_TARGET, PARAM_NAMES } from "./protocol.js";

/** The EngineInfo named `name`, or null while the list has not arrived (or for an engine it lacks). */
export function findEngine(engines, name) {
  return engines.find((engine) => engine.name === name) ?? null;
}

/** The model text and weight names of a run's engine ("y = a + b P3(c + d x)"), the cubic until known. */
export function modelOf(engines, run) {
  const engine = run ? findEngine(engines, run.config?.engine ?? run.engine) : null;
  return { model: engine?.model ?? CUBIC_MODEL, names: engine?.param_names ?? run?.param_names ?? PARAM_NAMES };
}

/** The formula a run learns: its config's `target`, or sin(x) on a server that predates the field. */
export function targetOf(run) {
  return run?.config?.target ?? DEFAULT_TARGET;
}
