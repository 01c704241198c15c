// One line that answers "what is the run doing?": status, progress, speed, settings, and why it ended badly.
import { formatCount, formatInputNumber, formatRate } from "../format.js";
import { Connection, DEFAULT_TARGET, Status } from "../protocol.js";
import { oncePerFrame } from "./animation_frame.js";
import { describeEngine } from "./run_label.js";

const CONNECTION_NOTES = {
  [Connection.CONNECTING]: "connecting…",
  [Connection.RECONNECTING]: "connection lost, reconnecting…",
  [Connection.UNKNOWN_RUN]: "the server has no run with this id",
  [Connection.REFUSED]: "the server refused to send this run to this page",
  [Connection.FAILED]: "the server could not send this run (its log says why); reload to try again",
};

/** Statuses whose message is the point: shown as an alert, not a footnote. */
const ALARMING = new Set([Status.DIVERGED, Status.FAILED]);

/** The run's status, or what stands in for it before the server has told one. */
function shownStatus(state) {
  if (state?.status) return state.status;
  if (!state?.runId) return "no run";
  if (state.connection === Connection.UNKNOWN_RUN) return "not found";
  const unavailable = state.connection === Connection.REFUSED || state.connection === Connection.FAILED;
  return unavailable ? "unavailable" : "joining";
}

/** "numpy · η 1e-6 (sum) · seed 7", and whatever else differs from the lecture: enough to run it again. */
function describeSettings(state) {
  const config = state?.run?.config;
  if (config) {
    const rate = formatInputNumber(config.learning_rate);
    const parts = [describeEngine(config), `η ${rate} (${config.reduction})`, `seed ${config.seed}`];
    if (config.dtype && config.dtype !== "float64") parts.push(config.dtype);
    if (config.noise > 0) parts.push(`noise σ ${formatInputNumber(config.noise)}`);
    if (config.target && config.target !== DEFAULT_TARGET) parts.push(`target ${config.target}`);
    return parts.join(" · ");
  }
  return ""; // before a run, the sentence under the bar says what Start does
}

export class StatusLine {
  #container;
  #parts; // name -> element, from the [data-part] skeleton in the page
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(container) {
    this.#container = container;
    const parts = [...container.querySelectorAll("[data-part]")];
    this.#parts = Object.fromEntries(parts.map((element) => [element.dataset.part, element]));
    this.reset();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#draw();
  }

  #draw() {
    const state = this.#state;
    const config = state?.run?.config;
    const status = shownStatus(state);
    this.#container.dataset.status = status;
    this.#container.dataset.step = state?.step ?? -1;
    this.#parts.status.textContent = status;
    // A count of steps done, where the weights panel names steps from 0 as the lecture's loop does.
    const done = config ? `${formatCount(state.step + 1)} of ${formatCount(config.steps)} steps` : "";
    this.#parts.progress.textContent = done;
    const running = status === Status.RUNNING && state.rate != null;
    this.#parts.rate.textContent = running ? formatRate(state.rate) : "";
    this.#parts.settings.textContent = describeSettings(state);
    this.#parts.connection.textContent = CONNECTION_NOTES[state?.connection] ?? "";
    const message = state?.message ?? "";
    this.#parts.message.textContent = message;
    this.#parts.message.hidden = !message;
    this.#parts.message.classList.toggle("alarming", ALARMING.has(status));
  }
}
