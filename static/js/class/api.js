// The class's REST calls (docs/protocol.md, "Classes") and the tokens they need: a student's, kept per class
// so a reload or a second tab rejoins as the same student, and the lecturer's class control token.
import { saveToken } from "../tokens.js";
import { classUrl } from "./protocol.js";

const STUDENT = "autograd-live:student:"; // + code -> {student, student_token, name}
const CONTROL = "autograd-live:class-control:"; // + code -> the class's control token
const memory = new Map(); // when storage is off, for this page's life

function load(key) {
  try {
    return localStorage.getItem(key) ?? memory.get(key) ?? null;
  } catch {
    return memory.get(key) ?? null;
  }
}

function forget(key) {
  memory.delete(key);
  try {
    localStorage.removeItem(key);
  } catch {
    // storage off: the in-memory copy was all there was
  }
}

function keep(key, value) {
  memory.set(key, value);
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage off: the in-memory copy serves until the page is closed
  }
}

/** What went wrong, for people, with the fields a 422 names (as the run page's ApiError). */
class ClassError extends Error {
  constructor(message, status, fields = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

async function request(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ClassError("The server cannot be reached.", 0);
  }
  const payload = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const detail = payload?.detail;
    if (!Array.isArray(detail)) throw new ClassError(String(detail ?? `HTTP ${response.status}`), response.status);
    const fields = {};
    for (const { loc = [], msg } of detail) {
      // The field the message is about: the innermost name (["body", "settings", "steps"] is about steps).
      const name = loc[0] === "body" ? loc.slice(1).filter((part) => typeof part === "string").pop() : undefined;
      if (name) fields[name] = msg;
    }
    throw new ClassError(detail.map((d) => d.msg).join("; "), response.status, fields);
  }
  return payload;
}

/** The class and its runs' summaries. */
export function getClass(code) {
  return request("GET", classUrl(code));
}

const names = new Map(); // code -> the name the student typed, for the join that Start may make

/** The name to join the class under when this browser joins it (empty: the class numbers the student). */
export function setStudentName(code, name) {
  names.set(code, name.trim());
}

/** This browser's student in the class, if it has joined it (null: not yet). */
export function savedStudent(code) {
  const saved = load(STUDENT + code);
  return saved ? JSON.parse(saved) : null;
}

/** This browser's student in the class: joined once (under the name typed, if any), then the same on every
 * visit. */
export async function studentOf(code) {
  const saved = savedStudent(code);
  if (saved) return saved;
  const name = names.get(code);
  const student = await request("POST", classUrl(code, "join"), name ? { name } : {});
  keep(STUDENT + code, JSON.stringify(student));
  return student;
}

const fixedFields = new Map(); // code -> the settings the class fixes: a student's run never sends them

/** The settings the class fixes (the class's own values apply to them), as the class page learnt them. */
export function setFixedFields(code, names) {
  fixedFields.set(code, new Set(names));
}

/** The settings the class fixes, as far as the page has learnt them (none yet: an empty set). */
export function fixedFieldsOf(code) {
  return new Set(fixedFields.get(code) ?? []);
}

/** Starts this student's run in the class; resolves to its RunInfo (its control token kept, as a run's is). */
export async function createClassRun(code, config) {
  const fixed = fixedFieldsOf(code);
  const free = Object.fromEntries(Object.entries(config).filter(([name]) => !fixed.has(name)));
  const start = async () => {
    const student = await studentOf(code);
    return request("POST", classUrl(code, "runs"), free, { "X-Student-Token": student.student_token });
  };
  let run;
  try {
    run = await start();
  } catch (error) {
    if (error.status !== 403) throw error;
    // The server no longer knows this browser's student (another server, a database started afresh): join anew.
    forget(STUDENT + code);
    run = await start();
  }
  saveToken(run.id, run.control_token);
  return run;
}

/** Keeps the class's control token (shown once, when the class is opened). */
export function saveClassToken(code, token) {
  keep(CONTROL + code, token);
}

/** The class's control token, or null in a browser that did not open the class. */
export function classTokenFor(code) {
  return load(CONTROL + code);
}

/** Opens a class: `{title, settings, free}`; resolves to the class with its control token (kept here). */
export async function openClass(body, lecturerKey = null) {
  const made = await request("POST", "/api/classes", body, lecturerKey ? { "X-Lecturer-Key": lecturerKey } : {});
  saveClassToken(made.code, made.control_token);
  return made;
}

/** Stops a student's run (the lecturer's class token); resolves to its RunInfo. */
export function stopClassRun(code, runId) {
  const token = classTokenFor(code);
  return request("POST", classUrl(code, `runs/${encodeURIComponent(runId)}/stop`), undefined, token ? { "X-Control-Token": token } : {});
}

/** Tells the class view's followers what the lecturer's shows; null when taken, else why not. */
export async function shareClassView(code, state) {
  const token = classTokenFor(code);
  try {
    await request("POST", classUrl(code, "presenter"), state, token ? { "X-Control-Token": token } : {});
    return null;
  } catch (error) {
    return error.message;
  }
}
