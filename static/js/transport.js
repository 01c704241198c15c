// One run's WebSocket: joins with ?since=<losses held>, hands every message on, and reconnects with backoff
// after a drop until the server has sent the run's final status, unless the server refused the page for good.
import { CloseCode, Connection, MessageType, runSocketPath } from "./protocol.js";

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 8000;
const SERVER_ERROR_RETRIES = 3; // a database hiccup passes; a run that cannot be read fails every time

/** Closes that asking again cannot cure: the same page would ask the same thing. */
const REFUSALS = new Set([
  CloseCode.FOREIGN_ORIGIN,
  CloseCode.BAD_SINCE,
  CloseCode.UNSUPPORTED,
  CloseCode.TOO_BIG,
  CloseCode.POLICY,
]);

/**
 * What follows a socket closed before the run's final status, by its close code and the count of server errors
 * in a row (this one included): RECONNECTING to try again, or the Connection the page stays in. Drops, restarts
 * (1012) and anything unknown are retried; a server error a few times; refusals never.
 */
export function afterClose(code, serverErrors = 0) {
  if (code === CloseCode.UNKNOWN_RUN) return Connection.UNKNOWN_RUN;
  if (REFUSALS.has(code)) return Connection.REFUSED;
  if (code === CloseCode.SERVER_ERROR && serverErrors > SERVER_ERROR_RETRIES) return Connection.FAILED;
  return Connection.RECONNECTING;
}

export class RunSocket {
  #runId;
  #since;
  #onMessage;
  #onConnection;
  #socket = null; // the socket being listened to; null once closed on purpose
  #retryMs = FIRST_RETRY_MS;
  #retryTimer = null;
  #serverErrors = 0; // server errors (1011) in a row, with no snapshot between
  #done = false;

  /**
   * `since()` counts the losses the page holds; it is asked again on every (re)connect, so the server sends
   * exactly what the page lacks. `onMessage(msg)` gets every message, `onConnection(state)` each Connection.
   */
  constructor(runId, { since, onMessage, onConnection }) {
    this.#runId = runId;
    this.#since = since;
    this.#onMessage = onMessage;
    this.#onConnection = onConnection;
  }

  open() {
    this.#onConnection(Connection.CONNECTING);
    this.#connect();
  }

  /** Stops following the run for good (the page moved to another run). */
  close() {
    this.#done = true;
    clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    this.#socket = null; // so its close event is not taken for a drop
    socket?.close();
  }

  #connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${runSocketPath(this.#runId, this.#since())}`);
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      if (socket === this.#socket) this.#receive(JSON.parse(event.data));
    });
    socket.addEventListener("close", (event) => this.#closed(socket, event.code));
  }

  #receive(msg) {
    if (msg.type === MessageType.SNAPSHOT) {
      this.#retryMs = FIRST_RETRY_MS; // a connection that got this far was a good one
      this.#serverErrors = 0;
      this.#onConnection(Connection.LIVE);
    }
    if (msg.type === MessageType.STATUS && msg.final) this.#done = true;
    this.#onMessage(msg);
  }

  #closed(socket, code) {
    if (socket !== this.#socket) return; // a socket this object already let go
    if (this.#done) {
      this.#onConnection(Connection.ENDED);
      return;
    }
    this.#serverErrors = code === CloseCode.SERVER_ERROR ? this.#serverErrors + 1 : 0;
    const next = afterClose(code, this.#serverErrors);
    this.#onConnection(next);
    if (next !== Connection.RECONNECTING) {
      this.#done = true;
      return;
    }
    this.#retryTimer = setTimeout(() => this.#connect(), this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
  }
}
