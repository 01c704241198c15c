// The two REST calls presenter mode makes, both with the run's control token (docs/protocol.md): sharing what
// the lecturer's screen shows, and changing a live run's pace. The pace route is newer than some servers.
import { tokenFor } from "../tokens.js";

/** Thrown when the server has no pace route yet (404 "Not Found" from the router itself, or 405). */
export class PaceUnsupported extends Error {
  constructor() {
    super("changing the pace needs a newer server");
    this.name = "PaceUnsupported";
  }
}

async function post(runId, what, body) {
  const token = tokenFor(runId);
  return fetch(`/api/runs/${encodeURIComponent(runId)}/${what}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { "X-Control-Token": token } : {}) },
    body: JSON.stringify(body),
  });
}

/** Tells the run's viewers what the lecturer shows: {panel, step, node, mode}; null when the server took it,
 * else why not (its answer's detail, or the network's failure: the caller sends it again later). */
export async function sharePresenterView(runId, state) {
  let response;
  try {
    response = await post(runId, "presenter", state);
  } catch {
    return "the server cannot be reached";
  }
  if (response.ok) return null;
  const detail = (await response.json().catch(() => null))?.detail;
  return typeof detail === "string" ? detail : `the server answered ${response.status}`;
}

/** `POST /api/runs/{id}/pace {"pace": N}` (null: as fast as it goes); resolves to the run's RunInfo. */
export async function changePace(runId, pace) {
  const response = await post(runId, "pace", { pace });
  const payload = await response.json().catch(() => null);
  const unrouted = response.status === 405 || (response.status === 404 && payload?.detail === "Not Found");
  if (unrouted) throw new PaceUnsupported();
  if (!response.ok) {
    const detail = payload?.detail;
    throw new Error(typeof detail === "string" ? detail : `the server answered ${response.status}`);
  }
  return payload;
}

/** Paces the ± keys move along, in steps per second; null (last) is as fast as the run goes. */
const LADDER = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, null];

/** The next pace up (+1) or down (−1) from `pace` (null: unpaced, then `rate` says how fast it really goes). */
export function nextPace(pace, direction, rate = null) {
  const now = pace ?? rate ?? Infinity;
  if (direction > 0) return pace === null ? null : (LADDER.find((p) => p === null || p > now) ?? null);
  return [...LADDER].reverse().find((p) => p !== null && p < now) ?? LADDER[0];
}
