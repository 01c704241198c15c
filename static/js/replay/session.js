// The replay of an ended run in one place: its history asked for once the run has ended, the timeline's gestures
// and the player turned into replayed steps, and the autograd graph of the step shown fetched as it moves. Like
// every view it is told the store's state (update) and the change of run (reset); it changes the store only
// through the callbacks main.js gives it.
import { ENDED } from "../protocol.js";
import { ReplayGraphs } from "./graphs.js";
import { Player } from "./player.js";

export class ReplaySession {
  #state = null;
  #getHistory;
  #onHistory;
  #onReplay;
  #player;
  #graphs;
  #historyOf = { runId: null, asked: false }; // the followed run, and whether its history was asked for

  /**
   * `getHistory(runId)` and `getGraphAt(runId, step)`: the REST calls (api.js). `onHistory(runId, history)`,
   * `onReplay(index, playing)` (index null: the final view again) and `onGraph(runId, frame)`: the store's.
   */
  constructor({ getHistory, getGraphAt, onHistory, onReplay, onGraph }) {
    this.#getHistory = getHistory;
    this.#onHistory = onHistory;
    this.#onReplay = onReplay;
    this.#player = new Player({
      onStep: (index) => onReplay(index, true),
      onEnd: () => onReplay(null, false), // the end of the replay is the final view
    });
    // Told during the store's own round of updates: the answer goes in once that round is over.
    const later = (runId, frame) => queueMicrotask(() => onGraph(runId, frame));
    this.#graphs = new ReplayGraphs({ fetch: getGraphAt, onFrame: later });
  }

  /** What the timeline's buttons and slider do (replay/timeline.js). */
  get actions() {
    const player = this.#player;
    const lastRow = () => (this.#state?.history?.step.length ?? 1) - 1;
    return {
      seek: (index) => (player.pause(), this.#onReplay(index, false)),
      play: (speed) => player.play(this.#state?.replay?.index ?? lastRow(), lastRow(), speed),
      pause: () => {
        player.pause();
        const index = this.#state?.replay?.index;
        if (index != null) this.#onReplay(index, false);
      },
      leave: () => (player.pause(), this.#onReplay(null, false)),
    };
  }

  update(state) {
    this.#state = state;
    const { runId, status, history, replay } = state;
    if (runId !== this.#historyOf.runId) {
      this.#player.pause(); // another run: the replay of the last one is over
      this.#historyOf = { runId, asked: false };
    }
    if (runId && !history && !this.#historyOf.asked && ENDED.has(status)) {
      const asked = (this.#historyOf = { runId, asked: true });
      this.#getHistory(runId)
        .then((columns) => this.#onHistory(runId, columns))
        .catch(() => (asked.asked = false)); // asked again at the store's next change
    }
    if (runId && replay) this.#graphs.want(runId, replay.step);
  }

  reset() {
    this.#player.pause();
  }
}
