// The lecturer's side of "follow the lecturer": every change of the enlarged panel, the stepper's position,
// the inspected node and the graph's mode is sent to the run's viewers at once, then at most once per
// INTERVAL_MS while changes keep coming (the last one always goes), one request at a time so they arrive in
// order. A running graph is redrawn many times a second without changing what it shows: a change is sent
// only when the state differs from the last one the server took, so frames never hold a send back.
import { ENDED } from "../protocol.js";

const INTERVAL_MS = 100;
const RETRY_MS = 2000; // after a refusal or a lost request: try again, but do not hammer the server

const SHOWN = "your view is shown to everyone following";
const ENDED_NOTE = "the run has ended: students who follow it keep the view you had at its end";

export class PresenterShare {
  #read;
  #send;
  #active;
  #note;
  #timer = null;
  #busy = false; // a request is on its way: the next one waits for its answer
  #sent = ""; // the JSON of [runId, state] the server last took
  #nextAt = 0; // performance.now() before which nothing more is sent
  #failure = null; // why the last request was not taken (null: it was, or none was made)
  #status = null;

  /**
   * `active()`: whether to share now (presenter mode on, this browser holds the run's token); `read()` gives
   * {runId, state}; `send(runId, state)` posts it and resolves to null when taken, else to why not. `graph`
   * is the graph panel's element, watched for changes; `note` says whether the students really see it.
   */
  constructor({ active, read, send, graph, note = null }) {
    this.#active = active;
    this.#read = read;
    this.#send = send;
    this.#note = note;
    new MutationObserver(() => this.changed()).observe(graph, {
      attributes: true,
      subtree: true,
      attributeFilter: ["data-step-index", "data-mode", "data-node"], // the inspector's data-node too
    });
    this.#say();
  }

  /** A view of the store: a new run, its status, the token, all change what is shared and what the note says. */
  update(state) {
    this.#status = state.status;
    this.#say();
    this.changed();
  }

  reset() {
    this.#failure = null;
    this.#status = null;
    this.#say();
  }

  /** Something the lecturer shows may have changed: send it now, or as soon as the interval allows. */
  changed() {
    if (this.#timer !== null || this.#busy || this.#due() === null) return; // a send due reads the state then
    const wait = this.#nextAt - performance.now();
    // At once, within the key or click: the request leaves before the page lays out what changed (enlarging
    // a panel takes the main thread for a while), not after.
    if (wait <= 0) this.#flush();
    else
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#flush();
      }, wait);
  }

  /** What is to be sent ({runId, state, text}), or null when nothing is (not sharing, or nothing new). */
  #due() {
    if (!this.#active()) return null;
    const { runId, state } = this.#read();
    const text = JSON.stringify([runId, state]);
    return runId && text !== this.#sent ? { runId, state, text } : null;
  }

  async #flush() {
    const due = this.#due();
    if (!due) return;
    this.#busy = true;
    this.#nextAt = performance.now() + INTERVAL_MS;
    let failure;
    try {
      failure = await this.#send(due.runId, due.state);
    } catch (error) {
      failure = error.message;
    } finally {
      this.#busy = false;
    }
    if (failure) this.#nextAt = performance.now() + RETRY_MS;
    else this.#sent = due.text;
    this.#failure = failure || null;
    this.#say();
    this.changed(); // what changed while the request was on its way (or the retry of a refused one)
  }

  /** The bar's promise, kept true: shown to the followers only while the server takes it and the run goes on. */
  #say() {
    if (!this.#note) return;
    const ended = ENDED.has(this.#status);
    const text = this.#failure ? `your view is not reaching the students: ${this.#failure}` : ended ? ENDED_NOTE : SHOWN;
    if (this.#note.textContent !== text) this.#note.textContent = text; // not rewritten with every frame
    this.#note.dataset.shared = !this.#failure && !ended;
  }
}
