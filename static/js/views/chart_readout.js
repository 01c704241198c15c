// A chart's read-out: the numbers under the pointer (the step, its loss, the weights that gave it), in a small
// box over the plot. The keyboard reaches it too: the plot takes focus, ← → move one point (Shift: ten),
// Home and End jump to the ends, and the box speaks its text (role "status"). A view says what to read at an x
// (`read`) and which x the keys step through (`positions`); the weights of a past step come from the ended
// run's history, or one row of it asked for from the server (`WeightsAt`).
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { formatValue } from "../format.js";

const GAP = 12; // px between the pointer's line and the box
const ASK_AFTER_MS = 150; // a pointer sweeping across the chart asks for no row until it rests
const KEPT_ROWS = 500;

export class ChartReadout {
  #container;
  #plot = null;
  #box;
  #read;
  #positions;
  #index = null; // the keyboard's place in positions(), null while the pointer leads

  /**
   * `container`: the chart's .plot; `read(x)` → {lines: [text, ...], data: {step, loss, ...}} for the point
   * nearest data value x, or null; `positions()` → the sorted x values the keys step through.
   */
  constructor(container, { read, positions, label }) {
    this.#container = container;
    this.#read = read;
    this.#positions = positions;
    this.#box = document.createElement("div");
    this.#box.className = "chart-readout";
    this.#box.setAttribute("role", "status");
    this.#box.hidden = true;
    container.dataset.readout = "";
    container.tabIndex = 0;
    container.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight Home End");
    container.title = `${label}: point at it, or focus it and use ← →, for the numbers at a step`;
    container.addEventListener("keydown", (event) => this.#key(event));
    container.addEventListener("focus", () => this.#move(this.#index ?? Infinity));
    container.addEventListener("blur", () => {
      this.#index = null;
      this.#plot?.setCursor({ left: -10, top: -10 });
    });
  }

  /** Binds the read-out to its uPlot (made with this read-out's `moved` as its cursor hook). */
  attach(plot) {
    this.#plot = plot;
    plot.over.append(this.#box);
  }

  /** uPlot's cursor moved (the pointer, the keys, or new data under a resting pointer): read at its x. */
  moved(plot) {
    const { left } = plot.cursor;
    const found = left != null && left >= 0 ? this.#read(plot.posToVal(left, "x")) : null;
    this.#box.hidden = !found;
    const dataset = this.#container.dataset;
    if (!found) {
      dataset.readout = "";
      return;
    }
    this.#box.replaceChildren(
      ...found.lines.map((text, i) =>
        Object.assign(document.createElement("span"), { textContent: text, className: i > 1 ? "readout-weights" : "" }),
      ),
    );
    // What is read, as numbers, for tests and anyone reading the page's markup.
    dataset.readout = JSON.stringify(found.data);
    const width = plot.over.clientWidth;
    const right = left > width / 2;
    this.#box.style.left = right ? "" : `${left + GAP}px`;
    this.#box.style.right = right ? `${width - left + GAP}px` : "";
  }

  /** Shows the read-out again where it is (its numbers changed: a row arrived). */
  refresh() {
    if (this.#plot && !this.#box.hidden) this.moved(this.#plot);
  }

  #key(event) {
    const keys = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity };
    if (!(event.key in keys) || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation(); // the graph's stepper listens for ← → on the document
    const delta = keys[event.key] * (event.shiftKey ? 10 : 1);
    const positions = this.#positions();
    const at = this.#index ?? this.#nearest(positions);
    this.#move(Number.isFinite(delta) ? at + delta : delta);
  }

  /** Index of the point nearest the pointer's line, or the last. */
  #nearest(positions) {
    const left = this.#plot?.cursor.left;
    if (left == null || left < 0) return positions.length - 1;
    const x = this.#plot.posToVal(left, "x");
    let best = positions.length - 1;
    positions.forEach((p, i) => Math.abs(p - x) < Math.abs(positions[best] - x) && (best = i));
    return best;
  }

  /** Puts the cursor on point `index` of positions() (clamped; ±Infinity: an end). */
  #move(index) {
    const positions = this.#positions();
    const plot = this.#plot;
    if (!plot || positions.length === 0) return;
    this.#index = Math.min(positions.length - 1, Math.max(0, index === Infinity ? positions.length : index));
    const left = plot.valToPos(positions[this.#index], "x");
    plot.setCursor({ left, top: plot.bbox.height / uPlot.pxRatio / 2 });
  }
}

/** "a = 0.012345 · b = 0.84 …": the weights of one step, each kept whole on a line that may wrap between them. */
export function weightsLine(names, values) {
  if (!values) return "weights: …";
  return names.map((name) => `${name}\u00a0=\u00a0${formatValue(values[name])}`).join(" · ");
}

/**
 * The weights of any step of the followed run: from its history once it has ended (every step is there), else
 * asked of the server one row at a time, after the pointer rests; `arrived()` is called when one comes.
 */
export class WeightsAt {
  #fetchRow;
  #waiting = null; // the step whose row is asked for once the pointer has rested
  #arrived;
  #rows = new Map(); // "runId:step" → {name: value}
  #timer = null;

  constructor(fetchRow, arrived) {
    this.#fetchRow = fetchRow;
    this.#arrived = arrived;
  }

  /** The weights before step `step`'s update (those its loss was computed with), or undefined while asked. */
  at(state, step) {
    const history = state.history;
    if (history && step < history.loss.length) {
      return Object.fromEntries(Object.entries(history.params).map(([name, column]) => [name, column[step]]));
    }
    if (!state.runId || !(step >= 0)) return undefined;
    const key = `${state.runId}:${step}`;
    if (this.#rows.has(key)) return this.#rows.get(key);
    // Asked again for the same step on every frame of a live run: that keeps the wait, it does not restart it.
    if (key === this.#waiting) return undefined;
    clearTimeout(this.#timer);
    this.#waiting = key;
    this.#timer = setTimeout(() => {
      this.#waiting = null;
      this.#ask(state.runId, step, key);
    }, ASK_AFTER_MS);
    return undefined;
  }

  async #ask(runId, step, key) {
    let row;
    try {
      row = await this.#fetchRow(runId, step);
    } catch {
      return; // the run is gone or the server busy: the read-out keeps saying "…"
    }
    if (!row?.loss?.length) return;
    if (this.#rows.size >= KEPT_ROWS) this.#rows.delete(this.#rows.keys().next().value);
    this.#rows.set(key, Object.fromEntries(Object.entries(row.params).map(([name, column]) => [name, column[0]])));
    this.#arrived();
  }
}

/** The index of the value of ascending `xs` nearest `x` (-1 when xs is empty). */
export function nearestIndex(xs, x) {
  if (!xs?.length) return -1;
  let low = 0;
  let high = xs.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (xs[middle] <= x) low = middle;
    else high = middle;
  }
  return Math.abs(xs[high] - x) < Math.abs(xs[low] - x) ? high : low;
}

/** 0, 1, … count − 1: the steps of a loss history, for the keys. */
export function range(count) {
  return Array.from({ length: count }, (_, i) => i);
}
