// Wires the page together, and nothing else: REST answers and socket messages go into the store, the
// store's changes go to the views, and the address names the runs on screen (`#run=A&compare=B`).
import { createRun, getHistoryRow, listEngines, listRuns, listTargets, sendCommand, setPace } from "./api.js";
import { createClassRun, fixedFieldsOf } from "./class/api.js";
import { tokenFor } from "./tokens.js";
import { HistoryPoller } from "./compare.js";
import { ENDED } from "./protocol.js";
import { twinConfig } from "./run_config.js";
import { Local, Store } from "./store.js";
import { RunSocket } from "./transport.js";
import { CodePanel } from "./views/code_panel.js";
import { EquationsPanel } from "./views/equations_panel.js";
import { ComparePanel } from "./views/compare_panel.js";
import { Controls } from "./views/controls.js";
import { DiffChart } from "./views/diff_chart.js";
import { FitChart } from "./views/fit_chart.js";
import { GradNormChart } from "./views/grad_norm_chart.js";
import { GraphPanel } from "./views/graph_panel.js";
import { Headline } from "./views/headline.js";
import { LinkedViews } from "./views/linked_views.js";
import { LossChart } from "./views/loss_chart.js";
import { Narration } from "./views/narration.js";
import { StatusLine } from "./views/status_line.js";
import { WeightsPanel } from "./views/weights_panel.js";
// The classroom: share, export, import, the run list (the block before store.subscribe below).
import { deleteRun, importRun } from "./api.js";
import { configFromAddress, configLink, sharedConfig } from "./config_link.js";
import { ExportPanel } from "./views/export_panel.js";
import { fillForm } from "./views/form_fill.js";
import { RunList } from "./views/run_list.js";
import { RunListRefresh } from "./views/run_list_refresh.js";
import { ShareBox, shareLink } from "./views/share_box.js";
// The lecture hall: presenter mode, its keys, the lecturer's view shared and followed (the block after the classroom's).
import { FollowLecturer } from "./follow.js";
import { presenterActions } from "./present/actions.js";
import { PresenterBar } from "./present/bar.js";
import { Enlarger } from "./present/enlarge.js";
import { PresenterKeys } from "./present/keys.js";
import { sharePresenterView } from "./present/remote.js";
import { PresenterShare } from "./present/share.js";
import { Presentation } from "./present/theme.js";
import { listLectures } from "./api.js";
import { LectureMode, lectureInAddress } from "./lecture/lecture_mode.js";
import { LectureChoice } from "./lecture/lecture_choice.js";
import { LectureBar } from "./views/lecture_bar.js";
// Replay: an ended run's timeline, played back through its history and kept graphs (the block after the lecture hall's).
import { getGraphAt, getHistory } from "./api.js";
import { shownGraph } from "./replay/graphs.js";
import { ReplayNote, fitNote, graphNote } from "./replay/notes.js";
import { ReplaySession } from "./replay/session.js";
import { Timeline } from "./replay/timeline.js";

const store = new Store();
// On a class's page (/join/{code}), Start makes the student's run in the class (join.html names the class).
const classCode = document.body.dataset.classCode ?? null;
// The server's η by engine, reduction and optimizer (app/web/pages.py): a twin run must not inherit a default.
const rates = JSON.parse(document.querySelector("[data-learning-rates]").textContent);
// The server's defaults (app/web/pages.py): a config link names only what differs from them.
const runDefaults = JSON.parse(document.querySelector("[data-run-defaults]").textContent);
let socket = null;
let compareSocket = null;

const poller = new HistoryPoller({
  isEnded(runId) {
    const { state } = store;
    const run = runId === state.runId ? state : runId === state.compare?.runId ? state.compare : null;
    return run !== null && ENDED.has(run.status);
  },
  onDiff: (diff) => store.apply({ type: Local.DIFF, diff }),
});

/** A code line, weight or graph box pointed at or focused (null: none): every view showing it lights it up. */
const link = (target) => store.apply({ type: Local.LINK, link: target });

// An unchanged list comes back as the same array (a 304): nothing to redraw.
const refreshRuns = async () => {
  const runs = await listRuns();
  if (runs !== store.state.runs) store.apply({ type: Local.RUNS, runs });
};

/** A new run: on a class's page, the student's, in the class (what the class fixes is its own); else the page's. */
const newRun = (config) => (classCode ? createClassRun(classCode, config) : createRun(config));

const $ = (selector) => document.querySelector(selector);
const views = [
  new Headline($("#headline")),
  new StatusLine($("#status")),
  new Narration($("[data-narration]")),
  new Controls($("#controls"), {
    async start(config) {
      const run = await newRun(config);
      address(run.id, null);
      store.apply({ type: Local.RUN_INFO, run });
      refreshRuns();
    },
    async command(name) {
      store.apply({ type: Local.RUN_INFO, run: await sendCommand(store.state.runId, name) });
    },
    async pace(pace) {
      store.apply({ type: Local.RUN_INFO, run: await setPace(store.state.runId, pace) });
    },
    select: (engine, choice) => store.apply({ type: Local.SELECT_ENGINE, engine, choice }),
  }),
  new FitChart($("#fit")),
  new LossChart($("#loss"), { fetchRow: getHistoryRow }),
  new WeightsPanel($("#weights"), link),
  new GradNormChart($("#grad-norm-chart"), { fetchRow: getHistoryRow }),
  new GraphPanel($("#graph"), shownGraph), // the latest graph, or the replayed step's
  new CodePanel($("#code"), { onLink: link, defaults: runDefaults }),
  new EquationsPanel($("#equations")),
  // After the graph panel: the boxes it draws in a frame are lit in the same frame.
  new LinkedViews({ code: $("#code"), weights: $("#weights"), graph: $("[data-graph-svg]"), select: shownGraph, onLink: link }),
  new ComparePanel($("#compare"), {
    compareWith: (runId) => address(store.state.runId, runId),
    async runTwin(changes) {
      const { runId, run } = store.state;
      const twin = await newRun(twinConfig(run.config, changes, { engines: store.state.engines, rates }));
      address(runId, twin.id);
      store.apply({ type: Local.COMPARED, msg: { type: Local.RUN_INFO, run: twin } });
      refreshRuns();
    },
    listRuns: refreshRuns,
    fixed: () => (classCode ? fixedFieldsOf(classCode) : new Set()),
  }),
  new DiffChart($("#diff-chart")),
];

// ---- The classroom: share the followed run, take it away, bring one back, list every run. ----
views.push(
  new ShareBox($("[data-share]"), (run) =>
    configLink(sharedConfig(run.config, runDefaults, { engines: store.state.engines, rates })),
  ),
  new ExportPanel(
    $("[data-export]"),
    [
      { name: "fit", title: "Fit", element: $("#fit-chart"), kind: "plot" },
      { name: "loss", title: "Loss", element: $("#loss-chart"), kind: "plot" },
      { name: "grad-norm", title: "Gradient norm", element: $("#grad-norm-chart"), kind: "plot" },
      { name: "graph", title: "Autograd graph", element: $("[data-graph-svg]"), kind: "svg" },
    ],
    async (content) => {
      const run = await importRun(content);
      address(run.id, null);
      store.apply({ type: Local.RUN_INFO, run });
      refreshRuns();
    },
  ),
  new RunList($("#runs"), {
    follow: (runId) => address(runId, null),
    owns: (runId) => tokenFor(runId) !== null,
    async remove(runId) {
      await deleteRun(runId);
      if (runId === store.state.runId) address(null, null);
      await refreshRuns();
    },
  }),
  new RunListRefresh(refreshRuns),
);
/** Opening `/#config=...` fills the form with that config; it starts nothing. */
function fillFromAddress() {
  const config = configFromAddress();
  if (config) fillForm($("#controls"), config);
}
addEventListener("hashchange", fillFromAddress);
fillFromAddress();
// ---- end of the classroom block ----

// ---- The lecture hall: presenter mode (`#present=1` or the bar's button), keys, the lecturer's view. ----
const graphPanel = views.find((view) => view instanceof GraphPanel);
let presentation = null; // made below: it speaks up (to shareView among others) as soon as it is made
const shareView = new PresenterShare({
  active: () => Boolean(presentation?.presenting && store.state.canControl),
  read: () => ({ runId: store.state.runId, state: { panel: enlarger.panel, ...graphPanel.view } }),
  send: sharePresenterView,
  graph: $("#graph"),
  note: $("[data-present-sharing]"),
});
const enlarger = new Enlarger(() => shareView.changed());
let presentBar = null; // made after the Presentation it switches, which speaks up as soon as it is made
presentation = new Presentation(() => (shareView.changed(), presentBar?.refresh()), {
  present: new URLSearchParams(location.hash.slice(1)).get("present") === "1",
});
presentBar = new PresenterBar($("[data-present]"), presentation);
new PresenterKeys(
  presenterActions({
    state: () => store.state,
    command: async (name) => store.apply({ type: Local.RUN_INFO, run: await sendCommand(store.state.runId, name) }),
    paced: (run) => run?.id && store.apply({ type: Local.RUN_INFO, run }),
    enlarger,
    bar: presentBar,
    presentation,
  }),
);
views.push(
  shareView,
  presentBar,
  new FollowLecturer($("[data-follow]"), (view) => {
    graphPanel.follow(view);
    if (view) enlarger.set(view.panel);
  }),
);

// Lecture mode: a lecture's scenes stepped in order; its session moves every follower's page with the leader's.
const lectureMode = new LectureMode(store, {
  runs: {
    start: (config) => newRun(config),
    async stop(runId) {
      const { state } = store;
      const run = runId === state.runId ? state : runId === state.compare?.runId ? state.compare : null;
      if (tokenFor(runId) === null || ENDED.has(run?.status)) return; // not ours, or nothing left to stop
      await sendCommand(runId, "stop").catch(() => null); // it ended meanwhile: nothing to stop
    },
  },
  show({ run, compare, panel }) {
    address(run, compare);
    enlarger.set(panel ?? null);
  },
  shareLink,
});
views.push(
  new LectureBar($("[data-lecture]"), {
    go: (index) => lectureMode.request(index),
    close: () => leaveLecture(),
  }),
  new LectureChoice($(".lecture-choice"), listLectures, (name) => {
    if (name) location.hash = `${new URLSearchParams({ lecture: name })}`;
    else leaveLecture();
  }),
);
addEventListener("hashchange", () => lectureMode.fromAddress());

/** Leaves lecture mode: the runs it showed stay followed, the address no longer names the lecture. */
function leaveLecture() {
  lectureMode.close();
  enlarger.set(null);
  const { run, compare } = addressedRuns();
  history.pushState(null, "", `#${runParams(run, compare)}`);
}
// ---- end of the lecture hall block ----

// ---- Replay: an ended run's history, asked for once; the timeline picks the step the views show. ----
const replay = new ReplaySession({
  getHistory,
  getGraphAt,
  onHistory: (runId, history) => store.apply({ type: Local.HISTORY, runId, history }),
  onReplay: (index, playing) => store.apply({ type: Local.REPLAY, index, playing }),
  onGraph: (runId, frame) => store.apply({ type: Local.REPLAY_GRAPH, runId, frame }),
});
views.push(
  replay,
  new Timeline($("[data-replay]"), replay.actions),
  new ReplayNote($("[data-replay-fit-note]"), fitNote),
  new ReplayNote($("[data-replay-graph-note]"), graphNote),
);
// ---- end of the replay block ----

store.subscribe((state) => views.forEach((view) => view.update(state)));

/** The runs the address names, so reloading or sharing the page shows the same runs. */
function addressedRuns() {
  const params = new URLSearchParams(location.hash.slice(1));
  const run = params.get("run");
  return { run, compare: run ? params.get("compare") : null }; // nothing to compare with without a run
}

/** The address's runs; a lecture it names stays in it (lecture mode follows its scenes' runs there). */
function runParams(run, compare) {
  const params = new URLSearchParams();
  if (run) params.set("run", run);
  if (run && compare) params.set("compare", compare);
  return params;
}

/** Names the runs in the address (a new history entry) and follows them. */
function address(run, compare) {
  const params = runParams(run, compare);
  const { name, session } = lectureInAddress();
  if (name) params.set("lecture", name);
  if (name && session) params.set("session", session);
  history.pushState(null, "", `#${params}`);
  followAddress();
}

/** Follows whatever the address names that the page does not follow yet. */
function followAddress() {
  const { run, compare } = addressedRuns();
  if (run !== store.state.runId) follow(run);
  if (compare !== (store.state.compare?.runId ?? null)) followCompared(compare);
  poller.watch(store.state.runId, store.state.compare?.runId ?? null);
}

/** Drops the current run, if any, and follows `runId` (null: none) from its first step. */
function follow(runId) {
  socket?.close();
  socket = null;
  for (const view of views) view.reset();
  store.apply({ type: Local.JOIN, runId, canControl: tokenFor(runId) !== null });
  if (!runId) return;
  socket = new RunSocket(runId, {
    since: () => store.state.losses.length,
    onMessage: (msg) => store.apply(msg),
    onConnection: (state) => store.apply({ type: Local.CONNECTION, state }),
  });
  socket.open();
}

/** Follows a second run beside the first, through its own socket, into the store's `compare`. */
function followCompared(runId) {
  compareSocket?.close();
  compareSocket = null;
  store.apply({ type: Local.COMPARE_JOIN, runId });
  if (!runId) return;
  compareSocket = new RunSocket(runId, {
    since: () => store.state.compare?.losses.length ?? 0,
    onMessage: (msg) => store.apply({ type: Local.COMPARED, msg }),
    onConnection: (state) => store.apply({ type: Local.COMPARED, msg: { type: Local.CONNECTION, state } }),
  });
  compareSocket.open();
}

addEventListener("hashchange", followAddress);
followAddress();
lectureMode.fromAddress();
listEngines().then((engines) => store.apply({ type: Local.ENGINES, engines }));
refreshRuns();
const targetsUrl = $("[data-targets-url]")?.dataset.targetsUrl; // only on a server that offers presets
if (targetsUrl) listTargets(targetsUrl).then((targets) => store.apply({ type: Local.TARGETS, targets }));
