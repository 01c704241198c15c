// The page's one state object. Every change goes through apply(msg): server messages (see protocol.js) and
// the page's own messages (Local), so the views never have to know where a change came from. The followed
// run's fields sit at the top; a second run, followed to compare with it, has the same fields under `compare`.
import { findEngine } from "./engines.js";
import { Connection, ENDED, FIT_VIEW, MessageType } from "./protocol.js";
import { replayFrame } from "./replay/curves.js";

/** Messages the page itself applies, beside the server's. */
export const Local = Object.freeze({
  JOIN: "join", // { runId, canControl }: forget the followed run, follow this one (null: none), steer it or not
  RUN_INFO: "run-info", // { run }: a RunInfo answered by the REST API
  CONNECTION: "connection", // { state }: the socket's state, one of protocol.js's Connection
  ENGINES: "engines", // { engines }: GET /api/engines, with each engine's model and code
  SELECT_ENGINE: "select-engine", // { engine, choice }: the engine the form names, its zero_grad, no_grad, reduction
  TARGETS: "targets", // { targets }: GET /api/targets, the target presets (none on an older server)
  RUNS: "runs", // { runs }: GET /api/runs, the runs one could compare with
  COMPARE_JOIN: "compare-join", // { runId }: follow this run beside the first (null: compare with none)
  COMPARED: "compared", // { msg }: any run message above, or a server message, about the compared run
  DIFF: "diff", // { diff }: the two runs' step-by-step difference (compare.js), or null
  HISTORY: "history", // { runId, history }: GET /api/runs/{id}/history of the followed run, once it has ended
  REPLAY: "replay", // { index, playing }: show history row `index` (null: the final view again)
  REPLAY_GRAPH: "replay-graph", // { runId, frame }: the graph of the replayed step (replay/graphs.js; null: none)
  LINK: "link", // { link }: what is pointed at or focused: {line} of the code, {param} a weight, {node} (null: none)
  LECTURE: "lecture", // { lecture }: lecture mode's state (lecture/lecture_mode.js), null when no lecture is open
});

function emptyRun(runId) {
  return {
    runId,
    run: null, // the latest RunInfo: config, id, created_at
    status: null,
    message: null,
    connection: null,
    view: null, // { kind, x_label, y_label }: how to read data, truth and curve (protocol.js ViewKind)
    data: null, // { x, y }: the training set as drawn
    truth: null, // { x, y }: the target on the drawing grid
    curveX: null,
    curve: null, // the current model on curveX
    losses: [], // losses[i] is the loss of step i, every one of them, none twice
    step: -1, // the last step recorded
    params: null,
    grads: null,
    rate: null, // steps per second over the last second
    gradNorms: { steps: [], norms: [] }, // ‖grads‖ of each frame received: a sample, not every step
    graph: null, // GraphShape: the autograd graph of the last captured step (null: none, or no autograd)
    graphValues: null, // GraphValues of that graph: forward values, gradients and autograd's order
    graphThinned: false, // the run's graph is captured less often than its frames (the server is busy)
    presenter: null, // {panel, step, node, mode}: what the lecturer's screen shows (null: nothing shared yet)
    history: null, // the ended run's every step, as GET /api/runs/{id}/history gives it
    replay: null, // replay/curves.js replayFrame plus `playing`: the step the views show instead (null: the latest)
    replayGraph: null, // {step, nextStep, graph, graphValues}: the graph kept nearest at or before the replayed step
  };
}

function emptyPage() {
  return {
    ...emptyRun(null),
    engines: [], // EngineInfo, in the server's order
    selectedEngine: null, // what the form names
    formChoice: null, // {zero_grad, no_grad, reduction} as the form sets them: the lines of the step a new run runs
    codeEngine: null, // the engine whose code is shown: the last one chosen, or the followed run's
    targets: [], // [{name, formula}]: the target presets
    runs: [], // RunInfo of every run the server remembers
    compare: null, // the compared run, shaped as emptyRun
    diff: null,
    link: null, // {line: i} | {param: name} | {node: id}: lit in every view that shows it (views/linked_views.js)
    // {name, title, scenes, index, leading, session, link, error}: the lecture being taught, kept across runs.
    lecture: null,
  };
}

export class Store {
  #state = emptyPage();
  #listeners = new Set();

  get state() {
    return this.#state;
  }

  /** Calls `listener(state)` after every change; returns the function that unsubscribes it. */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  apply(msg) {
    const state = this.#state;
    const hadRun = state.run != null;
    let changed = true;
    switch (msg.type) {
      case Local.JOIN:
        Object.assign(state, emptyRun(msg.runId), { diff: null, canControl: Boolean(msg.canControl) });
        break;
      case Local.ENGINES:
        state.engines = msg.engines;
        break;
      case Local.LECTURE:
        state.lecture = msg.lecture;
        break;
      case Local.SELECT_ENGINE:
        state.selectedEngine = state.codeEngine = msg.engine;
        state.formChoice = msg.choice ?? null;
        break;
      case Local.TARGETS:
        state.targets = msg.targets;
        break;
      case Local.RUNS:
        state.runs = msg.runs;
        break;
      case Local.COMPARE_JOIN:
        state.compare = msg.runId ? emptyRun(msg.runId) : null;
        state.diff = null;
        break;
      case Local.COMPARED:
        changed = state.compare != null && applyToRun(state.compare, msg.msg);
        break;
      case Local.DIFF:
        state.diff = msg.diff;
        break;
      case Local.HISTORY:
        changed = msg.runId === state.runId;
        if (changed) state.history = msg.history;
        break;
      case Local.REPLAY:
        state.replay =
          msg.index == null || !state.history
            ? null
            : {
                ...replayFrame(state.history, msg.index, findEngine(state.engines, state.run?.config?.engine), state.curveX),
                playing: Boolean(msg.playing),
              };
        break;
      case Local.REPLAY_GRAPH:
        changed = msg.runId === state.runId;
        if (changed) state.replayGraph = msg.frame;
        break;
      case Local.LINK:
        changed = JSON.stringify(msg.link) !== JSON.stringify(state.link);
        state.link = msg.link;
        break;
      default:
        changed = applyToRun(state, msg);
    }
    if (!changed) return;
    // The code shown follows a run as soon as the page learns its engine, until the form names another.
    if (!hadRun && state.run) state.codeEngine = state.run.config?.engine ?? state.codeEngine;
    for (const listener of this.#listeners) listener(this.#state);
  }
}

/** Applies a message about one run to that run's fields; false when it changes nothing. */
function applyToRun(state, msg) {
  switch (msg.type) {
    case Local.RUN_INFO:
      if (msg.run.id !== state.runId) return false;
      state.run = msg.run;
      setStatus(state, msg.run.status, msg.run.message);
      return true;
    case Local.CONNECTION:
      state.connection = msg.state;
      // The server no longer knows this run (it restarted): whatever status it had is gone with it.
      if (msg.state === Connection.UNKNOWN_RUN) Object.assign(state, { status: null, message: null });
      return true;
    case MessageType.SNAPSHOT:
      Object.assign(state, {
        run: msg.run,
        view: msg.view ?? FIT_VIEW,
        data: msg.data,
        truth: msg.truth,
        curveX: msg.curve_x,
        curve: msg.curve,
        step: msg.step,
        params: msg.params,
        grads: msg.grads,
        graph: msg.graph ?? null,
        graphValues: msg.graph_values ?? null,
        presenter: msg.presenter ?? null,
      });
      setStatus(state, msg.run.status, msg.run.message);
      placeLosses(state, msg.loss_from, msg.loss);
      placeGradNorms(state, msg.grad_norms);
      sampleGradNorm(state);
      return true;
    case MessageType.FRAME:
      Object.assign(state, {
        step: msg.step,
        params: msg.params,
        grads: msg.grads,
        curve: msg.curve,
        rate: msg.rate,
      });
      // The shape comes only when it changed; values come with every frame that captured a graph.
      if (msg.graph !== undefined) state.graph = msg.graph;
      if (msg.graph_values) state.graphValues = msg.graph_values;
      state.graphThinned = Boolean(msg.thinned);
      setStatus(state, msg.status, state.message);
      placeLosses(state, msg.from, msg.loss);
      sampleGradNorm(state);
      return true;
    case MessageType.STATUS:
      setStatus(state, msg.status, msg.message);
      return true;
    case MessageType.PRESENTER:
      state.presenter = msg.state; // a new object each time: followers compare by identity
      return true;
    default:
      return false; // a message type this page does not know yet: ignore it rather than break
  }
}

function setStatus(state, status, message) {
  // A late REST answer must not bring an ended run back to life.
  if (ENDED.has(state.status) && !ENDED.has(status)) return;
  state.status = status;
  state.message = message ?? null;
}

/**
 * Puts the losses of steps from, from+1, ... in place: a resent overlap replaces, never doubles.
 * `from` never lies past the end: every socket asks with since = the number of losses held.
 */
function placeLosses(state, from, values) {
  const losses = state.losses;
  losses.length = Math.min(losses.length, from);
  for (const value of values) losses.push(value); // not push(...values): a snapshot may hold 1e5 of them
}

/**
 * The gradient's length at the steps the snapshot covers (every step, or a sample of a long run's): what the run
 * did before the page joined it, or while a reconnecting page was away. Samples from before those steps stay.
 */
function placeGradNorms(state, sampled) {
  if (!sampled?.steps?.length) return;
  const { steps, norms } = state.gradNorms;
  let keep = steps.length;
  while (keep > 0 && steps[keep - 1] >= sampled.steps[0]) keep -= 1;
  steps.length = norms.length = keep;
  for (let i = 0; i < sampled.steps.length; i += 1) {
    steps.push(sampled.steps[i]);
    norms.push(sampled.norms[i] ?? NaN); // not finite: a gap in the chart, as a zero is
  }
}

/**
 * Keeps the gradient's length at this frame's step; a reconnect's snapshot may repeat a step: kept once.
 * A network's grads are already one norm per tensor, and the hypot of those is the whole gradient's norm.
 */
function sampleGradNorm(state) {
  const grads = Object.values(state.grads ?? {});
  const { steps, norms } = state.gradNorms;
  if (grads.length === 0 || state.step <= (steps.at(-1) ?? -1)) return;
  steps.push(state.step);
  norms.push(Math.hypot(...grads));
}
