// The lecturer's side of "follow the lecturer": every change of the enlarged panel, the stepper's position,
// the inspected node and the graph's mode is sent to the run's viewers, at most once per DEBOUNCE_MS, and
// only what differs from the last state sent (a hover that comes and goes within the wait sends nothing).

const DEBOUNCE_MS = 100;

export class PresenterShare {
  #read;
  #send;
  #active;
  #timer = null;
  #sent = ""; // the JSON of the last state sent, with the run it went to

  /**
   * `active()`: whether to share now (presenter mode on, this browser holds the run's token); `read()` gives
   * {runId, state}; `send(runId, state)` posts it. `graph` is the graph panel's element, watched for changes.
   */
  constructor({ active, read, send, graph }) {
    this.#active = active;
    this.#read = read;
    this.#send = send;
    const changed = () => this.changed();
    new MutationObserver(changed).observe(graph, {
      attributes: true,
      subtree: true,
      attributeFilter: ["data-step-index", "data-mode", "data-node"], // the inspector's data-node too
    });
  }

  /** Something the lecturer shows may have changed: send it once things hold still for a moment. */
  changed() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), DEBOUNCE_MS);
  }

  #flush() {
    if (!this.#active()) return;
    const { runId, state } = this.#read();
    const text = JSON.stringify([runId, state]);
    if (!runId || text === this.#sent) return;
    this.#sent = text;
    this.#send(runId, state).then((ok) => {
      if (!ok && this.#sent === text) this.#sent = ""; // refused or lost: the next change sends it again
    });
  }
}
