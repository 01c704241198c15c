// The class view's one state: the class, which settings vary, every run with its losses, the lecturer's shared
// view, and the view's own choices (colour by, sort, the run singled out). Socket messages and the page's own
// actions go through apply(); views read `state` and redraw at most once per animation frame.
import { ClassMessage } from "./protocol.js";
import { Losses } from "./losses.js";

/** Messages the page makes itself (the socket's come from ClassMessage). */
export const ClassLocal = Object.freeze({
  CONNECTION: "local:connection", // {state}: connecting, live, reconnecting ...
  COLOUR_BY: "local:colour-by", // {field}: null lets the view choose
  SORT: "local:sort", // {key, descending}
  SELECT: "local:select", // {runId}: the run singled out (null: none)
  OWN: "local:own", // {runId}: this browser's own run, highlighted
  FOLLOW: "local:follow", // {on}: follow the lecturer's view or browse alone
});

/** A run as the class view holds it: its summary and its losses. */
function runFrom(summary) {
  const losses = new Losses();
  losses.write(0, summary.losses ?? []);
  return {
    id: summary.id,
    student: summary.student ?? null,
    name: summary.name ?? null,
    status: summary.status,
    message: summary.message ?? null,
    config: summary.config ?? {},
    losses,
  };
}

export class ClassStore {
  #listeners = [];

  state = {
    code: null,
    cls: null, // {code, title, settings, free, created_at}
    varying: [],
    runs: new Map(), // id -> run, in the order they joined
    // Bumped whenever what was drawn may be wrong, not merely short: a new snapshot, a run gone, another colour
    // chosen. The chart redraws whole on a new epoch (or new colours), else draws on only the new losses.
    epoch: 0,
    version: 0, // bumped on every change
    gap: false, // a frame skipped losses the page never had: the socket asks for a new snapshot
    connection: null,
    presenter: null, // the lecturer's shared view (a new object per message)
    colourBy: null,
    sort: { key: "loss", descending: false },
    selected: null,
    own: null,
    following: true,
  };

  constructor(code) {
    this.state.code = code;
  }

  subscribe(listener) {
    this.#listeners.push(listener);
  }

  apply(msg) {
    const state = this.state;
    switch (msg.type) {
      case ClassMessage.SNAPSHOT:
        state.cls = msg.class;
        state.varying = msg.varying ?? [];
        state.runs = new Map(msg.runs.map((summary) => [summary.id, runFrom(summary)]));
        state.gap = false;
        if (msg.presenter !== undefined) state.presenter = msg.presenter;
        state.epoch++;
        break;
      case ClassMessage.FRAME:
        this.#frame(msg);
        break;
      case ClassMessage.PRESENTER:
        state.presenter = msg.state ?? null;
        break;
      case ClassLocal.CONNECTION:
        state.connection = msg.state;
        break;
      case ClassLocal.COLOUR_BY:
        state.colourBy = msg.field;
        state.epoch++;
        break;
      case ClassLocal.SORT:
        state.sort = { key: msg.key, descending: Boolean(msg.descending) };
        break;
      case ClassLocal.SELECT:
        state.selected = msg.runId;
        break;
      case ClassLocal.OWN:
        state.own = msg.runId;
        break;
      case ClassLocal.FOLLOW:
        state.following = Boolean(msg.on);
        break;
      default:
        return; // a message type from a newer server: nothing of this page's changes
    }
    state.version++;
    for (const listener of this.#listeners) listener(state);
  }

  #frame(msg) {
    const state = this.state;
    for (const summary of msg.added ?? []) {
      if (!state.runs.has(summary.id)) state.runs.set(summary.id, runFrom(summary)); // drawn on as any new loss
    }
    for (const id of msg.removed ?? []) {
      if (state.runs.delete(id)) state.epoch++;
    }
    for (const [id, change] of Object.entries(msg.runs ?? {})) {
      const run = state.runs.get(id);
      if (!run) {
        state.gap = true; // a run the page was never told of
        continue;
      }
      if (change.losses && !run.losses.write(change.start ?? run.losses.length, change.losses)) state.gap = true;
      if (change.status !== undefined) run.status = change.status; // its curve stays; its mark is redrawn anyway
      if (change.message !== undefined) run.message = change.message;
    }
    if (msg.varying) state.varying = msg.varying; // another colouring, if it changes the colours, redraws all
  }
}

/** A run's setting: its own value where it differs from the class's, else the class's (undefined: the server's). */
export function settingOf(run, field, cls) {
  if (run.config && field in run.config) return run.config[field];
  return cls?.settings?.[field];
}

/** The latest finite loss of a run and its step, or null before the first. */
export function latestLoss(run) {
  const values = run.losses.values;
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return { step: i, loss: values[i] };
  return null;
}
