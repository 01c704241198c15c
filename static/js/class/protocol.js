// The browser's mirror of the class part of docs/protocol.md: the class socket's messages and the addresses
// the class pages use. The run page's own messages stay in ../protocol.js.

/** The `type` of every message on `WS /ws/classes/{code}`. */
export const ClassMessage = Object.freeze({
  SNAPSHOT: "class_snapshot", // the class, which settings vary, and every run with every loss so far
  FRAME: "class_frame", // what is new since the last message, for every run at once
  PRESENTER: "presenter", // what the lecturer's class view shows, for those who follow it
});

/** Where a class's socket is. */
export function classSocketPath(code) {
  return `/ws/classes/${encodeURIComponent(code)}`;
}

/** A run's own page (read-only unless this browser started it). */
export function runPageUrl(runId) {
  return `/#run=${encodeURIComponent(runId)}`;
}

/** The class's REST address, or one of its sub-resources ("join", "runs", "presenter", "qr.svg"). */
export function classUrl(code, what = "") {
  return `/api/classes/${encodeURIComponent(code)}${what ? `/${what}` : ""}`;
}

/** The settings a class view can colour its curves by, the most telling first. */
export const COLOUR_FIELDS = Object.freeze([
  "learning_rate",
  "engine",
  "zero_grad",
  "optimizer",
  "reduction",
  "seed",
  "steps",
  "dtype",
  "noise",
  "points",
  "target",
  "layers",
]);

/** Settings whose values are numbers spread over decades: coloured on a logarithmic scale. */
export const LOG_FIELDS = new Set(["learning_rate", "noise"]);
