// The page's one state object. Every change goes through apply(msg): server messages (see protocol.js) and
// the page's own messages (Local), so the views never have to know where a change came from.
import { Connection, ENDED, MessageType } from "./protocol.js";

/** Messages the page itself applies, beside the server's. */
export const Local = Object.freeze({
  JOIN: "join", // { runId }: forget everything and follow this run (null: no run)
  RUN_INFO: "run-info", // { run }: a RunInfo answered by the REST API
  CONNECTION: "connection", // { state }: the socket's state, one of protocol.js's Connection
});

function emptyState(runId) {
  return {
    runId,
    run: null, // the latest RunInfo: config, id, created_at
    status: null,
    message: null,
    connection: null,
    data: null, // { x, y }: the training set as drawn
    truth: null, // { x, y }: sin(x) on the drawing grid
    curveX: null,
    curve: null, // the current cubic on curveX
    losses: [], // losses[i] is the loss of step i, every one of them, none twice
    step: -1, // the last step recorded
    params: null,
    grads: null,
    rate: null, // steps per second over the last second
  };
}

export class Store {
  #state = emptyState(null);
  #listeners = new Set();

  get state() {
    return this.#state;
  }

  /** Calls `listener(state)` after every change; returns the function that unsubscribes it. */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  apply(msg) {
    const state = this.#state;
    switch (msg.type) {
      case Local.JOIN:
        this.#state = emptyState(msg.runId);
        break;
      case Local.RUN_INFO:
        if (msg.run.id !== state.runId) return;
        state.run = msg.run;
        this.#setStatus(msg.run.status, msg.run.message);
        break;
      case Local.CONNECTION:
        state.connection = msg.state;
        // The server no longer knows this run (it restarted): whatever status it had is gone with it.
        if (msg.state === Connection.UNKNOWN_RUN) Object.assign(state, { status: null, message: null });
        break;
      case MessageType.SNAPSHOT:
        Object.assign(state, {
          run: msg.run,
          data: msg.data,
          truth: msg.truth,
          curveX: msg.curve_x,
          curve: msg.curve,
          step: msg.step,
          params: msg.params,
          grads: msg.grads,
        });
        this.#setStatus(msg.run.status, msg.run.message);
        this.#placeLosses(msg.loss_from, msg.loss);
        break;
      case MessageType.FRAME:
        Object.assign(state, {
          step: msg.step,
          params: msg.params,
          grads: msg.grads,
          curve: msg.curve,
          rate: msg.rate,
        });
        this.#setStatus(msg.status, state.message);
        this.#placeLosses(msg.from, msg.loss);
        break;
      case MessageType.STATUS:
        this.#setStatus(msg.status, msg.message);
        break;
      default:
        return; // a message type this page does not know yet: ignore it rather than break
    }
    for (const listener of this.#listeners) listener(this.#state);
  }

  #setStatus(status, message) {
    // A late REST answer must not bring an ended run back to life.
    if (ENDED.has(this.#state.status) && !ENDED.has(status)) return;
    this.#state.status = status;
    this.#state.message = message ?? null;
  }

  /**
   * Puts the losses of steps from, from+1, ... in place: a resent overlap replaces, never doubles.
   * `from` never lies past the end: every socket asks with since = the number of losses held.
   */
  #placeLosses(from, values) {
    const losses = this.#state.losses;
    losses.length = Math.min(losses.length, from);
    for (const value of values) losses.push(value); // not push(...values): a snapshot may hold 1e5 of them
  }
}
