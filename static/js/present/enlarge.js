// One panel at a time fills the screen (keys 1–4), so the back row can read it; its key again, or Escape,
// puts it back. The charts and the graph follow their container's size by themselves (ResizeObserver); the
// graph, enlarged, is laid out again for its new shape, its text at least 24 px (graph.css, graph_drawing.js).

/** The panels keys 1–4 enlarge, in that order; the names the presenter state uses. */
export const PANELS = Object.freeze(["fit", "loss", "weights", "graph"]);
/** Panels a lecture's scene may enlarge besides those (app/lectures/scenes.py's Panel). */
const SCENE_PANELS = Object.freeze(["code", "equations"]);

export class Enlarger {
  #panel = null;
  #onChange;

  /** `onChange(name)` hears every change (null: none enlarged), whoever made it: a key, or the lecturer. */
  constructor(onChange = () => {}) {
    this.#onChange = onChange;
  }

  get panel() {
    return this.#panel;
  }

  /** Enlarges the panel `name` (an unknown name or null: none). */
  set(name) {
    const next = PANELS.includes(name) || SCENE_PANELS.includes(name) ? name : null;
    if (next === this.#panel) return;
    const last = this.#panel;
    this.#panel = next;
    // Heard first: the lecturer's followers are told before this page lays the panel out (a long moment).
    this.#onChange(next);
    document.getElementById(last ?? "")?.classList.remove("enlarged");
    document.getElementById(next ?? "")?.classList.add("enlarged");
    document.documentElement.dataset.enlarged = next ?? "";
  }

  toggle(name) {
    this.set(this.#panel === name ? null : name);
  }
}
