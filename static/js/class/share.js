// Following the lecturer's class view: the lecturer's browser (it holds the class's control token) sends what
// its view shows, {colour_by, sort, descending, selected, join}, whenever that changes while presenting; a
// follower applies each such state unless it chose to browse on its own.

const INTERVAL_MS = 150;
const RETRY_MS = 2000;

/** The part of the class view's state the lecturer shares. */
export function sharedView(state, joinShown) {
  return {
    colour_by: state.colourBy,
    sort: state.sort.key,
    descending: state.sort.descending,
    selected: state.selected,
    join: joinShown,
  };
}

export class ClassViewShare {
  #active;
  #read;
  #send;
  #note;
  #sent = "";
  #busy = false;
  #timer = null;

  /** `active()`: share now; `read()`: the state to share; `send(state)` resolves to null or why it failed. */
  constructor({ active, read, send, note }) {
    this.#active = active;
    this.#read = read;
    this.#send = send;
    this.#note = note;
  }

  changed() {
    if (!this.#active()) {
      this.#note.textContent = "";
      return;
    }
    if (this.#busy || this.#timer !== null) return;
    const text = JSON.stringify(this.#read());
    if (text === this.#sent) return;
    this.#timer = setTimeout(() => this.#flush(), 0);
  }

  async #flush() {
    this.#timer = null;
    const state = this.#read();
    const text = JSON.stringify(state);
    if (!this.#active() || text === this.#sent) return;
    this.#busy = true;
    const failure = await this.#send(state);
    this.#busy = false;
    if (failure) {
      this.#note.textContent = `your view is not reaching the students: ${failure}`;
      this.#timer = setTimeout(() => this.#flush(), RETRY_MS);
      return;
    }
    this.#sent = text;
    this.#note.textContent = "your view is shown to everyone following";
    this.#timer = setTimeout(() => ((this.#timer = null), this.changed()), INTERVAL_MS);
  }
}
