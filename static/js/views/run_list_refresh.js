// Keeps the run list fresh without a button: asked again as soon as the followed run starts or ends (its row
// changed), and every few seconds while the tab is shown. A missed answer is simply asked again at the next tick.
// Each ask sends the last list's ETag (api.js listRuns): an unchanged list is a 304 with no body, so the server
// answers a whole hall's asks from one cached build.
import { ENDED } from "../protocol.js";

const RUNS_REFRESH_MS = 5000; // GET /api/runs is cached and revalidated by ETag; a hidden tab asks nothing

export class RunListRefresh {
  #refresh;
  #listed = null; // the followed run and its status when the list was last asked for

  /** `refresh()` asks for the list and resolves once it is in the store. */
  constructor(refresh) {
    this.#refresh = () => refresh().catch(() => {});
    setInterval(() => document.visibilityState === "visible" && this.#refresh(), RUNS_REFRESH_MS);
  }

  update({ runId, status }) {
    const key = `${runId}:${ENDED.has(status) ? "ended" : status}`;
    if (key !== this.#listed && status != null) this.#refresh(); // a run started, or ended: its row changed
    this.#listed = key;
  }

  reset() {}
}
