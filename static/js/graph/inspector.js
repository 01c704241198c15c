// One node, in full: what it computes, what it saved in the forward pass for its backward, its local
// derivative in words, and the gradients that came in and went out at the step the graph was captured.
import { formatBrief, formatShape, summaryRows } from "./summary.js";
import { derivativeWords, friendlyName, isHandMade } from "./words.js";

const KIND_WORDS = {
  op: "an operation: its backward applies the chain rule",
  leaf: "a parameter (leaf): requires_grad, its gradient ends in .grad",
  constant: "a constant input: requires no gradient",
  layer: "an nn.Linear layer: y = x·Wᵀ + b, folded from its autograd nodes",
};

function make(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content != null) node.textContent = content;
  return node;
}

/** A small titled table of [label, text] rows. */
function table(title, rows) {
  const section = make("section", "inspect-section");
  section.append(make("h4", null, title));
  const body = make("table", "inspect-table");
  for (const [label, value] of rows) {
    const row = body.insertRow();
    row.append(make("th", null, label));
    row.insertCell().textContent = value;
  }
  section.append(body);
  return section;
}

/** Where a node's edges go, and the gradient each carried: rows for the "gradients out" table. */
function outRows(ids, shape, values, byId) {
  const rows = [];
  for (const [source, target, index] of shape.edges) {
    if (!ids.includes(source) || ids.includes(target)) continue;
    const grad = values?.grad_out?.[`${source}>${target}:${index}`];
    const to = byId.get(target);
    rows.push([`→ input ${index} (${friendlyName(to)})`, grad ? formatBrief(grad) : "none: it needs no gradient"]);
  }
  return rows;
}

/**
 * The code that built an op's box and the walk that runs its backward, where the engine's autograd is written out
 * (tiny-autograd's Tensor: `sources`, by op name, from GET /api/engines); null for any other box or engine.
 */
function codeOf(node, sources) {
  const op = /^(\w+?)Backward\d+$/.exec(node?.name ?? "")?.[1]?.toLowerCase();
  const method = op ? sources?.[op] : null;
  if (!method) return null;
  const section = make("section", "inspect-section inspect-code");
  section.append(make("h4", null, "The Tensor's own code for it"), make("pre", null, method));
  if (sources.backward) {
    const walk = make("details");
    walk.append(make("summary", null, "backward(): the walk that calls its grad_fns"), make("pre", null, sources.backward));
    section.append(walk);
  }
  return section;
}

/**
 * Fills `container` with what is known about `item` (a box of fold.js), or a hint when there is none; `sources`:
 * the engine's own code by op, where it has it (codeOf).
 */
export function inspect(container, item, shape, values, sources = {}) {
  container.replaceChildren();
  if (!item || !shape) {
    container.append(make("p", "hint", "Hover, tap or focus a box to see what it computes and what it passes on."));
    container.dataset.node = "";
    return;
  }
  container.dataset.node = item.id;
  const byId = new Map(shape.nodes.map((node) => [node.id, node]));
  const heading = make("h3", "inspect-title", item.title);
  heading.append(make("small", null, item.kind === "layer" ? item.sub : item.node.name || "constant"));
  const custom = item.kind === "op" && /Backward$/.test(item.node.name); // torch adds no version digit to these
  let kind = custom ? "a custom torch.autograd.Function: torch calls its own backward(ctx, grad_output)" : KIND_WORDS[item.kind];
  if (item.node && isHandMade(item.node)) kind = "an equation of the hand-derived gradient: no autograd here";
  container.append(heading, make("p", "inspect-kind", kind ?? ""));

  if (item.kind === "layer") {
    const members = item.members.map((id) => byId.get(id));
    const derivative = make("section", "inspect-section");
    derivative.append(make("h4", null, "Inside: the nodes torch built"));
    const list = make("ul", "inspect-members");
    for (const node of members) list.append(make("li", null, `${friendlyName(node)} (${node.name}): ${derivativeWords(node)}`));
    derivative.append(list, make("p", "hint", "Click the box (or press Enter) to open it."));
    container.append(derivative);
    for (const id of [item.layer.weight, item.layer.bias].filter(Boolean)) {
      const leaf = byId.get(id);
      container.append(table(`${leaf.label}.grad`, summaryRows(values?.leaf_grads?.[leaf.label])));
    }
    container.append(table("Gradients out", outRows(item.members, shape, values, byId)));
    return;
  }

  const node = item.node;
  const words = make("section", "inspect-section");
  words.append(make("h4", null, "Local derivative"), make("p", "inspect-derivative", derivativeWords(node)));
  container.append(words);
  const code = codeOf(node, sources);
  if (code) container.append(code);
  const forward = values?.forward?.[node.id];
  if (forward) container.append(table(node.kind === "op" ? "Forward value (its output)" : "Value", summaryRows(forward)));
  if (node.kind === "constant") return;
  container.append(table("Gradient in", summaryRows(values?.grad_in?.[node.id])));
  if (node.kind === "leaf") {
    const title = isHandMade(node) ? `∂L/∂${node.label}, by hand` : `${node.label}.grad after backward()`;
    container.append(table(title, summaryRows(values?.leaf_grads?.[node.label])));
  } else {
    const rows = outRows([node.id], shape, values, byId);
    container.append(table("Gradients out", rows.length ? rows : [["—", "no inputs"]]));
  }
  const saved = Object.entries(values?.saved?.[node.id] ?? {});
  const savedSection = make("section", "inspect-section inspect-saved");
  savedSection.append(make("h4", null, "Saved for backward"));
  if (saved.length === 0) savedSection.append(make("p", "hint", "nothing: its backward needs no forward values"));
  for (const [name, summary] of saved) {
    const rows = summaryRows(summary).filter(([label]) => label !== "shape");
    const label = name.replace(/^_saved_/, "");
    savedSection.append(table(`${label} ${formatShape(summary.shape)}`, rows));
  }
  container.append(savedSection);
}
