// The class's runs as a table: who, the setting that varies, status, step and the latest loss (the final one
// once a run has ended), sortable by any column. A row's name opens the run; pointing at or focusing a row
// singles its curve out on the chart. Rows are kept and updated in place (hundreds of runs, a few updates a
// second), and redrawn at most once per animation frame.
import { formatCount, formatValue } from "../format.js";
import { ENDED } from "../protocol.js";
import { oncePerFrame } from "../views/animation_frame.js";
import { colourField, fieldLabel, valueText } from "./colours.js";
import { runPageUrl } from "./protocol.js";
import { latestLoss, settingOf } from "./store.js";

const LOSSES_MS = 500;

/** The sort keys of the table's columns, and how each compares two runs (missing values last). */
const COLUMNS = ["name", "setting", "loss", "step", "status"];

function nameOf(run) {
  return run.name || run.student || run.id;
}

/** A run's sort value for `key`: a number or a string; null sorts last either way. */
function sortValue(run, key, field, cls) {
  if (key === "name") return nameOf(run).toLowerCase();
  if (key === "setting") {
    const value = field ? settingOf(run, field, cls) : null;
    return value ?? null;
  }
  if (key === "status") return run.status;
  const last = latestLoss(run);
  if (key === "step") return run.losses.length;
  return run.status === "diverged" || !last ? null : last.loss;
}

export class ClassTable {
  #table;
  #body;
  #heads;
  #onSort;
  #onSelect;
  #rows = new Map(); // run id -> {row, cells}
  #order = "";
  #state = null;
  #colouring = null;
  #request = oncePerFrame(() => this.#draw());
  #lastDraw = -Infinity; // performance.now() of the last draw
  #timer = null;
  #shownChoice = ""; // the sort and the highlighted rows last drawn: a change of them is drawn at once

  #onStop;

  /**
   * `onSort(key, descending)` when a heading is pressed; `onSelect(runId | null)` as rows are pointed at;
   * `onStop(runId)`, given only to the lecturer, puts a Stop button beside each run that is going.
   */
  constructor(table, { onSort, onSelect, onStop = null }) {
    this.#onStop = onStop;
    this.#table = table;
    this.#body = table.querySelector("tbody");
    this.#onSort = onSort;
    this.#onSelect = onSelect;
    this.#heads = new Map(
      [...table.querySelectorAll("th[data-sort]")].map((th) => {
        th.querySelector("button").addEventListener("click", () => {
          const { key, descending } = this.#state.sort;
          this.#onSort(th.dataset.sort, key === th.dataset.sort ? !descending : false);
        });
        return [th.dataset.sort, th];
      }),
    );
    this.#body.addEventListener("pointerleave", () => this.#onSelect(null));
  }

  /**
   * `colouring` is the chart's (colours.js), so a row's swatch is its curve's colour. New losses are drawn at
   * most every LOSSES_MS (laying out hundreds of rows costs far more than the chart's new points; the chart is
   * what moves), a new sort or highlighted row on the next frame.
   */
  update(state, colouring) {
    this.#state = state;
    this.#colouring = colouring;
    const choice = JSON.stringify([state.sort, state.selected, state.own, state.colourBy, state.runs.size]);
    const wait = this.#lastDraw + LOSSES_MS - performance.now();
    if (choice !== this.#shownChoice || wait <= 0) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#request();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#request();
      }, wait);
    }
  }

  reset() {}

  #draw() {
    const state = this.#state;
    this.#lastDraw = performance.now();
    this.#shownChoice = JSON.stringify([state.sort, state.selected, state.own, state.colourBy, state.runs.size]);
    const field = colourField(state.varying, state.colourBy, state.cls);
    this.#table.querySelector("[data-setting-head]").textContent = fieldLabel(field);
    const { key, descending } = state.sort;
    for (const [name, th] of this.#heads) {
      th.setAttribute("aria-sort", name === key ? (descending ? "descending" : "ascending") : "none");
    }
    const runs = [...state.runs.values()];
    const values = new Map(runs.map((run) => [run.id, sortValue(run, key, field, state.cls)]));
    runs.sort((a, b) => {
      const x = values.get(a.id);
      const y = values.get(b.id);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      const order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    for (const run of runs) this.#fill(this.#row(run), run, field);
    for (const [id, { row }] of this.#rows) {
      if (!state.runs.has(id)) {
        row.remove();
        this.#rows.delete(id);
      }
    }
    const order = runs.map((run) => run.id).join(" ");
    if (order !== this.#order) {
      this.#order = order;
      this.#body.append(...runs.map((run) => this.#rows.get(run.id).row));
    }
    this.#table.dataset.rows = runs.length;
    for (const { row } of this.#rows.values()) {
      row.classList.toggle("selected", row.dataset.run === state.selected);
      row.classList.toggle("own", row.dataset.run === state.own);
    }
  }

  #row(run) {
    let entry = this.#rows.get(run.id);
    if (entry) return entry;
    const row = document.createElement("tr");
    row.dataset.run = run.id;
    const cells = Object.fromEntries(COLUMNS.map((column) => [column, document.createElement("td")]));
    const swatch = Object.assign(document.createElement("span"), { className: "swatch" });
    swatch.setAttribute("aria-hidden", "true");
    const link = Object.assign(document.createElement("a"), { href: runPageUrl(run.id) });
    cells.name.append(swatch, link);
    cells.step.className = cells.loss.className = "number";
    const status = document.createElement("span");
    cells.status.append(status);
    let stop = null;
    if (this.#onStop) {
      stop = Object.assign(document.createElement("button"), { type: "button", className: "stop", textContent: "Stop" });
      stop.setAttribute("aria-label", `Stop the run of ${nameOf(run)}`);
      stop.addEventListener("click", (event) => {
        event.stopPropagation(); // not the row's click, which opens the run
        stop.disabled = true;
        this.#onStop(run.id);
      });
      cells.status.append(stop);
    }
    row.append(...COLUMNS.map((column) => cells[column]));
    // The whole row opens the run; the link inside is what keys and screen readers reach.
    row.addEventListener("click", (event) => {
      if (event.target !== link) link.click();
    });
    row.addEventListener("pointerenter", () => this.#onSelect(run.id));
    link.addEventListener("focus", () => this.#onSelect(run.id));
    entry = { row, cells, swatch, link, status, stop, shown: {} };
    this.#rows.set(run.id, entry);
    return entry;
  }

  /** Writes a row's texts, touching only those that changed. */
  #fill(entry, run, field) {
    const last = latestLoss(run);
    const ended = ENDED.has(run.status);
    const texts = {
      name: nameOf(run),
      setting: field ? valueText(settingOf(run, field, this.#state.cls)) : "",
      status: run.status,
      step: formatCount(run.losses.length),
      loss: run.status === "diverged" ? "diverged" : last ? `${formatValue(last.loss)}${ended ? "" : " …"}` : "—",
    };
    for (const [column, text] of Object.entries(texts)) {
      if (entry.shown[column] === text) continue;
      entry.shown[column] = text;
      if (column === "name") entry.link.textContent = text;
      else if (column === "status") entry.status.textContent = text;
      else entry.cells[column].textContent = text;
    }
    const colour = this.#colouring.colourOf(run);
    if (entry.swatch.dataset.colour !== colour) {
      entry.swatch.dataset.colour = colour;
      entry.swatch.style.background = colour; // CSSOM, which the page's style policy allows
    }
    entry.row.dataset.status = run.status;
    if (entry.stop) entry.stop.hidden = ended;
  }
}
