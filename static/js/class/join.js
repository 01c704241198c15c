// A student's page inside a class (/join/{code}): joins the class once per browser (the student's token kept
// per class), under the name the student gives or, when they press Start first, as the next student; fills the
// settings sheet with the class's settings and makes those the class fixes read-only, and draws every run of the
// class on a small chart beside the student's own, theirs drawn thick. Start itself is main.js's: it makes the
// run in the class (class/api.js's createClassRun).
import { tokenFor } from "../tokens.js";
import { fillForm } from "../views/form_fill.js";
import { getClass, savedStudent, setFixedFields, setStudentName, studentOf } from "./api.js";
import { ClassChart } from "./chart.js";
import { fieldLabel, valueText } from "./colours.js";
import { ClassLegend } from "./legend.js";
import { ClassSocket } from "./socket.js";
import { ClassLocal, ClassStore } from "./store.js";

const $ = (selector) => document.querySelector(selector);
const code = document.body.dataset.classCode;
const form = $("#controls");
const status = $("[data-class-status]");
const nameForm = $("[data-class-name]");
const nameField = $("#class-student-name");
const store = new ClassStore(code);
let joined = false;

/** The run the address names, when this browser started it: the student's own, drawn thick. */
function ownRun() {
  const run = new URLSearchParams(location.hash.slice(1)).get("run");
  return run && tokenFor(run) !== null ? run : null;
}

const chart = new ClassChart($("[data-class-chart]"), {
  open: (runId) => (location.hash = `run=${encodeURIComponent(runId)}`), // the page follows it, read-only
});
const legend = new ClassLegend($("[data-class-panel]"), () => {});
store.subscribe((state) => {
  if (state.gap) socket.resync();
  // Start names the new run in the address with pushState, which no event reports: looked at on each update
  // (the student's run joins the class's messages right after).
  const own = ownRun();
  if (own !== state.own) return store.apply({ type: ClassLocal.OWN, runId: own });
  const student = own ? savedStudent(code) : null; // Start joins the class (anew, if the server forgot it)
  if (student && student.student !== document.body.dataset.student) showJoined(student);
  status.hidden = Boolean(own && joined); // the chart's label says which curve is theirs; the room goes to it
  chart.update(state);
  legend.update(state, chart.colouring(state));
  // The class's title names the tab (the panel keeps its room for the curves).
  const title = state.cls?.title ? `${state.cls.title} · class ${code} · Autograd Live` : null;
  if (title && document.title !== title) document.title = title;
});
addEventListener("hashchange", () => store.apply({ type: ClassLocal.OWN, runId: ownRun() }));
store.apply({ type: ClassLocal.OWN, runId: ownRun() });

/** Every setting the form sends, by name (a radio group once). */
function formFields() {
  return [...new Set([...form.elements].map((element) => element.name).filter(Boolean))];
}

/** The class's settings into the sheet; every field it does not leave free read-only (one it leaves unset is the
 * server's default, and only that), and said so under the sheet's fields. */
function applySettings(settings, free) {
  const fixed = free === null || free === undefined ? [] : formFields().filter((name) => !free.includes(name));
  setFixedFields(code, fixed);
  if (!ownRun()) fillForm(form, settings); // a run on screen keeps its own settings in the sheet
  for (const name of fixed) {
    const control = form.elements[name];
    if (!control) continue;
    const controls = control instanceof RadioNodeList ? [...control] : [control];
    for (const element of controls) {
      // A text field stays readable and focusable; a choice cannot be read-only, so it is disabled.
      if (element.tagName === "INPUT" && element.type === "text") element.readOnly = true;
      else element.disabled = true;
      element.dataset.fixedByClass = "";
      element.title = "fixed by the class";
    }
  }
  const note = $("[data-class-fixed-note]");
  const given = fixed.filter((name) => name in settings);
  note.hidden = fixed.length === 0;
  note.textContent =
    `Fixed by the class: ${given.map((name) => `${fieldLabel(name)} ${valueText(settings[name])}`).join(", ")}` +
    `${given.length ? "; " : ""}you choose ${(free ?? []).map(fieldLabel).join(", ") || "nothing"}.`;
  form.dataset.classFixes = fixed.join(" ");
}

/** Says who the student is in the class, once this browser has joined it (by the form, or by Start). */
function showJoined(student) {
  nameForm.hidden = true;
  status.textContent = `You are ${student.name ?? "a student"} in this class: press Start to run your own experiment.`;
  document.body.dataset.student = student.student;
  joined = true;
}

function showFailure(error) {
  status.textContent = error.status === 404 ? "There is no class with this code." : `Could not join the class: ${error.message}`;
  status.dataset.failed = "";
}

async function join() {
  try {
    const cls = await getClass(code);
    applySettings(cls.settings ?? {}, cls.free);
  } catch (error) {
    return showFailure(error);
  }
  const saved = savedStudent(code);
  if (saved) return showJoined(saved);
  // Not yet joined: the student may give the name the class view shows by their run, or press Start at once.
  status.textContent = "Give your name, or press Start to join as the next student.";
  nameForm.hidden = false;
}

nameField.addEventListener("input", () => setStudentName(code, nameField.value));
nameForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  setStudentName(code, nameField.value);
  try {
    showJoined(await studentOf(code));
  } catch (error) {
    showFailure(error);
  }
});

const socket = new ClassSocket(code, {
  onMessage: (msg) => store.apply(msg),
  onConnection: (state) => store.apply({ type: ClassLocal.CONNECTION, state }),
});
socket.open();
join();
