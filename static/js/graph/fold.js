// What the panel draws of an autograd graph: its nodes, with each nn.Linear's nodes folded into one box unless
// that layer is open. torch builds Linear(x) = x·Wᵀ + b as AddmmBackward0(bias, x, TBackward0(weight)), the
// weight and bias each an AccumulateGrad leaf named "<module>.weight" / "<module>.bias": one idea, four boxes.
import { edgeKey } from "./summary.js";
import { friendlyName } from "./words.js";

/** Each Linear layer of the graph: {id, module, members (node ids), title, sub}. */
export function findLayers(shape, forward = {}) {
  const byId = new Map(shape.nodes.map((node) => [node.id, node]));
  const children = new Map();
  for (const [source, target] of shape.edges) {
    if (!children.has(source)) children.set(source, []);
    children.get(source).push(target);
  }
  const layers = [];
  for (const node of shape.nodes) {
    if (node.name !== "AddmmBackward0") continue;
    const members = [node.id];
    let weight = null;
    let bias = null;
    for (const childId of children.get(node.id) ?? []) {
      const child = byId.get(childId);
      if (child.name === "AccumulateGrad") {
        bias = child;
        members.push(child.id);
      } else if (child.name === "TBackward0") {
        const leaves = (children.get(child.id) ?? []).map((id) => byId.get(id));
        if (leaves.length === 1 && leaves[0].name === "AccumulateGrad") {
          weight = leaves[0];
          members.push(child.id, weight.id);
        }
      }
    }
    if (!weight) continue; // not the shape of an nn.Linear: leave its nodes as they are
    const module = weight.label.replace(/\.weight$/, "");
    const [out, inputs] = forward[weight.id]?.shape ?? [];
    const title = out != null && inputs != null ? `Linear(${inputs}, ${out})` : "Linear";
    layers.push({ id: `layer:${module}`, module, members, title, weight: weight.id, bias: bias?.id ?? null });
  }
  // Layer 1 is the one next to the input, as people count them: torch numbers modules from the input.
  layers.sort((p, q) => Number(p.module) - Number(q.module) || p.module.localeCompare(q.module));
  layers.forEach((layer, i) => (layer.sub = `layer ${i + 1}`));
  return layers;
}

/**
 * The graph as drawn: `open` holds the ids of the layers shown node by node. Returns
 * {shape, nodes: [{id, kind, title, sub, members, valued}], edges: [{id, source, target, keys}], clusters, visibleOf}.
 */
export function foldGraph(shape, layers, open) {
  const visibleOf = new Map(shape.nodes.map((node) => [node.id, node.id]));
  const clusters = [];
  const folded = [];
  for (const layer of layers) {
    if (open.has(layer.id)) clusters.push(layer);
    else {
      folded.push(layer);
      for (const id of layer.members) visibleOf.set(id, layer.id);
    }
  }
  // Only the loss, the parameters and the layers carry a value in their box; every other number is on an edge.
  const inputs = new Set(shape.edges.map(([, target]) => target));
  const nodes = [];
  const placed = new Set();
  for (const node of shape.nodes) {
    const id = visibleOf.get(node.id);
    if (placed.has(id)) continue;
    placed.add(id);
    const layer = folded.find((l) => l.id === id);
    if (layer) {
      const { title, sub, members } = layer;
      nodes.push({ id, kind: "layer", title, sub, members, layer, valued: true });
    } else {
      const sub = node.kind === "constant" ? "constant" : node.name;
      const valued = node.kind === "leaf" || !inputs.has(node.id);
      nodes.push({ id, kind: node.kind, title: friendlyName(node), sub, members: [node.id], node, valued });
    }
  }
  const edges = new Map();
  for (const edge of shape.edges) {
    const source = visibleOf.get(edge[0]);
    const target = visibleOf.get(edge[1]);
    if (source === target) continue; // inside a folded layer
    const id = `${source}>${target}`;
    if (!edges.has(id)) edges.set(id, { id, source, target, keys: [], targets: [] });
    edges.get(id).keys.push(edgeKey(edge));
    edges.get(id).targets.push(edge[1]);
  }
  return { shape, nodes, edges: [...edges.values()], clusters, visibleOf };
}

/** Autograd's order as drawn: each box once, when the first of its nodes ran. */
export function visibleOrder(order, visibleOf) {
  const seen = new Set();
  const result = [];
  for (const id of order) {
    const visible = visibleOf.get(id) ?? id;
    if (!seen.has(visible)) {
      seen.add(visible);
      result.push(visible);
    }
  }
  return result;
}
