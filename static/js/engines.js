// What the page knows of an engine comes from `GET /api/engines` (in the store as `engines`): never a copy here.
import { CUBIC_MODEL, DEFAULT_TARGET, NETWORK_ENGINE, PARAM_NAMES } from "./protocol.js";

/** The EngineInfo named `name`, or null while the list has not arrived (or for an engine it lacks). */
export function findEngine(engines, name) {
  return engines.find((engine) => engine.name === name) ?? null;
}

/**
 * The model text and weight names of a run's engine ("y = a + b P3(c + d x)"), the cubic until known. A run's
 * own names come first: a network's depend on its layers, and the engine list names the default network's.
 */
export function modelOf(engines, run) {
  const engine = run ? findEngine(engines, run.config?.engine ?? run.engine) : null;
  return { model: engine?.model ?? CUBIC_MODEL, names: run?.param_names ?? engine?.param_names ?? PARAM_NAMES };
}

/** The layers of a run of the network engine ([16, "tanh"]), or null for any other run (or none). */
export function layersOf(run) {
  const engine = run?.config?.engine ?? run?.engine;
  return engine === NETWORK_ENGINE ? (run.config?.layers ?? null) : null;
}

/** The formula a run learns: its config's `target`, or sin(x) on a server that predates the field. */
export function targetOf(run) {
  return run?.config?.target ?? DEFAULT_TARGET;
}
