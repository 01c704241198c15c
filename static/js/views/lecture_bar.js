// Lecture mode's band across the top: the part and the scene's place in the lecture, its title, its point in a few
// lines and its equation; for the lecturer, the buttons that step scenes (PageUp / PageDown do too) and the link
// students follow; for a student, that they follow the lecturer.
import { formatCount } from "../format.js";

export class LectureBar {
  #container;
  #parts;
  #shown = null; // the lecture state on screen

  /** `actions`: go(index) moves the lecture (the leader's page), close() leaves lecture mode. */
  constructor(container, actions) {
    this.#container = container;
    const $ = (selector) => container.querySelector(selector);
    this.#parts = {
      part: $("[data-lecture-part]"),
      count: $("[data-lecture-count]"),
      title: $("[data-lecture-title]"),
      text: $("[data-lecture-text]"),
      equation: $("[data-lecture-equation]"),
      nav: $("[data-lecture-nav]"),
      previous: $("[data-lecture-previous]"),
      next: $("[data-lecture-next]"),
      link: $("[data-lecture-link]"),
      follow: $("[data-lecture-follow]"),
      error: $("[data-lecture-error]"),
    };
    this.#parts.previous.addEventListener("click", () => actions.go(this.#shown.index - 1));
    this.#parts.next.addEventListener("click", () => actions.go(this.#shown.index + 1));
    $("[data-lecture-close]").addEventListener("click", () => actions.close());
    // Enlarged panels leave the band in sight: they start below its bottom (lecture.css).
    new ResizeObserver(() => {
      const bottom = container.getBoundingClientRect().bottom + scrollY;
      document.documentElement.style.setProperty("--lecture-bottom", `${Math.round(bottom)}px`);
    }).observe(container);
  }

  update(state) {
    const lecture = state.lecture;
    if (lecture === this.#shown) return;
    this.#shown = lecture;
    this.#container.hidden = !lecture;
    document.documentElement.dataset.lectureOpen = lecture ? lecture.name : "";
    if (!lecture) return;
    const scene = lecture.scenes[lecture.index];
    const parts = this.#parts;
    Object.assign(this.#container.dataset, { index: lecture.index, leading: lecture.leading });
    parts.part.textContent = scene.part;
    parts.count.textContent = `scene ${formatCount(lecture.index + 1)} of ${formatCount(lecture.scenes.length)}`;
    parts.title.textContent = scene.title;
    parts.text.textContent = scene.text.trim();
    parts.equation.textContent = scene.equation;
    parts.equation.hidden = !scene.equation;
    parts.nav.hidden = !lecture.leading;
    parts.previous.disabled = lecture.index === 0;
    parts.next.disabled = lecture.index === lecture.scenes.length - 1;
    parts.link.hidden = !lecture.leading || !lecture.link;
    const anchor = parts.link.querySelector("a");
    anchor.href = lecture.link ?? "";
    anchor.textContent = lecture.link ?? "";
    parts.follow.hidden = lecture.leading;
    parts.error.textContent = lecture.error;
    parts.error.hidden = !lecture.error;
  }

  reset() {}
}
