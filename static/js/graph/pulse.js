// The backward pass, swept at a pace people can follow: node after node in the order autograd ran them. The
// sweep only lights the way: the numbers are always the newest step's. A pass that arrives during a sweep is
// painted at once at the node the sweep has reached (so the graph never falls behind the weights beside it);
// when a sweep ends, the next one starts from the loss after a rest if newer passes came meanwhile.

const PULSE_MS = 2400; // one sweep, whatever the size of the graph...
const MIN_NODE_MS = 110; // ...but never so fast a node is a flicker
const MAX_NODE_MS = 320;
const REST_MS = 700; // between two sweeps, every gradient stays on screen

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

export class Pulse {
  #paint;
  #timer = null;
  #pass = null; // the newest pass: what is painted
  #index = -1; // the node the sweep has reached (−1: no sweep)
  #resting = false;
  #newer = false; // a pass arrived since the sweep began

  /** `paint(pass, index)`: node `index` of the pass's order is running; `order.length` means all done. */
  constructor(paint) {
    this.#paint = paint;
  }

  /** Whether a sweep (or the rest after one) is under way. */
  get playing() {
    return this.#timer !== null;
  }

  /** A new backward pass ({order, ...}): painted now, at the node the sweep has reached, or a sweep begins. */
  start(pass) {
    this.#pass = pass;
    if (reducedMotion.matches) {
      this.stop();
      this.#paint(pass, pass.order.length); // nothing moves: the pass is shown done at once
      return;
    }
    if (!this.playing) return this.#advance(0);
    this.#newer = true;
    this.#paint(pass, this.#resting ? pass.order.length : Math.min(this.#index, pass.order.length - 1));
  }

  /** Ends any sweep; the caller paints what it wants next. */
  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#index = -1;
    this.#resting = this.#newer = false;
  }

  #advance(index) {
    const pass = this.#pass;
    const n = pass.order.length;
    if (index === 0) this.#newer = false;
    if (index >= n) {
      this.#index = -1;
      this.#paint(pass, n);
      if (!this.#newer) return this.stop();
      // Rest with every number on screen, then sweep the newest pass (painted as it comes, meanwhile).
      this.#resting = true;
      this.#timer = setTimeout(() => ((this.#resting = false), this.#advance(0)), REST_MS);
      return;
    }
    this.#index = index;
    this.#paint(pass, index);
    const nodeMs = Math.min(MAX_NODE_MS, Math.max(MIN_NODE_MS, PULSE_MS / n));
    this.#timer = setTimeout(() => this.#advance(index + 1), nodeMs);
  }
}
