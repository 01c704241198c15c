// What a run's config means to the page beyond its fields: the learning rate the server fills in for a blank
// one (its table is in the page, app/web/pages.py), and what carries over when a config moves to another engine.
import { inputsOf } from "./engines.js";
import { NETWORK_ENGINE } from "./protocol.js";

/** The η the server picks for a blank field: `rates[engine][reduction][optimizer]`, or undefined if unknown. */
export function defaultRate(rates, { engine, reduction, optimizer }) {
  return rates?.[engine]?.[reduction]?.[optimizer];
}

/** Whether `rate` is the server's own pick for `config`, not one the user typed (equal to rounding). */
export function isDefaultRate(rates, config) {
  const rate = defaultRate(rates, config);
  return rate !== undefined && Math.abs(config.learning_rate - rate) <= 1e-12 * Math.abs(rate);
}

/** Fields a run's config holds as null when its engine does not read them (lecture-net: app/run_config.py). */
const UNREAD_WHEN_NULL = ["target", "layers"];

/**
 * `config` (a run's, every field filled in by the server) with `changes`, as a new run's request. The first
 * engine's default η would make another engine diverge (torch-mlp's Adam rate on plain SGD) or crawl, so a
 * default is left out for the server to pick the new engine's own; a typed rate is kept. Fields the new
 * engine does not read are left out too, so the new run's config shows only what applies to it; and so are
 * those the first engine did not read (null): the new engine gets its defaults.
 */
export function twinConfig(config, changes, { engines, rates }) {
  const twin = { ...config, ...changes };
  if (isDefaultRate(rates, config)) delete twin.learning_rate;
  if (twin.engine !== NETWORK_ENGINE) delete twin.layers;
  if (inputsOf(engines, twin.engine) > 1) delete twin.target;
  for (const name of UNREAD_WHEN_NULL) if (twin[name] === null) delete twin[name];
  return twin;
}
