// A run's config in the page's address (`/#config=<JSON>`), so a link can mean "start the same run yourself":
// opening it fills the form and starts nothing. Only the fields that differ from the server's defaults go in,
// which keeps the link short enough for a QR code or a chat message.
import { findEngine } from "./engines.js";
import { twinConfig } from "./run_config.js";

const PARAM = "config";

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields of a run's `config` (every field filled in by the server) that someone would have to type to get
 * the same run: those that differ from `defaults` (or from its engine's own, `engines[].defaults`) and that its
 * engine reads. A learning rate the server picked is left out (twinConfig), and so is the seed only when the
 * defaults name the same one.
 */
export function sharedConfig(config, defaults, { engines, rates }) {
  const wanted = twinConfig(config, {}, { engines, rates });
  const own = { ...defaults, ...findEngine(engines, config.engine)?.defaults }; // dynamic-net's 30000 steps, ...
  return Object.fromEntries(Object.entries(wanted).filter(([name, value]) => !same(value, own[name])));
}

/** The page's absolute address that fills the form with `config` (see sharedConfig). */
export function configLink(config, origin = location.origin) {
  const params = new URLSearchParams({ [PARAM]: JSON.stringify(config) });
  return `${origin}/#${params}`;
}

/** The config an address names (`#config=...`), or null when it names none or cannot be read. */
export function configFromAddress(hash = location.hash) {
  const text = new URLSearchParams(hash.replace(/^#/, "")).get(PARAM);
  if (!text) return null;
  try {
    const config = JSON.parse(text);
    return config && typeof config === "object" && !Array.isArray(config) ? config : null;
  } catch {
    return null; // a link cut short by a chat program: fill nothing rather than fail
  }
}
