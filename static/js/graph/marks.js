// What a pass puts on the drawing: the box autograd is running lit, those it has run marked done, the numbers
// each box holds (written as the pulse reaches them; all at once for forward values), and each edge as wide and
// as strong in colour as the gradient it carried is large, its numbers in its title (on hover) and in the
// inspector: magnitudes as marks, numbers on demand.
import { NORM_ROOM, SCALAR_ROOM, briefParts, formatBrief, magnitude } from "./summary.js";
import { isHandMade } from "./words.js";

const brief = (summary) => briefParts(summary).value;

// An edge's width on a log scale against the largest gradient of the same pass: the largest is the widest, one
// a million times smaller (or none) a hairline. Summed gradients span many decades within one step, and which
// path carries the most is what the drawing should show at a glance; the numbers are on demand.
const DECADES = 6;

/** 0…1: how large `size` is against `largest` on the edges' log scale (0 for none). */
export function strength(size, largest) {
  if (!(size > 0) || !(largest > 0)) return 0;
  return Math.min(1, Math.max(0, 1 + Math.log10(size / largest) / DECADES));
}

/** What comes before a box's number: ".grad" of a parameter, "grad" of the loss, "∇W" of a layer (backward). */
function prefix(item, backward) {
  if (item.kind === "layer") return backward ? "∇W " : "W ";
  if (!backward) return "";
  if (item.kind === "leaf") return isHandMade(item.node) ? "grad " : ".grad ";
  return "grad ";
}

/** The longest value line `item` can show, to keep room for: a layer's weight is a tensor, the loss a scalar. */
export function valueRoom(item, forward = {}) {
  if (item.kind !== "layer" && item.kind !== "leaf") return SCALAR_ROOM; // the loss: "grad 1", or its value
  const shape = item.kind === "layer" ? [2] : (forward[item.id]?.shape ?? [2]);
  const tensor = shape.reduce((n, d) => n * d, 1) > 1;
  return prefix(item, true) + (tensor ? NORM_ROOM : SCALAR_ROOM);
}

/** A box's value line: a parameter's .grad (or its value), the loss's dL/dL = 1 (or the loss itself). */
function nodeValue(item, shape, values, backward) {
  if (item.kind === "layer") {
    const weight = shape.nodes.find((node) => node.id === item.layer.weight);
    return prefix(item, backward) + brief(backward ? values.leaf_grads?.[weight.label] : values.forward?.[weight.id]);
  }
  if (item.kind === "leaf") {
    return prefix(item, backward) + brief(backward ? values.leaf_grads?.[item.node.label] : values.forward?.[item.id]);
  }
  // The loss: backward() starts from dL/dL = 1 (a hand-derived engine sends no gradient for it).
  return backward ? `${prefix(item, true)}${brief(values.grad_in?.[item.id]) || "1"}` : brief(values.forward?.[item.id]);
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
  const names = new Map(view.nodes.map((item) => [item.id, item.title]));
  const carriedBy = (edge) => (backward ? values.grad_out?.[edge.keys[0]] : values.forward?.[edge.targets[0]]);
  const largest = Math.max(0, ...view.edges.map((edge) => magnitude(carriedBy(edge)) ?? 0).filter(Number.isFinite));
  for (const item of view.nodes) {
    const parts = scene.nodes.get(item.id);
    parts.group.classList.toggle("active", item.id === active);
    parts.group.classList.toggle("done", done.has(item.id));
    if (parts.value) parts.value.textContent = reached(item.id) ? nodeValue(item, view.shape, values, backward) : "";
  }
  for (const edge of view.edges) {
    const parts = scene.edges.get(edge.id);
    const grad = values.grad_out?.[edge.keys[0]];
    // Backward: the gradient sent along the edge. Forward: the value that came up it, its input's output.
    const carried = carriedBy(edge);
    const shown = reached(edge.source) && carried != null;
    parts.group.classList.toggle("no-grad", !grad);
    parts.group.classList.toggle("active", edge.source === active);
    parts.group.classList.toggle("done", done.has(edge.source));
    parts.group.style.setProperty("--g", shown ? strength(magnitude(carried), largest).toFixed(3) : 0);
    const [from, to] = [names.get(edge.source), names.get(edge.target)];
    const number = !grad && backward ? "no gradient: a constant needs none" : shown ? formatBrief(carried) : "not reached yet";
    parts.tip.textContent = backward ? `gradient ${from} → ${to}: ${number}` : `value ${to} → ${from}: ${number}`;
    parts.group.dataset.value = shown ? formatBrief(carried) : "";
  }
  return active;
}
