// Wires the page together, and nothing else: REST answers and socket messages go into the store, the
// store's changes go to the views, and the address names the run being followed.
import { createRun, sendCommand } from "./api.js";
import { Local, Store } from "./store.js";
import { RunSocket } from "./transport.js";
import { Controls } from "./views/controls.js";
import { FitChart } from "./views/fit_chart.js";
import { LossChart } from "./views/loss_chart.js";
import { StatusLine } from "./views/status_line.js";
import { WeightsPanel } from "./views/weights_panel.js";

const store = new Store();
let socket = null;

const views = [
  new StatusLine(document.querySelector("#status")),
  new Controls(document.querySelector("#controls"), {
    async start(config) {
      const run = await createRun(config);
      history.pushState(null, "", `#run=${encodeURIComponent(run.id)}`);
      follow(run.id);
      store.apply({ type: Local.RUN_INFO, run });
    },
    async command(name) {
      store.apply({ type: Local.RUN_INFO, run: await sendCommand(store.state.runId, name) });
    },
  }),
  new FitChart(document.querySelector("#fit-chart")),
  new LossChart(document.querySelector("#loss-chart")),
  new WeightsPanel(document.querySelector("#weights")),
];
store.subscribe((state) => {
  for (const view of views) view.update(state);
});

/** The run the address names (`#run=ID`), so reloading or sharing the page follows the same run. */
function runIdFromHash() {
  return new URLSearchParams(location.hash.slice(1)).get("run");
}

/** Drops the current run, if any, and follows `runId` (null: none) from its first step. */
function follow(runId) {
  socket?.close();
  socket = null;
  for (const view of views) view.reset();
  store.apply({ type: Local.JOIN, runId });
  if (!runId) return;
  socket = new RunSocket(runId, {
    since: () => store.state.losses.length,
    onMessage: (msg) => store.apply(msg),
    onConnection: (state) => store.apply({ type: Local.CONNECTION, state }),
  });
  socket.open();
}

addEventListener("hashchange", () => {
  if (runIdFromHash() !== store.state.runId) follow(runIdFromHash());
});
follow(runIdFromHash());
