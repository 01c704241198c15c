// The autograd graph of the step a replay shows, from `GET /api/runs/{id}/graph?step=N`. The server answers
// with the nearest graph kept at or before N and the step of the next one, so one answer serves every step in
// between: a drag or a playback asks once per kept graph it crosses, at most one request at a time and one
// every GAP_MS, never one per pixel.

const GAP_MS = 120; // between two requests while the wanted step keeps moving

/**
 * What the graph panel draws: during a replay the graph of the replayed step (once fetched), else the latest.
 * A replayed graph of the latest one's shape is drawn with that very shape object, so nothing is laid out again.
 */
export function shownGraph({ replay, replayGraph, graph, graphValues }) {
  if (!replay || !replayGraph) return { graph, values: graphValues };
  const shape = replayGraph.graph.signature === graph?.signature ? graph : replayGraph.graph;
  return { graph: shape, values: replayGraph.graphValues };
}

export class ReplayGraphs {
  #fetch;
  #onFrame;
  #runId = null;
  #frames = []; // {step, nextStep, graph, graphValues} answered for this run
  #noneUpTo = -1; // the server keeps no graph at or before this step
  #shapes = new Map(); // signature → the one shape object used for it
  #wanted = null;
  #shown; // the frame last handed to onFrame (undefined: none yet)
  #busy = false;
  #timer = null;
  #last = -Infinity; // when the last request went out

  /** `fetch(runId, step)` resolves to the server's answer; `onFrame(runId, frame)` with a frame or null (none). */
  constructor({ fetch, onFrame }) {
    this.#fetch = fetch;
    this.#onFrame = onFrame;
  }

  /** Shows the graph of `step` of run `runId`: at once if an answer covers it, else once asked. */
  want(runId, step) {
    if (runId !== this.#runId) this.#forget(runId);
    this.#wanted = step;
    const found = this.#lookup(step);
    if (found !== undefined) this.#show(found);
    else this.#schedule();
  }

  /** The frame covering `step`, null when the server has none by then, undefined when not known yet. */
  #lookup(step) {
    if (step <= this.#noneUpTo) return null;
    return this.#frames.find((frame) => frame.step <= step && (frame.nextStep === null || step < frame.nextStep));
  }

  #show(frame) {
    if (frame === this.#shown) return;
    this.#shown = frame;
    this.#onFrame(this.#runId, frame);
  }

  #schedule() {
    if (this.#busy || this.#timer !== null) return;
    const wait = Math.max(0, this.#last + GAP_MS - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#ask();
    }, wait);
  }

  async #ask() {
    const runId = this.#runId;
    const step = this.#wanted;
    if (runId === null || step === null || this.#lookup(step) !== undefined) return;
    this.#busy = true;
    this.#last = performance.now();
    let failed = false;
    try {
      const answer = await this.#fetch(runId, step);
      if (runId === this.#runId) this.#keep(answer); // not if another run was followed meanwhile
    } catch (error) {
      // An answer about a run no longer followed changes nothing: the next run's step is asked for below.
      const current = runId === this.#runId;
      if (current && error?.status === 404) this.#noneUpTo = Math.max(this.#noneUpTo, step);
      else if (current) failed = true; // asked again at the next `want`
    } finally {
      this.#busy = false;
    }
    if (this.#wanted === null) return;
    const found = this.#lookup(this.#wanted);
    if (found !== undefined) this.#show(found);
    else if (!failed) this.#schedule();
  }

  #keep(answer) {
    const shape = answer.shape;
    if (!this.#shapes.has(shape.signature)) this.#shapes.set(shape.signature, shape);
    const frame = {
      step: answer.step,
      nextStep: answer.next_step ?? null,
      graph: this.#shapes.get(shape.signature),
      graphValues: answer.values,
    };
    if (!this.#frames.some((kept) => kept.step === frame.step)) this.#frames.push(frame);
  }

  #forget(runId) {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#runId = runId;
    this.#frames = [];
    this.#noneUpTo = -1;
    this.#shapes.clear();
    this.#wanted = null;
    this.#shown = undefined;
  }
}
