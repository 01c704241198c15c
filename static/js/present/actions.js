// What each presenter key does, given the page's parts (main.js hands them in): the lecturer steers the run
// only with its token, and every key says what came of it in the presenter bar.
import { COMMANDS_BY_STATUS, Command } from "../protocol.js";
import { PaceUnsupported, changePace, nextPace } from "./remote.js";

const READ_ONLY = "Only the browser that started this run can pause, step or pace it.";

/** A steps/s figure as the bar says it. */
function paceWords(pace) {
  return pace == null ? "as fast as it goes" : `${pace} steps/s`;
}

/**
 * The PresenterKeys actions. `state()` is the store's state; `command(name)` sends a run command and puts the
 * answer in the store, as does `paced(run)` with the pace route's answer; `enlarger`, `bar` and `presentation`
 * are present/enlarge.js's, bar.js's and theme.js's.
 */
export function presenterActions({ state, command, paced, enlarger, bar, presentation }) {
  /** Runs `name` if the run is steerable now and allows it; says why not otherwise. */
  const steer = async (name, done) => {
    const { runId, canControl, status } = state();
    if (!runId) return bar.say("Start a run first.");
    if (!canControl) return bar.say(READ_ONLY);
    if (!(COMMANDS_BY_STATUS[status] ?? []).includes(name)) return bar.say(`The run is ${status}: nothing to ${name}.`);
    try {
      await command(name);
      bar.say(done);
    } catch (error) {
      bar.say(error.message);
    }
  };
  return {
    active: () => presentation.presenting,
    playPause() {
      const paused = state().status === "paused";
      return paused ? steer(Command.RESUME, "Running.") : steer(Command.PAUSE, "Paused: → takes one step.");
    },
    step: () => steer(Command.STEP, "One step taken."),
    async pace(direction) {
      const { runId, canControl, run, rate } = state();
      if (!runId) return bar.say("Start a run first.");
      if (!canControl) return bar.say(READ_ONLY);
      try {
        const answer = await changePace(runId, nextPace(run?.config?.pace ?? null, direction, rate));
        paced(answer);
        bar.say(`Pace: ${paceWords(answer?.config?.pace)}.`);
      } catch (error) {
        bar.say(error instanceof PaceUnsupported ? error.message : `The pace stays: ${error.message}`);
      }
    },
    enlarge: (name) => enlarger.toggle(name),
    enlarged: () => enlarger.panel !== null,
    graphEnlarged: () => enlarger.panel === "graph",
    fullScreen: () => bar.fullScreen(),
    help: () => bar.help(),
  };
}
