// The views linked, as the explainers link them: point at (or focus) a line of the code and the graph nodes it
// built and the weights it updates light up; point at a weight and its leaf and the line updating it light up;
// point at a graph box and the line that built it (and, for a leaf, its weight). What is pointed at lives in
// the store (`link`); this view only toggles the class `linked` on the elements that show it, found by the
// attributes they already carry: code lines `data-line`, weight rows `data-param`, graph boxes `data-members`.
import { findEngine, modelOf } from "../engines.js";
import { oncePerFrame } from "./animation_frame.js";

const LINKED = "linked";

/** The graph leaf holding weight `name`: the engine says where it differs (torch.nn's a is 0.bias). */
function leafOf(engine, name) {
  return engine?.leaves?.[name] ?? name;
}

/** The weights a code line updates: its names, or every weight of the run ("all"). */
function updatedBy(line, weights) {
  if (!line?.updates) return [];
  return line.updates === "all" ? weights : line.updates.filter((name) => weights.includes(name));
}

/**
 * What `link` lights up: {lines, params, nodes} (indexes into the engine's code, weight names, graph node ids).
 * The graph and weights belong to the code's engine only when the followed run is of that engine.
 */
export function linkedTargets(state, graph) {
  const lines = new Set();
  const params = new Set();
  const nodes = new Set();
  const link = state.link;
  const codeName = state.codeEngine ?? state.selectedEngine;
  const engine = findEngine(state.engines ?? [], codeName);
  if (!link || !engine) return { lines, params, nodes };
  const runEngine = state.run?.config?.engine ?? null;
  const sameEngine = runEngine === null || runEngine === engine.name;
  const weights = sameEngine ? modelOf(state.engines, state.run ?? { config: { engine: engine.name } }).names : [];
  const graphNodes = sameEngine && runEngine ? (graph?.nodes ?? []) : [];
  const leafNodes = (names) => {
    const labels = new Set(names.map((name) => leafOf(engine, name)));
    return graphNodes.filter((node) => node.kind === "leaf" && labels.has(node.label)).map((node) => node.id);
  };
  const linesUpdating = (name) =>
    engine.code.flatMap((line, i) => (updatedBy(line, weights).includes(name) ? [i] : []));

  if (link.line != null) {
    lines.add(link.line);
    for (const node of graphNodes) if (node.line === link.line) nodes.add(node.id);
    const updated = updatedBy(engine.code[link.line], weights);
    updated.forEach((name) => params.add(name));
    leafNodes(updated).forEach((id) => nodes.add(id));
  } else if (link.param != null && weights.includes(link.param)) {
    params.add(link.param);
    leafNodes([link.param]).forEach((id) => nodes.add(id));
    linesUpdating(link.param).forEach((i) => lines.add(i));
  } else if (link.node != null) {
    const node = graphNodes.find((n) => n.id === link.node);
    if (!node) return { lines, params, nodes };
    nodes.add(node.id);
    if (node.line != null) lines.add(node.line);
    if (node.kind === "leaf") {
      for (const name of weights.filter((w) => leafOf(engine, w) === node.label)) {
        params.add(name);
        linesUpdating(name).forEach((i) => lines.add(i));
      }
    }
  }
  return { lines, params, nodes };
}

export class LinkedViews {
  #code;
  #weights;
  #graph;
  #select;
  #state = null;
  #requestDraw = oncePerFrame(() => this.#draw());

  /**
   * `code`, `weights`, `graph`: the code panel, the weights panel and the graph's SVG; `select(state)` gives the
   * {graph} drawn (the latest, or a replay's). `onLink(link)` hears a graph box pointed at or focused.
   */
  constructor({ code, weights, graph, select, onLink }) {
    this.#code = code;
    this.#weights = weights;
    this.#graph = graph;
    this.#select = select;
    // The graph draws its boxes anew when its shape changes: light them again at once.
    new MutationObserver(() => this.#draw()).observe(graph, { childList: true });
    const box = (event) => event.target.closest?.("[data-node]");
    const point = (event) => {
      const members = box(event)?.dataset.members?.split(" ") ?? [];
      // A folded layer holds several nodes: the first (its matrix product) stands for it.
      onLink(members.length ? { node: members[0] } : null);
    };
    graph.addEventListener("pointerover", point);
    graph.addEventListener("focusin", point);
    graph.addEventListener("pointerleave", () => onLink(null));
    graph.addEventListener("focusout", () => onLink(null));
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {}

  #draw() {
    const state = this.#state;
    if (!state) return;
    const { lines, params, nodes } = linkedTargets(state, this.#select(state).graph);
    mark(this.#code.querySelectorAll("[data-line]"), (el) => lines.has(Number(el.dataset.line)));
    mark(this.#weights.querySelectorAll("[data-param]"), (el) => params.has(el.dataset.param));
    mark(this.#graph.querySelectorAll("[data-members]"), (el) =>
      el.dataset.members.split(" ").some((id) => nodes.has(id)),
    );
    // The graph fades what is not lit while anything is (explore.css); the panels' own classes stay theirs.
    this.#graph.dataset.linking = Boolean(state.link);
  }
}

/** Toggles the class on each element as `lit(element)` says. */
function mark(elements, lit) {
  for (const element of elements) element.classList.toggle(LINKED, lit(element));
}
