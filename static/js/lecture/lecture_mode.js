// Lecture mode: a lecture's scenes (GET /api/lectures/{name}) stepped in order. The page that starts it leads:
// each scene it opens starts the scene's run (and the run beside it), enlarges its panel, marks its code lines and
// tells the lecture's session, which every following page waits on and then shows: the same scene, the same runs.
// The address says which: `#lecture=NAME&session=ID` (the leader's, and the link students open).
import {
  followLectureSession,
  getLecture,
  leadsSession,
  moveLectureSession,
  startLectureSession,
} from "../api.js";
import { Local } from "../store.js";

const SETTLE_MS = 350; // how long the keys rest before the scene asked for opens

/** The lecture and session the address names ({name: null} when none). */
export function lectureInAddress() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { name: params.get("lecture"), session: params.get("session") };
}

/** The page's link for students following a session, on `origin` (the address their phones reach). */
export function sessionLink(name, session, origin = location.origin) {
  const params = new URLSearchParams({ lecture: name, session });
  return `${origin}/#${params}`;
}

export class LectureMode {
  #store;
  #runs;
  #show;
  #shareLink;
  #lecture = null; // {name, title, source, scenes}
  #session = null;
  #leading = false;
  #version = -1; // the session's last move this page has shown
  #shown = { run: null, compare: null }; // the runs the open scene started (the leader stops them on leaving)
  #opening = null; // the scene being opened (a key pressed twice waits for the first)
  #generation = 0; // bumped when the lecture closes: a wait still out then ends quietly
  #settling = 0; // the timer that opens the scene asked for last
  #origin = location.origin; // where students reach this server: the run share link's (a hall's address)

  /**
   * `runs`: start(config) → RunInfo (token kept), stop(runId); `show({run, compare, panel})`: follows the runs
   * (address) and enlarges the panel; `shareLink(runId)`: the server's {url} for phones to reach a run.
   */
  constructor(store, { runs, show, shareLink }) {
    this.#store = store;
    this.#runs = runs;
    this.#show = show;
    this.#shareLink = shareLink;
    addEventListener("keydown", (event) => this.#key(event), { capture: true });
  }

  /** Opens what the address names: a session to follow (or to lead again, from this browser), or a new one. */
  async fromAddress() {
    const { name, session } = lectureInAddress();
    if (!name) return this.close();
    if (this.#lecture?.name === name && this.#session === session) return;
    try {
      this.#lecture = { name, ...(await getLecture(name)) };
      if (session) {
        this.#session = session;
        this.#leading = leadsSession(session);
        this.#publish();
        this.#wait(this.#generation);
        return;
      }
      const started = await startLectureSession(name);
      this.#session = started.id;
      this.#leading = true;
      history.replaceState(null, "", `#${new URLSearchParams({ lecture: name, session: started.id })}`);
      await this.go(0);
    } catch (error) {
      this.#publish(error.message);
    }
  }

  /** Leaves lecture mode (the runs go on; the address keeps naming them). */
  close() {
    if (!this.#lecture) return;
    this.#generation += 1;
    this.#lecture = null;
    this.#session = null;
    this.#leading = false;
    this.#version = -1;
    this.#store.apply({ type: Local.LECTURE, lecture: null });
  }

  /** The leader's move to scene `index`: its runs started, the last scene's stopped, everyone told. */
  async go(index) {
    if (!this.#leading || !this.#lecture) return;
    const scene = this.#lecture.scenes[index];
    if (!scene) return;
    if (this.#opening !== null) {
      this.#settling = setTimeout(() => this.go(index), SETTLE_MS); // after the scene still opening
      return;
    }
    this.#opening = index;
    this.#publish("", index);
    try {
      const left = this.#shown;
      await Promise.all([left.run, left.compare].filter(Boolean).map((id) => this.#runs.stop(id)));
      const run = await this.#runs.start(scene.run);
      const compare = scene.compare ? await this.#runs.start(scene.compare) : null;
      this.#shown = { run: run.id, compare: compare?.id ?? null };
      const moved = await moveLectureSession(this.#session, { index, run: run.id, compare: compare?.id ?? null });
      this.#version = moved.version;
      this.#enter(index, this.#shown);
      if (this.#origin === location.origin) this.#learnOrigin(run.id);
    } catch (error) {
      this.#publish(`Scene ${index + 1} could not start: ${error.message}`, index);
    } finally {
      this.#opening = null;
    }
  }

  /** A follower's loop: each answer is the session's next move (or the same one, after the server's wait). */
  async #wait(generation) {
    while (generation === this.#generation) {
      try {
        const shown = await followLectureSession(this.#session, this.#version);
        if (generation !== this.#generation) return;
        if (shown.version !== this.#version && shown.run) {
          this.#version = shown.version;
          if (this.#leading) this.#shown = { run: shown.run, compare: shown.compare };
          this.#enter(shown.index, shown);
        }
      } catch (error) {
        if (generation !== this.#generation) return;
        this.#publish(`Lost the lecture: ${error.message}. Trying again…`);
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    }
  }

  /** The address the server gives phones for a run (its network address when this page is on localhost). */
  async #learnOrigin(runId) {
    const share = await this.#shareLink(runId);
    if (!share?.url) return;
    this.#origin = new URL(share.url).origin;
    this.#publish("", this.#store.state.lecture?.index ?? 0);
  }

  #enter(index, { run, compare }) {
    const scene = this.#lecture.scenes[index];
    this.#publish("", index);
    this.#show({ run, compare, panel: scene.panel });
  }

  #publish(error = "", index = this.#store.state.lecture?.index ?? 0) {
    const lecture = this.#lecture;
    this.#store.apply({
      type: Local.LECTURE,
      lecture: lecture && {
        name: lecture.name,
        title: lecture.title,
        source: lecture.source,
        scenes: lecture.scenes,
        index,
        leading: this.#leading,
        session: this.#session,
        link: this.#session ? sessionLink(lecture.name, this.#session, this.#origin) : null,
        error,
      },
    });
  }

  /** PageDown / PageUp, as a presentation clicker sends them: the next or the last scene. */
  #key(event) {
    if (!this.#leading || !this.#lecture || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable], dialog[open]")) return;
    const step = { PageDown: 1, PageUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    event.stopPropagation();
    this.request((this.#store.state.lecture?.index ?? 0) + step);
  }

  /**
   * The leader asks for scene `index` (a key, a button): shown at once, its runs started once the keys have
   * rested a moment, so paging past five scenes starts the runs of the one it stops at, not of all five.
   */
  request(index) {
    if (!this.#leading || !this.#lecture || index < 0 || index >= this.#lecture.scenes.length) return;
    this.#publish("", index);
    clearTimeout(this.#settling);
    this.#settling = setTimeout(() => this.go(index), SETTLE_MS);
  }
}
