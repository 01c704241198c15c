// The lecturer's remote: with the run paused, ← and → (or the two buttons) walk one backward pass node by node.
// The keys work anywhere on the page but in a text field, where they move the caret as always.

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);
// A touch screen has no arrow keys: its hints name the button instead.
const TOUCH = matchMedia("(pointer: coarse)");
const HINTS = {
  keys: {
    paused: "Pause the run to step through its backward pass with ← and →.",
    start: "Press → to step through the backward pass node by node.",
  },
  touch: {
    paused: "Pause the run, then tap next → to step through its backward pass.",
    start: "Tap next → to step through the backward pass node by node.",
  },
};

export class Stepper {
  #back;
  #next;
  #text;
  #enabled = false;
  #move;

  /** `move(delta)` is called with −1 or +1 when the lecturer steps; the panel says where that leads. */
  constructor(container, move) {
    this.#back = container.querySelector("[data-step-back]");
    this.#next = container.querySelector("[data-step-next]");
    this.#text = container.querySelector("[data-step-text]");
    this.#move = move;
    this.#back.addEventListener("click", () => this.#move(-1));
    this.#next.addEventListener("click", () => this.#move(+1));
    document.addEventListener("keydown", (event) => {
      if (!this.#enabled || event.altKey || event.ctrlKey || event.metaKey) return;
      if (TYPING.has(event.target?.tagName) || event.target?.isContentEditable) return;
      const delta = { ArrowLeft: -1, ArrowRight: +1 }[event.key];
      if (!delta) return;
      event.preventDefault();
      this.#move(delta);
    });
    this.show(false, null);
  }

  /** Enables the stepper (a paused or ended run with a graph) and says where it stands. */
  show(enabled, position) {
    this.#enabled = enabled;
    this.#back.disabled = !enabled || position === null || position.index <= 0;
    this.#next.disabled = !enabled || (position !== null && position.index >= position.count - 1);
    const hints = TOUCH.matches ? HINTS.touch : HINTS.keys;
    if (!enabled) this.#text.textContent = hints.paused;
    else if (position === null) this.#text.textContent = hints.start;
    else {
      const { index, count, name } = position;
      this.#text.textContent = `Node ${index + 1} of ${count} autograd ran: ${name}`;
    }
  }
}
