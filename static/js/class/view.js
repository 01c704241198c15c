// The class view (/class/{code}): wires the class socket into the store and the store into the chart, the
// legend, the table and the join box; presenter mode and the dark theme as on the run page; the lecturer's
// view shared with the students who follow it.
import { Connection } from "../protocol.js";
import { Presentation } from "../present/theme.js";
import { classTokenFor, getClass, saveClassToken, shareClassView, stopClassRun } from "./api.js";
import { ClassChart } from "./chart.js";
import { ClassLegend } from "./legend.js";
import { runPageUrl } from "./protocol.js";
import { ClassViewShare, sharedView } from "./share.js";
import { ClassSocket } from "./socket.js";
import { ClassLocal, ClassStore } from "./store.js";
import { ClassTable } from "./table.js";

const $ = (selector) => document.querySelector(selector);
const root = $("[data-class-view]");
const code = root.dataset.code;
const store = new ClassStore(code);
// `/class/{code}#token=...`: the class's control token from whoever opened it (a script, another machine), kept
// here and taken out of the address at once, so it is neither bookmarked nor shown on the projector.
const handed = new URLSearchParams(location.hash.slice(1)).get("token");
if (handed) {
  saveClassToken(code, handed);
  history.replaceState(null, "", location.pathname + location.search);
}
const lecturer = classTokenFor(code) !== null;
const params = new URLSearchParams(location.search);

const chart = new ClassChart($("[data-class-chart]"), { open: (runId) => location.assign(runPageUrl(runId)) });
const legend = new ClassLegend($("[data-legend]"), (field) => store.apply({ type: ClassLocal.COLOUR_BY, field }));
const table = new ClassTable($("[data-class-table]"), {
  onSort: (key, descending) => store.apply({ type: ClassLocal.SORT, key, descending }),
  onSelect: (runId) => store.state.selected !== runId && store.apply({ type: ClassLocal.SELECT, runId }),
  // The lecturer may stop any run of the class (a student's left running, one hogging the class's share).
  onStop: lecturer
    ? (runId) => stopClassRun(code, runId).catch((error) => ($("[data-share-note]").textContent = error.message))
    : null,
});

// ---- How to join: the link and its QR code, large; the lecturer hides them once the hall has joined. ----
const join = $("[data-join]");
const joinToggle = $("[data-join-toggle]");
const joinLink = $("[data-join-link]");
/** The link as text that breaks only after a slash: never inside the code. */
function showLink(url) {
  joinLink.href = url;
  joinLink.replaceChildren(...url.split(/(?<=\/)/).flatMap((part) => [part, document.createElement("wbr")]));
}
showLink(`${location.origin}/join/${code}`);
function showJoin(shown) {
  join.dataset.shown = shown;
  $("[data-join-qr]").hidden = !shown;
  joinToggle.setAttribute("aria-expanded", String(shown));
  joinToggle.textContent = shown ? "Hide QR code" : "Show QR code";
}
joinToggle.addEventListener("click", () => (showJoin(join.dataset.shown !== "true"), share?.changed()));
showJoin(true);
getClass(code)
  .then((cls) => {
    if (cls.join_url) showLink(cls.join_url);
    if (cls.title) $("[data-class-title]").textContent = cls.title;
  })
  .catch(() => {}); // the socket says what is wrong with the class

// ---- Presenter mode, the theme, full screen; the lecturer's view shared, a follower's applied. ----
const buttons = { present: $("[data-present-toggle]"), dark: $("[data-theme-toggle]"), full: $("[data-full-screen]") };
let share = null; // made below: the presentation speaks up as soon as it is made
let presentation = null;
presentation = new Presentation(() => (chart.invalidate(), bar(), share?.changed()), {
  present: params.get("present") === "1",
});
buttons.present.addEventListener("click", () => presentation.setPresenting(!presentation.presenting));
buttons.dark.addEventListener("click", () => presentation.setDark(!presentation.dark));
buttons.full.addEventListener("click", async () => {
  try {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await document.documentElement.requestFullscreen();
  } catch {
    $("[data-share-note]").textContent = "This browser would not go full screen here (F11 does it too).";
  }
});
document.addEventListener("fullscreenchange", () => bar());
function bar() {
  if (!presentation) return;
  buttons.present.setAttribute("aria-pressed", presentation.presenting);
  buttons.dark.setAttribute("aria-pressed", presentation.dark);
  buttons.full.setAttribute("aria-pressed", Boolean(document.fullscreenElement));
}
bar();
share = new ClassViewShare({
  active: () => lecturer && presentation.presenting,
  read: () => sharedView(store.state, join.dataset.shown === "true"),
  send: (state) => shareClassView(code, state),
  note: $("[data-share-note]"),
});
const follow = $("[data-follow]");
const followSwitch = $("[data-follow-switch]");
follow.hidden = lecturer;
followSwitch.checked = true; // a student who opens the class view sees what the lecturer shows, until they browse alone
followSwitch.addEventListener("change", () => {
  store.apply({ type: ClassLocal.FOLLOW, on: followSwitch.checked });
  applyPresenter(store.state);
});
let applied = null;
let received = null;
/** A follower's view takes the lecturer's last shared state (once per state). */
function applyPresenter(state) {
  const view = state.presenter;
  if (view && view !== received) {
    received = view;
    follow.dataset.received = Number(follow.dataset.received ?? 0) + 1; // followed or not
  }
  if (lecturer || !state.following || !view || view === applied) return;
  applied = view;
  follow.dataset.applied = Number(follow.dataset.applied ?? 0) + 1;
  if (view.colour_by !== undefined && view.colour_by !== state.colourBy)
    store.apply({ type: ClassLocal.COLOUR_BY, field: view.colour_by });
  if (view.sort && (view.sort !== state.sort.key || Boolean(view.descending) !== state.sort.descending))
    store.apply({ type: ClassLocal.SORT, key: view.sort, descending: view.descending });
  if ((view.selected ?? null) !== state.selected) store.apply({ type: ClassLocal.SELECT, runId: view.selected ?? null });
  if (typeof view.join === "boolean") showJoin(view.join);
}
store.apply({ type: ClassLocal.FOLLOW, on: !lecturer });

// ---- The store's changes to every view. ----
const CONNECTION_WORDS = {
  [Connection.CONNECTING]: "connecting…",
  [Connection.RECONNECTING]: "connection lost: reconnecting…",
  [Connection.UNKNOWN_RUN]: "There is no class with this code.",
  [Connection.REFUSED]: "The server refused this page.",
};
const runCount = $("[data-run-count]");
const empty = $("[data-runs-empty]");
store.subscribe((state) => {
  if (state.gap) socket.resync();
  const colouring = chart.colouring(state);
  chart.update(state);
  legend.update(state, colouring);
  table.update(state, colouring);
  const count = state.runs.size;
  runCount.textContent = `${count} ${count === 1 ? "run" : "runs"}`;
  empty.hidden = count > 0;
  $("[data-connection-note]").textContent = CONNECTION_WORDS[state.connection] ?? "";
  if (state.cls?.title) $("[data-class-title]").textContent = state.cls.title;
  root.dataset.connection = state.connection ?? "";
  applyPresenter(state);
  share.changed();
});

const socket = new ClassSocket(code, {
  onMessage: (msg) => store.apply(msg),
  onConnection: (state) => store.apply({ type: ClassLocal.CONNECTION, state }),
});
socket.open();
