// The REST calls the page makes (docs/protocol.md, "REST"). Failures become ApiError, with FastAPI's
// validation errors sorted by the field they name so the form can show each next to its input.
import { Command } from "./protocol.js";
import { forgetToken, saveToken, tokenFor } from "./tokens.js";

class ApiError extends Error {
  /**
   * @param {string} message what went wrong, for people
   * @param {number} status the HTTP status (0 when the server could not be reached)
   * @param {Record<string, string>} fields messages keyed by the RunConfig field they are about
   */
  constructor(message, status, fields = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
  }
}

/**
 * Messages about one entry of a list field (`loc: ["body", "layers", 1, "int"]`, one per type the entry
 * could have been) become one: 'entry 2 ("gelu"): Input should be a valid integer, …; or Input should be …'.
 */
function entryMessages(problems) {
  const entries = new Map();
  for (const { loc, msg, input } of problems) {
    const key = loc[2];
    if (!entries.has(key)) entries.set(key, { input, messages: [] });
    entries.get(key).messages.push(msg);
  }
  return [...entries].map(([index, { input, messages }]) => {
    const typed = input === undefined ? "" : ` (${JSON.stringify(input)})`;
    return `entry ${index + 1}${typed}: ${messages.join("; or ")}`;
  });
}

/** FastAPI's `detail`: a string, or a list of `{loc: ["body", field, ...], msg}`. */
function errorFromDetail(detail, status) {
  if (!Array.isArray(detail)) return new ApiError(String(detail ?? `HTTP ${status}`), status);
  const messages = {}; // field -> its messages
  const entries = {}; // field -> problems with one of its list's entries
  const general = [];
  for (const problem of detail) {
    const { loc = [], msg } = problem;
    const field = loc[0] === "body" ? loc[1] : undefined;
    if (typeof field !== "string") general.push(msg);
    else if (Number.isInteger(loc[2])) (entries[field] ??= []).push(problem);
    else (messages[field] ??= []).push(msg);
  }
  const fields = {};
  for (const field of new Set([...Object.keys(messages), ...Object.keys(entries)])) {
    fields[field] = [...(messages[field] ?? []), ...entryMessages(entries[field] ?? [])].join("; ");
  }
  return new ApiError(general.join("; ") || "Please correct the marked fields.", status, fields);
}

async function send(method, path, body, headers = {}) {
  try {
    return await fetch(path, {
      method,
      headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("The server cannot be reached.", 0);
  }
}

async function request(method, path, body, headers = {}) {
  return payloadOf(await send(method, path, body, headers));
}

async function payloadOf(response) {
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw errorFromDetail(payload?.detail, response.status);
  return payload;
}

/** Starts a run; `config` holds only the RunConfig fields the user set. Resolves to its RunInfo. */
export async function createRun(config) {
  const run = await request("POST", "/api/runs", config);
  saveToken(run.id, run.control_token);
  return run;
}

/** Sends pause, resume, step or stop; resolves to the run's RunInfo. */
export function sendCommand(runId, command) {
  if (!Object.values(Command).includes(command)) throw new Error(`not a run command: ${command}`);
  const token = tokenFor(runId);
  return request("POST", `/api/runs/${encodeURIComponent(runId)}/${command}`, undefined, {
    ...(token ? { "X-Control-Token": token } : {}),
  });
}

/** `POST /api/runs/{id}/pace`: a live run's new pace in steps/s (null: as fast as it goes); resolves to its RunInfo. */
export function setPace(runId, pace) {
  const token = tokenFor(runId);
  return request("POST", `/api/runs/${encodeURIComponent(runId)}/pace`, { pace }, {
    ...(token ? { "X-Control-Token": token } : {}),
  });
}

/** Every engine with its model, whether it keeps `.grad`, and the source lines of one step. */
export function listEngines() {
  return request("GET", "/api/engines");
}

// The run list last answered and its ETag. Sent back as If-None-Match, an unchanged list costs the server a 304
// with no body, and this page keeps the list it has: a hall of pages asking every few seconds costs next to nothing.
let listed = { etag: null, runs: null };

/** The runs the server remembers, newest first: the very array of the last answer while the list is unchanged. */
export async function listRuns() {
  const response = await send("GET", "/api/runs", undefined, listed.etag ? { "If-None-Match": listed.etag } : {});
  if (response.status === 304 && listed.runs !== null) return listed.runs;
  const runs = await payloadOf(response);
  listed = { etag: response.headers.get("ETag"), runs };
  return runs;
}

/** A run's every step as columns: step, loss, params{name: [...]}, grads{name: [...]}. */
export function getHistory(runId) {
  return request("GET", `/api/runs/${encodeURIComponent(runId)}/history`);
}

/** One step of a run's history: the same columns as getHistory, one entry each (none past its last step). */
export function getHistoryRow(runId, step) {
  return request("GET", `/api/runs/${encodeURIComponent(runId)}/history?start=${encodeURIComponent(step)}&limit=1`);
}

/**
 * The autograd graph at `step` of a run: the one captured at the nearest framed step at or before it,
 * `{requested, step, next_step, shape, values}`; an ApiError with status 404 when none was kept by then.
 */
export function getGraphAt(runId, step) {
  return request("GET", `/api/runs/${encodeURIComponent(runId)}/graph?step=${encodeURIComponent(step)}`);
}

/** The target presets, `[{name, formula}]`, from the address the page was given (none on older servers). */
export function listTargets(path) {
  return request("GET", path);
}

/** Deletes a run this browser started (its token goes along); a running one is answered 409. */
export async function deleteRun(runId) {
  const token = tokenFor(runId);
  await request("DELETE", `/api/runs/${encodeURIComponent(runId)}`, undefined, token ? { "X-Control-Token": token } : {});
  forgetToken(runId);
}

/** Sends a file from `GET /api/runs/{id}/export` back; resolves to the new run's RunInfo (a new id). */
export async function importRun(content) {
  const run = await request("POST", "/api/runs/import", content);
  if (run.control_token) saveToken(run.id, run.control_token); // should the server hand the importer one
  return run;
}

// ---- Lectures (docs/protocol.md, "Lectures"): scenes as data, and the session students follow. ----

/** `GET /api/lectures`: [{name, title, scenes, error, line}]. */
export function listLectures() {
  return request("GET", "/api/lectures");
}

/** `GET /api/lectures/{name}`: {title, source, scenes}. */
export function getLecture(name) {
  return request("GET", `/api/lectures/${encodeURIComponent(name)}`);
}

/** Starts teaching a lecture: a session at its first scene; its token is kept in this browser, as a run's is. */
export async function startLectureSession(name) {
  const session = await request("POST", `/api/lectures/${encodeURIComponent(name)}/sessions`);
  saveToken(`lecture:${session.id}`, session.token);
  return session;
}

/** Whether this browser moves the session (it started it). */
export function leadsSession(sessionId) {
  return tokenFor(`lecture:${sessionId}`) !== null;
}

/** Shows scene `index` with its runs to everyone following the session. */
export function moveLectureSession(sessionId, { index, run, compare }) {
  const token = tokenFor(`lecture:${sessionId}`);
  return request("POST", `/api/lecture-sessions/${encodeURIComponent(sessionId)}/scene`, { index, run, compare }, {
    ...(token ? { "X-Control-Token": token } : {}),
  });
}

/** The session's scene once it has moved past `version` (the server answers within 25 s either way). */
export function followLectureSession(sessionId, version) {
  return request("GET", `/api/lecture-sessions/${encodeURIComponent(sessionId)}?after=${version}`);
}
