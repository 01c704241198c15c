// The timeline of an ended run: a slider over its steps with the step and loss it points at, Play and Pause at
// a chosen speed, and "Final" to leave the replay. It shows what the store says (`history`, `replay`) and
// hands every gesture to its owner: the store changes, never this view by itself.
import { formatCount, formatValue } from "../format.js";
import { ENDED } from "../protocol.js";
import { oncePerFrame } from "../views/animation_frame.js";

export class Timeline {
  #container;
  #range;
  #step;
  #loss;
  #mode;
  #play;
  #pause;
  #final;
  #speed;
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  /** `actions`: seek(index), play(speed in steps/s), pause(), leave() (back to the final view). */
  constructor(container, actions) {
    this.#container = container;
    const part = (name) => container.querySelector(`[data-replay-${name}]`);
    this.#range = part("range");
    this.#step = part("readout-step");
    this.#loss = part("readout-loss");
    this.#mode = part("mode");
    this.#play = part("play");
    this.#pause = part("pause");
    this.#final = part("final");
    this.#speed = part("speed");
    // A range input moves with arrows, Page Up/Down, Home and End by itself; each move is an `input` event.
    this.#range.addEventListener("input", () => actions.seek(Number(this.#range.value)));
    this.#play.addEventListener("click", () => actions.play(Number(this.#speed.value)));
    this.#pause.addEventListener("click", () => actions.pause());
    this.#final.addEventListener("click", () => actions.leave());
    this.reset();
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#container.hidden = true;
    Object.assign(this.#container.dataset, { step: "", playing: "false" });
  }

  #draw() {
    const state = this.#state;
    const history = state?.history;
    const rows = history?.step.length ?? 0;
    this.#container.hidden = !(ENDED.has(state?.status) && rows > 0);
    if (this.#container.hidden) return;
    const replay = state.replay;
    const index = replay?.index ?? rows - 1;
    const step = history.step[index];
    this.#range.max = String(rows - 1);
    if (this.#range.value !== String(index)) this.#range.value = String(index);
    this.#step.textContent = formatCount(step);
    this.#loss.textContent = formatValue(history.loss[index]);
    this.#range.setAttribute("aria-valuetext", `step ${formatCount(step)}, loss ${formatValue(history.loss[index])}`);
    const playing = Boolean(replay?.playing);
    this.#mode.textContent = replay ? (playing ? "playing" : "replaying") : "final weights shown";
    this.#play.disabled = playing;
    this.#pause.disabled = !playing;
    this.#final.disabled = !replay;
    Object.assign(this.#container.dataset, { step: replay ? String(step) : "", playing: String(playing) });
  }
}
