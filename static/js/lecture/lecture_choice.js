// The presenter bar's lecture list: the lectures this server offers (GET /api/lectures), and Open, which opens the
// one chosen in lecture mode ("none": leaves it). A lecture whose file has an error is listed, disabled, with the
// error's line. Choosing alone changes nothing: the page moves only when Open is pressed.

export class LectureChoice {
  #select;
  #open;
  #current = ""; // the lecture open now ("" for none)

  /** `list()` resolves to the server's lectures; `choose(name)` opens one ("" for none). */
  constructor(container, list, choose) {
    this.#select = container.querySelector("[data-lecture-choose]");
    this.#open = container.querySelector("[data-lecture-open]");
    this.#select.addEventListener("change", () => this.#showButton());
    this.#open.addEventListener("click", () => {
      container.open = false; // the menu closes: the lecture (or the board) is what to look at now
      choose(this.#select.value);
    });
    list()
      .then((lectures) => this.#fill(lectures))
      .catch(() => {
        container.hidden = true; // a server without lectures: nothing to offer
      });
  }

  #fill(lectures) {
    for (const lecture of lectures) {
      const option = document.createElement("option");
      option.value = lecture.name;
      option.textContent = lecture.error ? `${lecture.name} (error: ${lecture.error})` : lecture.title;
      option.disabled = Boolean(lecture.error);
      this.#select.append(option);
    }
    this.#select.value = this.#current;
    this.#showButton();
  }

  /** Open is offered when the choice differs from what is open; it says Leave for "none". */
  #showButton() {
    const chosen = this.#select.value;
    this.#open.disabled = chosen === this.#current;
    this.#open.textContent = chosen === "" && this.#current !== "" ? "Leave" : "Open";
  }

  update(state) {
    const current = state.lecture?.name ?? "";
    if (current === this.#current) return;
    this.#current = current;
    if ([...this.#select.options].some((o) => o.value === current)) this.#select.value = current;
    this.#showButton();
  }

  reset() {}
}
