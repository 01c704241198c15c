// The page's one-line summary names the model and the target of what is on screen: the followed run's, or,
// with none, what the form would start. A network's model, "y = network(x)", is followed by its layers.
import { findEngine, layersOf, modelOf, TEACHER_TARGET, targetOf } from "../engines.js";
import { describeLayers } from "../layers.js";
import { oncePerFrame } from "./animation_frame.js";

export class Headline {
  #model;
  #target;
  #formTarget; // the target the page was rendered with: what a one-input engine chosen in the form learns
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  constructor(container) {
    this.#model = container.querySelector("[data-model]");
    this.#target = container.querySelector("[data-target]");
    this.#formTarget = this.#target.textContent;
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#requestDraw(); // keeps the text: the next run's engine is known once its info arrives
  }

  #draw() {
    const state = this.#state;
    if (!state?.engines.length) return; // the page was rendered with the default engine's model
    if (state.run) {
      const layers = layersOf(state.run);
      const model = modelOf(state.engines, state.run).model;
      this.#model.textContent = layers ? `${model}, ${describeLayers(layers)},` : model; // "…, to sin(x)"
      this.#target.textContent = targetOf(state.run, state.engines);
    } else {
      const selected = findEngine(state.engines, state.selectedEngine);
      if (!selected) return;
      this.#model.textContent = selected.model;
      // A two-input engine learns no formula; the others learn the one the page was rendered with.
      this.#target.textContent = selected.inputs > 1 ? TEACHER_TARGET : this.#formTarget;
    }
  }
}
