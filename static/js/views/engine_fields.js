// The form's fields that depend on the engine: its model and description, the optimizer (torch-optim only),
// the network's layers (torch-mlp only), the target formula (one-input engines only), the zero_grad switch
// (meaningless where no `.grad` is kept), the no_grad switch (torch-autograd's update) and the learning rate the
// server would pick.
import { formatInputNumber } from "../format.js";
import { NETWORK_ENGINE, OPTIMIZER_ENGINE, RunConfigField } from "../protocol.js";
import { defaultRate } from "../run_config.js";
import { LayerField } from "./layer_field.js";

export class EngineFields {
  #form;
  #onSelect;
  #layers;
  #rates; // engine -> reduction -> optimizer -> η, the server's default (app/run_config.py)
  #wantsZeroGrad; // the user's last choice, kept while an engine without .grad forces the box on
  #engine; // the engine the form named last: the fields may still hold its defaults

  /**
   * `onSelect(engine, { zero_grad, no_grad, reduction })` is told each engine the form names, the first one too,
   * and each change of the switches that decide which lines of its step run.
   */
  constructor(form, onSelect) {
    this.#form = form;
    this.#onSelect = onSelect;
    this.#layers = new LayerField(form.querySelector("[data-layers-group]"));
    this.#rates = JSON.parse(form.querySelector("[data-learning-rates]").textContent);
    const { engine, optimizer, zero_grad: zeroGrad, no_grad: noGrad, degree } = form.elements;
    this.#wantsZeroGrad = zeroGrad.checked;
    engine.addEventListener("change", () => this.#engineChanged());
    optimizer.addEventListener("change", () => this.#showDefaultRate());
    zeroGrad.addEventListener("change", () => {
      this.#wantsZeroGrad = zeroGrad.checked;
      this.#announce();
    });
    noGrad.addEventListener("change", () => this.#announce());
    for (const box of this.#weightBoxes()) box.addEventListener("change", () => this.#announce());
    degree.addEventListener("change", () => this.#showModel());
    for (const radio of form.elements.reduction) {
      radio.addEventListener("change", () => this.#reductionChanged(radio.value));
    }
    this.#engineChanged();
  }

  /**
   * The fields to send that FormData cannot tell: an unticked box sends nothing, but false is the point; and
   * the layers go as a list, not as the text typed.
   */
  extraConfig() {
    const unticked = (box) => !box.disabled && !box.checked;
    const { zero_grad: zeroGrad, no_grad: noGrad } = this.#form.elements;
    const frozen = this.#frozen();
    return {
      ...(unticked(zeroGrad) ? { zero_grad: false } : {}),
      ...(unticked(noGrad) ? { no_grad: false } : {}),
      ...(frozen.length ? { frozen } : {}),
      ...this.#layers.config(),
    };
  }

  /** The requires_grad boxes, one per weight of the engine that may freeze them. */
  #weightBoxes() {
    return [...this.#form.querySelectorAll("[data-frozen-group] input[name=requires_grad]")];
  }

  /** The weights unticked (made with requires_grad=False), where the engine reads `frozen`. */
  #frozen() {
    return this.#weightBoxes().filter((box) => !box.disabled && !box.checked).map((box) => box.value);
  }

  #option() {
    return this.#form.elements.engine.selectedOptions[0];
  }

  #engineChanged() {
    const option = this.#option();
    const name = option?.value ?? "";
    this.#form.querySelector("[data-engine-description]").textContent = option?.dataset.description ?? "";

    // Disabled as well as hidden, so FormData leaves out an optimizer the engine would ignore.
    const usesOptimizer = name === OPTIMIZER_ENGINE;
    this.#form.querySelector("[data-optimizer-group]").hidden = !usesOptimizer;
    this.#form.elements.optimizer.disabled = !usesOptimizer;
    this.#layers.show(name === NETWORK_ENGINE);
    const switches = JSON.parse(option?.dataset.switches || "[]");
    this.#offer("[data-no-grad-group]", this.#form.elements.no_grad, switches.includes(RunConfigField.NO_GRAD));
    this.#offer("[data-degree-group]", this.#form.elements.degree, switches.includes(RunConfigField.DEGREE));
    const freezes = switches.includes(RunConfigField.FROZEN);
    this.#form.querySelector("[data-frozen-group]").hidden = !freezes;
    for (const box of this.#weightBoxes()) box.disabled = !freezes;
    this.#showData(Number(option?.dataset.inputs ?? 1));

    const storesGrads = option?.dataset.storesGrads !== "false";
    const zeroGrad = this.#form.elements.zero_grad;
    zeroGrad.disabled = !storesGrads;
    zeroGrad.checked = storesGrads ? this.#wantsZeroGrad : true; // there is nothing to forget to zero
    zeroGrad.closest("label").classList.toggle("disabled", !storesGrads);
    this.#form.querySelector("[data-zero-grad-hint]").textContent = storesGrads
      ? "Untick to make the common mistake: backward() adds to .grad, so gradients pile up step after step."
      : `${name} computes fresh gradients every step and keeps none in .grad: there is nothing to forget to zero.`;

    if (this.#engine !== undefined && this.#engine !== name) this.#followDefaults(this.#engine, name);
    this.#engine = name;
    this.#showModel();
    this.#showDefaultRate();
    this.#announce();
  }

  /** Shows a field's group and sends the field only where the engine reads it (disabled, FormData leaves it out). */
  #offer(group, field, offered) {
    this.#form.querySelector(group).hidden = !offered;
    field.disabled = !offered;
  }

  /** The engine's model, as the chosen features make it where the engine reads them. */
  #showModel() {
    const { degree } = this.#form.elements;
    const model = degree.disabled ? this.#option()?.dataset.model : degree.selectedOptions[0]?.dataset.model;
    this.#form.querySelector("[data-engine-model]").textContent = model ?? "";
  }

  #announce() {
    const { reduction } = this.#choice();
    const { engine, zero_grad: zeroGrad, no_grad: noGrad } = this.#form.elements;
    const noGradOn = noGrad.disabled || noGrad.checked;
    this.#onSelect(engine.value, { zero_grad: zeroGrad.checked, no_grad: noGradOn, frozen: this.#frozen(), reduction });
  }

  /**
   * The fields an engine fills in its own way when they are left out (lecture-net's mean, its slide's MSELoss();
   * dynamic-net's 30000 steps, the tutorial's), over the form's own defaults.
   */
  #defaultsOf(name) {
    const option = [...this.#form.elements.engine.options].find((o) => o.value === name);
    const reduction = [...this.#form.elements.reduction].find((radio) => radio.defaultChecked)?.value;
    const degree = [...this.#form.elements.degree.options].find((o) => o.defaultSelected)?.value;
    const own = JSON.parse(option?.dataset.defaults || "{}");
    return { steps: this.#form.elements.steps.defaultValue, reduction, degree, ...own };
  }

  /** A field still at the last engine's default takes the new engine's; one the user set stays as it is. */
  #followDefaults(from, to) {
    const before = this.#defaultsOf(from);
    const after = this.#defaultsOf(to);
    const { steps, degree } = this.#form.elements;
    if (steps.value.trim() === String(before.steps)) steps.value = String(after.steps);
    if (degree.value === String(before.degree)) degree.value = String(after.degree);
    const checked = this.#form.querySelector("[name=reduction]:checked");
    if (checked?.value !== before.reduction || after.reduction === before.reduction) return;
    const radio = [...this.#form.elements.reduction].find((r) => r.value === after.reduction);
    if (!radio) return;
    radio.checked = true;
    this.#reductionChanged(radio.value); // a typed rate keeps its step size, as when the user switches
  }

  /**
   * A two-input engine draws its data from the seed: no target formula to learn (hidden and disabled, so it is
   * not sent), and the x range is where both inputs are drawn.
   */
  #showData(inputs) {
    const pairs = inputs > 1;
    this.#form.querySelector("[data-target-group]").hidden = pairs;
    this.#form.elements.target.disabled = pairs;
    this.#form.querySelector("[data-data-hint]").hidden = pairs;
    this.#form.querySelector("[data-pairs-hint]").hidden = !pairs;
  }

  #choice() {
    const { engine, optimizer } = this.#form.elements;
    const reduction = this.#form.querySelector("[name=reduction]:checked")?.value ?? "sum";
    return { engine: engine.value, reduction, optimizer: optimizer.value };
  }

  /** The rate the server uses for a blank field, or undefined for an engine the page was not told about. */
  #defaultRate(choice) {
    return defaultRate(this.#rates, choice);
  }

  #showDefaultRate() {
    const rate = this.#defaultRate(this.#choice());
    this.#form.elements.learning_rate.placeholder = rate === undefined ? "" : formatInputNumber(rate);
  }

  /**
   * Keeps the step size when the reduction changes: a summed gradient is `points` times the mean one. An
   * optimizer that scales its steps by the gradient's size (RMSprop, Adam) needs no conversion.
   */
  #reductionChanged(reduction) {
    this.#showDefaultRate();
    this.#announce();
    const input = this.#form.elements.learning_rate;
    const choice = this.#choice();
    const sum = this.#defaultRate({ ...choice, reduction: "sum" });
    const mean = this.#defaultRate({ ...choice, reduction: "mean" });
    const rate = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(rate) || sum === mean) return;
    const typed = Number(this.#form.elements.points.value);
    const points = typed >= 2 ? typed : Number(this.#form.dataset.points);
    input.value = formatInputNumber(reduction === "mean" ? rate * points : rate / points);
  }
}
