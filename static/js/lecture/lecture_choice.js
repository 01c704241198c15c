// The presenter bar's lecture list: the lectures this server offers (GET /api/lectures); choosing one opens it in
// lecture mode, "none" leaves it. A lecture whose file has an error is listed, disabled, with the error's line.

export class LectureChoice {
  #select;

  /** `list()` resolves to the server's lectures; `choose(name)` opens one ("" for none). */
  constructor(select, list, choose) {
    this.#select = select;
    select.addEventListener("change", () => choose(select.value));
    list()
      .then((lectures) => this.#fill(lectures))
      .catch(() => {
        select.closest("label").hidden = true; // a server without lectures: nothing to offer
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
    this.#select.value = this.#value ?? "";
  }

  #value = "";

  update(state) {
    this.#value = state.lecture?.name ?? "";
    if (this.#select.value !== this.#value && [...this.#select.options].some((o) => o.value === this.#value)) {
      this.#select.value = this.#value;
    }
  }

  reset() {}
}
