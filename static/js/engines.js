// What the page knows of an engine comes from `GET /api/engines` (in the store as `engines`): never a copy here.
import { describeLayers } from "./layers.js";
import {
  CUBIC_MODEL,
  DEFAULT_TARGET,
  LECTURE_NET,
  NETWORK_ENGINE,
  NETWORK_ENGINES,
  PARAM_NAMES,
  RunConfigField,
} from "./protocol.js";

/** What a two-input engine learns instead of a formula (it reads no `target`). */
export const TEACHER_TARGET = "the outputs of a teacher network drawn from the seed";

/** The EngineInfo named `name`, or null while the list has not arrived (or for an engine it lacks). */
export function findEngine(engines, name) {
  return engines.find((engine) => engine.name === name) ?? null;
}

function engineOf(run) {
  return run?.config?.engine ?? run?.engine ?? null;
}

/** How many inputs an engine's model takes: 1 (y = f(x)) unless the server says otherwise. */
export function inputsOf(engines, name) {
  return findEngine(engines, name)?.inputs ?? 1;
}

/**
 * The model text and weight names of a run's engine ("y = a + b P3(c + d x)"), the cubic until known. A run's
 * own names come first: a network's depend on its layers, and the engine list names the default network's.
 */
export function modelOf(engines, run) {
  const engine = run ? findEngine(engines, engineOf(run)) : null;
  const names = run?.param_names ?? engine?.param_names ?? PARAM_NAMES;
  // A linear model's features are its run's: one weight per power of x, b first ("y = b + w1 x + w2 x²").
  const linear = engine?.switches?.includes(RunConfigField.DEGREE) && run?.param_names;
  const model = linear ? `y = ${names.map((name, power) => `${name}${POWER_TEXT[power]}`).join(" + ")}` : engine?.model;
  return { model: model ?? CUBIC_MODEL, names };
}

const POWER_TEXT = ["", " x", " x²", " x³"];

/**
 * The degree of a run's model where it is a polynomial whose weights are its coefficients, from x⁰ up (the
 * lecture's cubic a..d, a linear model's b, w1, ...): least squares finds the weights it heads for. Else null.
 */
export function polynomialDegreeOf(engines, run) {
  const powers = (run ? findEngine(engines, engineOf(run)) : null)?.powers;
  if (!powers || !run?.param_names?.length) return null;
  // The run's weights multiply x⁰, x¹, ... in their order, one power each: a polynomial of the last one's degree.
  const ordered = run.param_names.every((name, i) => powers[name]?.length === 1 && powers[name][0] === i);
  return ordered ? run.param_names.length - 1 : null;
}

/** The layers of a run of the network engine ([16, "tanh"]), or null for any other run (or none). */
export function layersOf(run) {
  return engineOf(run) === NETWORK_ENGINE ? (run.config?.layers ?? null) : null;
}

/** Whether a run's (or a named engine's) weights are tensors, shown as one norm each. */
export function isNetwork(run) {
  return NETWORK_ENGINES.has(engineOf(run));
}

/** "1 → 16 → Tanh → 1", "2 → 3 → Sigmoid → 2": a network run's architecture, or null for any other run. */
export function architectureOf(run) {
  if (engineOf(run) === LECTURE_NET.name) {
    return describeLayers(LECTURE_NET.layers, LECTURE_NET.inputs, LECTURE_NET.outputs);
  }
  const layers = layersOf(run);
  return layers ? describeLayers(layers) : null;
}

/** What a run learns: its config's `target` (sin(x) on a server that predates the field), or a teacher's outputs. */
export function targetOf(run, engines) {
  if (inputsOf(engines, engineOf(run)) > 1) return TEACHER_TARGET;
  return run?.config?.target ?? DEFAULT_TARGET;
}
