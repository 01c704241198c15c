// The backward pass, replayed at a pace people can follow: node after node in the order autograd ran them.
// Graphs come with up to 30 frames a second; like the code panel's sweep, a pulse is never cut short: a graph
// that arrives during one waits, and only the newest waiting one is played when it ends.

const PULSE_MS = 2400; // one backward pass, whatever the size of the graph...
const MIN_NODE_MS = 110; // ...but never so fast a node is a flicker
const MAX_NODE_MS = 320;
const REST_MS = 700; // between two pulses, every gradient stays on screen

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

export class Pulse {
  #paint;
  #timer = null;
  #playing = null; // the pass being played: whatever `start` was given
  #index = -1;
  #waiting = null; // the newest pass that arrived during a pulse

  /** `paint(pass, index)`: node `index` of the pass's order is running; `order.length` means all done. */
  constructor(paint) {
    this.#paint = paint;
  }

  get playing() {
    return this.#playing !== null && this.#index >= 0;
  }

  /** A new backward pass ({order, ...}): played now, or when the one playing ends. */
  start(pass) {
    if (reducedMotion.matches) {
      this.#playing = null;
      this.#paint(pass, pass.order.length); // nothing moves: the pass is shown done at once
      return;
    }
    if (this.playing) this.#waiting = pass;
    else this.#advance(pass, 0);
  }

  /** Ends any pulse and forgets what waits; the caller paints what it wants next. */
  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#playing = null;
    this.#index = -1;
    this.#waiting = null;
  }

  #advance(pass, index) {
    this.#playing = pass;
    const n = pass.order.length;
    if (index >= n) {
      this.#index = -1;
      this.#paint(pass, n);
      const next = this.#waiting;
      this.#waiting = null;
      if (next) {
        this.#index = 0; // resting counts as playing: a pass that arrives now waits too
        this.#timer = setTimeout(() => this.#advance(next, 0), REST_MS);
      } else this.#playing = null;
      return;
    }
    this.#index = index;
    this.#paint(pass, index);
    const nodeMs = Math.min(MAX_NODE_MS, Math.max(MIN_NODE_MS, PULSE_MS / n));
    this.#timer = setTimeout(() => this.#advance(pass, index + 1), nodeMs);
  }
}
