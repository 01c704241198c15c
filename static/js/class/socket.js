// A class's WebSocket: every message into the store; after a drop, a new connection whose snapshot replaces
// what the page held (so nothing is counted twice); after a frame that skipped losses, the same. A class
// that does not exist, or a page the server refuses, is not asked again.
import { CloseCode, Connection } from "../protocol.js";
import { classSocketPath } from "./protocol.js";

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 8000;
const FINAL = new Set([CloseCode.UNKNOWN_RUN, CloseCode.FOREIGN_ORIGIN, CloseCode.POLICY, CloseCode.UNSUPPORTED]);

export class ClassSocket {
  #code;
  #onMessage;
  #onConnection;
  #socket = null;
  #retryMs = FIRST_RETRY_MS;
  #timer = null;

  /** `onMessage(msg)` gets every message; `onConnection(state)` each Connection; `gap()` says losses are missing. */
  constructor(code, { onMessage, onConnection }) {
    this.#code = code;
    this.#onMessage = onMessage;
    this.#onConnection = onConnection;
  }

  open() {
    this.#onConnection(Connection.CONNECTING);
    this.#connect();
  }

  close() {
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
  }

  /** Starts over with a fresh snapshot: the page lacks losses a frame took for granted. */
  resync() {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = null;
    socket.close();
    this.#connect();
  }

  #connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${classSocketPath(this.#code)}`);
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      if (socket !== this.#socket) return;
      const msg = JSON.parse(event.data);
      if (msg.type === "class_snapshot") {
        this.#retryMs = FIRST_RETRY_MS;
        this.#onConnection(Connection.LIVE);
      }
      this.#onMessage(msg);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.#socket) return;
      if (FINAL.has(event.code)) {
        this.#onConnection(event.code === CloseCode.UNKNOWN_RUN ? Connection.UNKNOWN_RUN : Connection.REFUSED);
        this.#socket = null;
        return;
      }
      this.#onConnection(Connection.RECONNECTING);
      this.#timer = setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
    });
  }
}
