// The torch-mlp network's layers in the form: a typed list ("16, tanh"), the architecture it makes, written
// out as the user types, and presets one click away. Only that engine reads `layers`, so it is hidden and
// sent for no other.
import { countParameters, describeLayers, describeModules, LAYER_PRESETS, parseLayers } from "../layers.js";

export class LayerField {
  #group;
  #input;
  #architecture;
  #modules;

  /** `group` holds the input, the architecture line, the module line and the preset buttons' list. */
  constructor(group) {
    this.#group = group;
    this.#input = group.querySelector("input");
    this.#architecture = group.querySelector("[data-architecture]");
    this.#modules = group.querySelector("[data-modules]");
    const presets = group.querySelector("[data-layer-presets]");
    // Labelled from the lists themselves, so a preset reads exactly as its architecture line will.
    presets.replaceChildren(
      ...LAYER_PRESETS.map((layers) => {
        const button = Object.assign(document.createElement("button"), { type: "button", className: "preset" });
        button.textContent = describeLayers(parseLayers(layers));
        button.dataset.layers = layers;
        button.addEventListener("click", () => {
          this.#input.value = layers;
          this.#describe();
        });
        return button;
      }),
    );
    this.#input.addEventListener("input", () => this.#describe());
    this.#describe();
  }

  /** Shows the field for a network engine; disabled otherwise, so FormData and config() leave it out. */
  show(visible) {
    this.#group.hidden = !visible;
    this.#input.disabled = !visible;
  }

  /** `{layers: [16, "tanh"]}` (numbers as numbers), or nothing when hidden or blank (the server's default). */
  config() {
    const text = this.#input.value.trim();
    return this.#input.disabled || text === "" ? {} : { layers: parseLayers(text) };
  }

  #layers() {
    // Blank sends nothing, so it means the server's default, which the placeholder shows.
    return parseLayers(this.#input.value.trim() || this.#input.placeholder);
  }

  #describe() {
    const layers = this.#layers();
    this.#architecture.textContent = describeLayers(layers);
    const count = countParameters(layers);
    this.#modules.textContent = `${describeModules(layers)} · ${count.toLocaleString("en-US")} parameters`;
    for (const button of this.#group.querySelectorAll("[data-layer-presets] button")) {
      button.setAttribute("aria-pressed", String(button.dataset.layers === this.#input.value.trim()));
    }
  }
}
