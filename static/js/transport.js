// One run's WebSocket: joins with ?since=<losses held>, hands every message on, and reconnects with backoff
// after a drop until the server has sent the run's final status.
import { CLOSE_UNKNOWN_RUN, Connection, MessageType, runSocketPath } from "./protocol.js";

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 8000;

export class RunSocket {
  #runId;
  #since;
  #onMessage;
  #onConnection;
  #socket = null; // the socket being listened to; null once closed on purpose
  #retryMs = FIRST_RETRY_MS;
  #retryTimer = null;
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
      this.#onConnection(Connection.LIVE);
    }
    if (msg.type === MessageType.STATUS && msg.final) this.#done = true;
    this.#onMessage(msg);
  }

  #closed(socket, code) {
    if (socket !== this.#socket) return; // a socket this object already let go
    if (code === CLOSE_UNKNOWN_RUN) {
      this.#done = true;
      this.#onConnection(Connection.UNKNOWN_RUN);
    } else if (this.#done) {
      this.#onConnection(Connection.ENDED);
    } else {
      this.#onConnection(Connection.RECONNECTING);
      this.#retryTimer = setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
    }
  }
}
