// Plays a replay forward at a chosen speed: one move per animation frame, as far as the time since the last
// frame allows at that speed, so 1000 steps/s skips steps rather than falling behind.

export class Player {
  #onStep;
  #onEnd;
  #frame = null; // the pending animation frame while playing
  #position = 0; // fractional history row
  #last = 0;
  #speed = 0; // rows per second
  #then = 0;

  /** `onStep(index)` after every move; `onEnd()` once the last row has been shown. */
  constructor({ onStep, onEnd }) {
    this.#onStep = onStep;
    this.#onEnd = onEnd;
  }

  get playing() {
    return this.#frame !== null;
  }

  /** Plays from row `from` (the first one again when already at the end) to row `last`, `speed` rows a second. */
  play(from, last, speed) {
    this.pause();
    this.#position = from >= last ? 0 : from;
    this.#last = last;
    this.#speed = speed;
    this.#then = performance.now();
    this.#frame = requestAnimationFrame((now) => this.#tick(now));
  }

  pause() {
    if (this.#frame !== null) cancelAnimationFrame(this.#frame);
    this.#frame = null;
  }

  #tick(now) {
    this.#position += (this.#speed * Math.max(0, now - this.#then)) / 1000;
    this.#then = now;
    const index = Math.min(this.#last, Math.floor(this.#position));
    if (index >= this.#last) {
      this.#frame = null;
      this.#onStep(this.#last);
      this.#onEnd();
      return;
    }
    this.#frame = requestAnimationFrame((next) => this.#tick(next));
    this.#onStep(index);
  }
}
