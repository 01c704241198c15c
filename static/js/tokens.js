// The control tokens of the runs this browser started: the server answers pause, resume, step, stop and delete
// only to the holder (X-Control-Token), so everyone else who opens the link watches read-only.
const PREFIX = "autograd-live:control:";
const fallback = new Map(); // when storage is off (private windows, strict settings), for this page's life

/** Keeps the token that steers `runId`. */
export function saveToken(runId, token) {
  fallback.set(runId, token);
  try {
    localStorage.setItem(PREFIX + runId, token);
  } catch {
    // storage unavailable: the in-memory copy serves until the page is closed
  }
}

/** The token that steers `runId`, or null when this browser did not start it. */
export function tokenFor(runId) {
  if (!runId) return null;
  try {
    return localStorage.getItem(PREFIX + runId) ?? fallback.get(runId) ?? null;
  } catch {
    return fallback.get(runId) ?? null;
  }
}

/** Drops the token of a run that is gone. */
export function forgetToken(runId) {
  fallback.delete(runId);
  try {
    localStorage.removeItem(PREFIX + runId);
  } catch {
    // storage unavailable: the in-memory copy was all there was
  }
}
