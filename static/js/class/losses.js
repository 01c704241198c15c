// A run's losses as the class view holds them: a growable Float64Array (hundreds of runs × thousands of steps
// stay compact and fast to draw), written at the step each message says it starts at, so a loss sent twice
// lands on itself and is never counted twice.

const FIRST_CAPACITY = 256;

export class Losses {
  #values = new Float64Array(FIRST_CAPACITY);
  #length = 0;

  get length() {
    return this.#length;
  }

  /** The loss of step `index` (undefined past the last one held). */
  at(index) {
    return index >= 0 && index < this.#length ? this.#values[index] : undefined;
  }

  /** The losses held, as a view of the array (no copy): valid until the next write. */
  get values() {
    return this.#values.subarray(0, this.#length);
  }

  /**
   * Writes `losses` from step `start` on; returns false (writing nothing) when `start` leaves a gap after the
   * last step held: the page lacks losses it can only get from a new snapshot.
   */
  write(start, losses) {
    if (start > this.#length) return false;
    const end = start + losses.length;
    if (end > this.#values.length) {
      let capacity = this.#values.length;
      while (capacity < end) capacity *= 2;
      const grown = new Float64Array(capacity);
      grown.set(this.#values.subarray(0, this.#length));
      this.#values = grown;
    }
    for (let i = 0; i < losses.length; i++) this.#values[start + i] = toNumber(losses[i]);
    this.#length = Math.max(this.#length, end);
    return true;
  }
}

/** A loss as JSON brings it: a number, or null / "NaN" / "Infinity" for a run that blew up. */
function toNumber(value) {
  if (typeof value === "number") return value;
  if (value === "Infinity" || value === "inf") return Infinity;
  return NaN;
}
