// When a frame arrives, the code panel walks through one step's phases (forward, loss, backward, ...) in the
// order the engine's loop runs them. Frames come up to 30 times a second, far faster than anyone can read a
// highlight, so a sweep is never cut short: frames that arrive during one start the next when it ends.

const SWEEP_SHARE = 0.8; // of the time between two frames, so a slow run's sweep ends before its next frame
const MIN_PHASE_MS = 120; // readable from the back of a hall; a fast run sweeps continuously at this pace
const MAX_PHASE_MS = 400; // a slow run (a step a second or less) still sweeps briskly, then rests
const FIRST_INTERVAL_MS = 1000;

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

export class PhaseSweep {
  #paint;
  #phases = [];
  #timer = null;
  #index = -1; // the phase being shown; -1 when no sweep runs
  #queued = false; // a frame arrived during the sweep: sweep again once it ends
  #lastFrameAt = null;
  #interval = FIRST_INTERVAL_MS; // between frames, smoothed

  /** `paint(current, done)` shows the phase being run (or null) and the phases this step has finished. */
  constructor(paint) {
    this.#paint = paint;
  }

  /** The phases of the shown engine's step, in the order its loop runs them; stops any sweep. */
  setPhases(phases) {
    this.stop();
    this.#phases = phases;
  }

  /** A frame has arrived: one more step has been taken. */
  frame() {
    const now = performance.now();
    if (this.#lastFrameAt !== null) this.#interval = 0.7 * this.#interval + 0.3 * (now - this.#lastFrameAt);
    this.#lastFrameAt = now;
    if (reducedMotion.matches || this.#phases.length === 0) {
      this.#paint(null, new Set(this.#phases)); // nothing moves: the step is shown as done at once
      return;
    }
    if (this.#index >= 0) this.#queued = true;
    else this.#advance(0);
  }

  /** Forgets the sweep and every mark (another engine or another run is shown). */
  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#index = -1;
    this.#queued = false;
    this.#lastFrameAt = null;
    this.#interval = FIRST_INTERVAL_MS;
    this.#paint(null, new Set());
  }

  #advance(index) {
    if (index >= this.#phases.length) {
      // The step is over: every phase stays marked done until the next frame (a paused run rests here).
      this.#index = -1;
      this.#paint(null, new Set(this.#phases));
      if (this.#queued) {
        this.#queued = false;
        this.#timer = setTimeout(() => this.#advance(0), this.#phaseMs() / 2);
      }
      return;
    }
    this.#index = index;
    this.#paint(this.#phases[index], new Set(this.#phases.slice(0, index)));
    this.#timer = setTimeout(() => this.#advance(index + 1), this.#phaseMs());
  }

  #phaseMs() {
    const share = (this.#interval * SWEEP_SHARE) / this.#phases.length;
    return Math.min(MAX_PHASE_MS, Math.max(MIN_PHASE_MS, share));
  }
}
