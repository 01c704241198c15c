// What a pass puts on the drawing: the box autograd is running lit, those it has run marked done, and the
// numbers each box and edge holds (written as the pulse reaches them; all at once for forward values).
import { briefParts } from "./summary.js";
import { isHandMade } from "./words.js";

const brief = (summary) => briefParts(summary).value;

/** A box's value line: a parameter's .grad (or its value), the loss's dL/dL = 1 (or the loss itself). */
function nodeValue(item, shape, values, backward) {
  if (item.kind === "layer") {
    const weight = shape.nodes.find((node) => node.id === item.layer.weight);
    return backward ? `∇W ${brief(values.leaf_grads?.[weight.label])}` : `W ${brief(values.forward?.[weight.id])}`;
  }
  if (item.kind === "leaf") {
    const grad = isHandMade(item.node) ? "grad" : ".grad";
    return backward ? `${grad} ${brief(values.leaf_grads?.[item.node.label])}` : brief(values.forward?.[item.id]);
  }
  // The loss: backward() starts from dL/dL = 1 (a hand-derived engine sends no gradient for it).
  return backward ? `grad ${brief(values.grad_in?.[item.id]) || "1"}` : brief(values.forward?.[item.id]);
}

/**
 * Marks node `index` of `order` running and those before it done, and writes the numbers reached; a null
 * order means forward values: nothing runs, every number is shown. Returns the id of the running box.
 */
export function markPass(scene, view, values, order, index) {
  const backward = order !== null;
  const active = backward ? (order[index] ?? null) : null;
  const done = new Set(backward ? order.slice(0, Math.max(0, index)) : []);
  const reached = (id) => !backward || id === active || done.has(id);
  for (const item of view.nodes) {
    const parts = scene.nodes.get(item.id);
    parts.group.classList.toggle("active", item.id === active);
    parts.group.classList.toggle("done", done.has(item.id));
    if (parts.value) parts.value.textContent = reached(item.id) ? nodeValue(item, view.shape, values, backward) : "";
  }
  for (const edge of view.edges) {
    const parts = scene.edges.get(edge.id);
    const grad = values.grad_out?.[edge.keys[0]];
    parts.group.classList.toggle("no-grad", !grad);
    parts.group.classList.toggle("active", edge.source === active);
    parts.group.classList.toggle("done", done.has(edge.source));
    // Backward: the gradient sent along the edge. Forward: the value that came up it, its input's output.
    const { value, shape } = briefParts(backward ? grad : values.forward?.[edge.targets[0]]);
    parts.label.textContent = reached(edge.source) ? value : "";
    parts.shape.textContent = reached(edge.source) ? shape : "";
  }
  return active;
}
