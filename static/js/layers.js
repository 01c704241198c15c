// A torch-mlp network's hidden layers (RunConfig `layers`): Linear widths and activation names between the
// input x and the output y. Parsing is lenient on purpose: the server validates, and its 422 names the entry.

/** The activations the server knows (app/engines/torch_mlp.py), as torch spells their modules. */
export const ACTIVATIONS = Object.freeze({ sigmoid: "Sigmoid", relu: "ReLU", tanh: "Tanh", softmax: "Softmax" });

/** Networks worth a click, as layer lists a user could have typed. */
export const LAYER_PRESETS = Object.freeze(["16, tanh", "32, relu, 32, relu", "8, sigmoid", "16, softmax"]);

const INTEGER = /^\d+$/;

/**
 * "16, Tanh 16 relu" → [16, "tanh", 16, "relu"]: commas or spaces between entries, names in any case. An
 * entry that is neither a whole number nor a known name is kept as typed, for the server to reject by name.
 */
export function parseLayers(text) {
  return text
    .split(/[\s,]+/)
    .filter((token) => token !== "")
    .map((token) => {
      if (INTEGER.test(token)) return Number(token);
      const name = token.toLowerCase();
      return name in ACTIVATIONS ? name : token;
    });
}

/** The layer list as a user types it: "16, tanh". */
export function formatLayers(layers) {
  return layers.join(", ");
}

function activationName(layer) {
  return ACTIVATIONS[layer] ?? `${layer}?`; // an unknown name stays visible, marked, until the server answers
}

/** "1 → 16 → Tanh → 1": the widths each Linear maps to, and the activations between them. */
export function describeLayers(layers, inputs = 1, outputs = 1) {
  const inner = layers.map((layer) => (typeof layer === "number" ? String(layer) : activationName(layer)));
  return [String(inputs), ...inner, String(outputs)].join(" → ");
}

/** "Linear(1, 16) → Tanh → Linear(16, 1)": the torch modules the server builds, in order. */
export function describeModules(layers) {
  const modules = [];
  let width = 1;
  for (const layer of [...layers, 1]) {
    if (typeof layer === "number") {
      modules.push(`Linear(${width}, ${layer})`);
      width = layer;
    } else modules.push(activationName(layer));
  }
  return modules.join(" → ");
}

/** How many numbers the network learns: each Linear(n, m) has n·m weights and m biases. */
export function countParameters(layers) {
  let count = 0;
  let width = 1;
  for (const layer of [...layers, 1]) {
    if (typeof layer !== "number") continue;
    count += (width + 1) * layer;
    width = layer;
  }
  return count;
}
