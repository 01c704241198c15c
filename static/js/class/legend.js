// The chart's key: which setting the colours stand for (a choice among those that vary), its scale or its
// categories, and the mark of a diverged run. Rewritten only when what it shows changes.
import { fieldLabel, valueText } from "./colours.js";

export class ClassLegend {
  #container;
  #select;
  #key;
  #shown = "";

  /** `choose(field)` when the lecturer picks another setting to colour by. */
  constructor(container, choose) {
    this.#container = container;
    this.#select = container.querySelector("[data-colour-by]");
    this.#key = container.querySelector("[data-legend-key]");
    this.#select?.addEventListener("change", () => choose(this.#select.value || null)); // a key without a choice has none
  }

  /** `colouring` is the chart's (colours.js). */
  update(state, colouring) {
    const options = state.varying.length ? state.varying : colouring.field ? [colouring.field] : [];
    const text = JSON.stringify([options, colouring.field, colouring.legend]);
    if (text === this.#shown) return;
    this.#shown = text;
    this.#container.dataset.colouredBy = colouring.field ?? "";
    this.#key.replaceChildren(...this.#entries(colouring));
    if (!this.#select) return;
    this.#select.replaceChildren(...options.map((field) => new Option(field, field, false, field === colouring.field)));
    // One setting varies: named, not offered as a choice of one.
    this.#container.querySelector("[data-colour-choice]").hidden = options.length < 2;
    const fixed = this.#container.querySelector("[data-colour-fixed]");
    fixed.hidden = options.length >= 2;
    fixed.textContent = colouring.field ? `colour: ${fieldLabel(colouring.field)}` : "";
  }

  reset() {}

  #entries({ legend }) {
    const items = [];
    if (legend.kind === "scale") {
      const bar = Object.assign(document.createElement("span"), { className: "scale-bar" });
      bar.style.background = `linear-gradient(to right, ${legend.stops.join(", ")})`;
      bar.setAttribute("aria-hidden", "true");
      const low = Object.assign(document.createElement("span"), { className: "scale-end", textContent: valueText(legend.min) });
      const high = Object.assign(document.createElement("span"), { className: "scale-end", textContent: valueText(legend.max) });
      const item = document.createElement("li");
      item.className = "scale";
      item.append(low, bar, high);
      if (legend.log) item.append(Object.assign(document.createElement("small"), { textContent: "log scale" }));
      items.push(item);
    } else if (legend.kind === "categories") {
      for (const { label, colour } of legend.entries) {
        const item = document.createElement("li");
        const swatch = Object.assign(document.createElement("span"), { className: "swatch" });
        swatch.style.background = colour;
        swatch.setAttribute("aria-hidden", "true");
        item.append(swatch, label);
        items.push(item);
      }
    }
    const diverged = Object.assign(document.createElement("li"), { className: "diverged-key" });
    diverged.append(Object.assign(document.createElement("span"), { className: "cross", textContent: "✕" }), "diverged");
    items.push(diverged);
    return items;
  }
}
