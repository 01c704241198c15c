// The runs the server remembers, newest first: engine, status, final loss, steps, start time. Filters by engine
// and status; a click follows a run; the runs this browser started (it holds their tokens) can be deleted.
// It does not know the REST API: main.js hands it `follow(runId)`, `remove(runId)` and `owns(runId)`.
import { formatCount, formatValue } from "../format.js";
import { Status } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";
import { describeEngine } from "./run_label.js";

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS = [
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** An ISO time from the server; one without a zone (read back from a database) is UTC. */
function parseTime(iso) {
  return new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

/** "3 minutes ago". */
function ago(time, now = Date.now()) {
  const seconds = (time - now) / 1000;
  const [unit, size] = UNITS.find(([, size]) => Math.abs(seconds) >= size) ?? UNITS.at(-1);
  return relative.format(Math.round(seconds / size), unit);
}

function cell(text, className = "") {
  return Object.assign(document.createElement("td"), { textContent: text, className });
}

/** Replaces a filter's options with "all" and `values`, keeping the choice while it still exists. */
function fillFilter(select, values) {
  const wanted = ["", ...values];
  if (JSON.stringify([...select.options].map((o) => o.value)) === JSON.stringify(wanted)) return;
  const chosen = select.value;
  select.replaceChildren(new Option("all", ""), ...values.map((value) => new Option(value, value)));
  select.value = values.includes(chosen) ? chosen : "";
}

export class RunList {
  #parts;
  #actions;
  #state = null;
  #drawn = null; // the runs array, filters and followed run of the last draw
  #requestDraw = oncePerFrame(() => this.#draw());

  /** @param {{follow: (id: string) => void, remove: (id: string) => Promise, owns: (id: string) => boolean}} actions */
  constructor(container, actions) {
    this.#actions = actions;
    const part = (name) => container.querySelector(`[data-${name}]`);
    this.#parts = {
      engine: part("runs-engine"),
      status: part("runs-status"),
      body: part("runs-body"),
      empty: part("runs-empty"),
      error: part("runs-error"),
    };
    for (const select of [this.#parts.engine, this.#parts.status]) select.addEventListener("change", this.#requestDraw);
    this.#parts.body.addEventListener("click", (event) => this.#clicked(event));
    this.#parts.body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.matches("tr")) this.#clicked(event);
    });
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#drawn = null; // the followed run changed: mark the new one
    this.#requestDraw();
  }

  #draw() {
    const runs = this.#state?.runs ?? [];
    const { engine, status, body, empty } = this.#parts;
    fillFilter(engine, [...new Set(runs.map((run) => run.engine))].sort());
    fillFilter(status, [...new Set(runs.map((run) => run.status))].sort());
    const drawn = { runs, engine: engine.value, status: status.value, followed: this.#state?.runId, minute: 0 };
    drawn.minute = Math.floor(Date.now() / 30000); // "2 minutes ago" moves on even when nothing else does
    if (this.#drawn && Object.keys(drawn).every((key) => drawn[key] === this.#drawn[key])) return;
    this.#drawn = drawn;
    const shown = runs.filter((run) => (!drawn.engine || run.engine === drawn.engine) && (!drawn.status || run.status === drawn.status));
    body.replaceChildren(...shown.map((run) => this.#row(run, drawn.followed)));
    empty.hidden = shown.length > 0;
    empty.textContent = runs.length === 0 ? "No runs yet." : "No run matches these filters.";
  }

  #row(run, followed) {
    const row = document.createElement("tr");
    Object.assign(row.dataset, { runId: run.id, engine: run.engine, status: run.status });
    row.tabIndex = 0;
    if (run.id === followed) row.setAttribute("aria-current", "true");
    const badge = Object.assign(document.createElement("span"), { className: "status-pill", textContent: run.status });
    badge.dataset.status = run.status;
    if (run.status === Status.UNREADABLE) row.title = run.message ?? ""; // why: there is nothing to open
    const started = run.started_at ?? run.created_at;
    const time = cell(started ? ago(parseTime(started)) : "", "muted");
    if (started) time.title = parseTime(started).toLocaleString(); // the local time, on hover
    const statusCell = cell("");
    statusCell.append(badge);
    const actions = cell("", "actions");
    if (this.#actions.owns(run.id)) {
      const button = Object.assign(document.createElement("button"), { type: "button", textContent: "Delete" });
      Object.assign(button.dataset, { delete: run.id });
      button.setAttribute("aria-label", `Delete run ${run.id}`);
      actions.append(button);
    }
    row.append(
      cell(describeEngine(run.config) || run.engine),
      statusCell,
      cell(run.loss == null ? "–" : formatValue(run.loss), "number"),
      cell(formatCount(run.steps_done ?? 0), "number"),
      time,
      actions,
    );
    return row;
  }

  async #clicked(event) {
    const button = event.target.closest("button[data-delete]");
    const row = event.target.closest("tr[data-run-id]");
    this.#parts.error.hidden = true;
    if (!button) {
      if (row?.dataset.status === Status.UNREADABLE) {
        this.#parts.error.textContent = row.title; // a run the server cannot read: say why instead of opening it
        this.#parts.error.hidden = false;
      } else if (row) this.#actions.follow(row.dataset.runId);
      return;
    }
    const runId = button.dataset.delete;
    if (!confirm(`Delete run ${runId} and its history? This cannot be undone.`)) return;
    button.disabled = true;
    try {
      await this.#actions.remove(runId);
    } catch (error) {
      if (error?.status === undefined) throw error; // a bug, not the server's answer
      this.#parts.error.textContent = error.message; // 409: still running; stop it first
      this.#parts.error.hidden = false;
      button.disabled = false;
    }
  }
}
