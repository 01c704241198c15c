// The lecturer's keyboard in presenter mode: space pause/resume, → one step, + / − pace, 1–4 enlarge a panel,
// f full screen, ? the key list. Listened for on window in the capture phase, before the graph's own ←/→
// stepper on document: → takes a training step, unless the graph is enlarged, where it walks the pass.
import { PANELS } from "./enlarge.js";

// Where a key is part of what is being typed: text boxes, text areas, editable text. Anything else a lecturer
// clicks keeps the focus without taking typing: a button, a checkbox or radio button (the graph's
// gradients/values switch), a list picked from (its open list takes the keys by itself), a slider, a link,
// a details' summary, a graph node; there the presenter's keys still work, and the control ignores them.
const TYPING = new Set(["TEXTAREA"]);
const NOT_TYPED = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"]);

/** The keys, for the key list (the dialog in templates/index.html shows the same). */
export const KEYS = Object.freeze([
  ["Space", "pause / resume the run"],
  ["→", "one training step while paused (graph enlarged: the next node of the backward pass)"],
  ["+ / −", "faster / slower pace"],
  ["1 2 3 4", "enlarge fit, loss, weights, graph (again: restore)"],
  ["Esc", "restore the enlarged panel"],
  ["f", "full screen"],
  ["?", "this list"],
]);

/** Whether a key pressed in `target` belongs to what is being typed there. */
function typing(target) {
  if (target?.tagName === "INPUT") return !NOT_TYPED.has(target.type);
  return TYPING.has(target?.tagName) || Boolean(target?.isContentEditable);
}

export class PresenterKeys {
  /**
   * `actions`: active() (presenter mode is on), playPause(), step(), pace(±1), enlarge(name), enlarged(), graphEnlarged(),
   * fullScreen(), help(). Each may return a promise; the caller shows what came of it.
   */
  constructor(actions) {
    addEventListener("keydown", (event) => this.#key(event, actions), { capture: true });
  }

  #key(event, actions) {
    if (!actions.active() || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (event.target.closest?.("dialog[open]")) return; // the key list has its own keys (Escape closes it)
    const action = this.#action(event, actions);
    if (!action) return;
    event.preventDefault();
    event.stopPropagation(); // the graph stepper must not take the same → as a node step
    action();
  }

  #action({ key }, actions) {
    if (key === " ") return actions.playPause;
    if (key === "ArrowRight" && !actions.graphEnlarged()) return actions.step;
    if (key === "+" || key === "=") return () => actions.pace(+1); // "=" is + without shift
    if (key === "-" || key === "_" || key === "−") return () => actions.pace(-1);
    const panel = PANELS[Number(key) - 1];
    if (/^[1-4]$/.test(key) && panel) return () => actions.enlarge(panel);
    if (key === "Escape" && actions.enlarged()) return () => actions.enlarge(null);
    if (key === "f" || key === "F") return actions.fullScreen;
    if (key === "?") return actions.help;
    return null;
  }
}
