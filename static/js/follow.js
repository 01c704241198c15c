// "Follow the lecturer": a viewer of a run this browser does not steer sees what the lecturer's screen shows
// (the store's `presenter`, from the snapshot on join and each `presenter` message after), unless they choose
// to browse on their own; then the page stays where they put it.

export class FollowLecturer {
  #container;
  #switch;
  #apply;
  #state = null;
  #applied = null; // the presenter state last applied (the store replaces it with a new object on each change)

  /** `apply(view)` shows the lecturer's {panel, step, node, mode}; null lets the viewer browse on their own. */
  constructor(container, apply) {
    this.#container = container;
    this.#switch = container.querySelector("[data-follow-switch]");
    this.#apply = apply;
    this.#switch.addEventListener("change", () => {
      this.#applied = null;
      if (!this.#following) this.#apply(null);
      if (this.#state) this.update(this.#state);
      this.#container.dataset.following = this.#following;
    });
    this.reset();
  }

  get #following() {
    return this.#switch.checked && !this.#container.hidden;
  }

  update(state) {
    this.#state = state;
    this.#container.hidden = !state.runId || Boolean(state.canControl); // the lecturer follows no one
    this.#container.dataset.following = this.#following;
    if (!this.#following || state.presenter === this.#applied) return;
    this.#applied = state.presenter;
    if (state.presenter) this.#apply(state.presenter);
    this.#container.dataset.applied = Number(this.#container.dataset.applied ?? 0) + 1;
  }

  reset() {
    this.#applied = null;
    this.#apply(null); // a new run: nothing of the last lecturer's view holds
  }
}
