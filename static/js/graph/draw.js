// The graph as SVG, in netron's steps kept apart: build the elements, measure their text, size the boxes in one
// of three styles (layout.js places them), then move them into place. Values and pulse marks change later
// without touching the layout. Units: 1 is a CSS pixel at scale 1 (viewport.js scales the drawing).
import { valueRoom } from "./marks.js";

const SVG = "http://www.w3.org/2000/svg";
const PAD_X = 8;
const PAD_Y = 4;
const LINE_GAP = 2;
const ROW_GAP = 7; // between a box's name and its value in the one-line style
const ARROW = 10; // an arrowhead's length and width (graph.css stops a line this short of its end)

/**
 * How a box reads, most detail first: "full" stacks name, torch's node name and value; "short" leaves out
 * torch's name (the inspector and the accessible description keep it); "row" puts name and value on one line.
 */
export const STYLES = Object.freeze(["full", "short", "row"]);

function element(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  parent?.append(node);
  return node;
}

function text(className, content, parent) {
  const node = element("text", { class: className }, parent);
  node.textContent = content;
  return node;
}

/** The arrowheads: gradients run from the loss towards the leaves; forward values the other way. */
function defs(svg) {
  const d = element("defs", {}, svg);
  for (const [id, path] of [
    ["graph-arrow", "M0,0 L8,4 L0,8 z"],
    ["graph-arrow-back", "M8,0 L0,4 L8,8 z"],
  ]) {
    // The tip at the path's end; the line stops short of it (graph.css), so a wide line never hides it.
    const marker = element("marker", {
      id, viewBox: "0 0 8 8", refX: id.endsWith("back") ? 0 : 8, refY: 4,
      markerWidth: ARROW, markerHeight: ARROW, orient: "auto", markerUnits: "userSpaceOnUse",
    }, d);
    element("path", { d: path, class: "graph-arrowhead" }, marker);
  }
}

/** What a box is, for its accessible description: its name is the text it shows. */
const KIND = {
  op: "an operation of the backward pass",
  leaf: "a parameter: backward() leaves its gradient in .grad",
  constant: "a constant input: it needs no gradient",
  layer: "an nn.Linear layer folded into one box: press Enter to open it",
};

/** Creates every element of `view` (fold.js), not yet placed. */
export function buildScene(svg, view) {
  svg.replaceChildren();
  defs(svg);
  const root = element("g", { class: "graph-root" }, svg);
  const clusterLayer = element("g", { class: "graph-clusters" }, root);
  const edgeLayer = element("g", { class: "graph-edges" }, root);
  const nodeLayer = element("g", { class: "graph-nodes" }, root);
  const scene = { svg, root, nodes: new Map(), edges: new Map(), clusters: new Map() };

  for (const cluster of view.clusters) {
    const group = element("g", { class: "graph-cluster", "data-layer": cluster.id, tabindex: 0, role: "button" }, clusterLayer);
    group.setAttribute("aria-description", "an opened nn.Linear layer: press Enter to fold it into one box");
    const rect = element("rect", { rx: 10 }, group);
    const title = text("cluster-title", `${cluster.title} · ${cluster.sub} ⊟ fold`, group);
    scene.clusters.set(cluster.id, { group, rect, title });
  }
  for (const edge of view.edges) {
    const group = element("g", { class: "graph-edge", "data-edge": edge.id }, edgeLayer);
    group.dataset.source = edge.source;
    group.dataset.target = edge.target;
    const path = element("path", { class: "edge-line" }, group);
    // A wide invisible twin: the pointer finds the edge, and its title (the numbers) shows on hover.
    const hit = element("path", { class: "edge-hit" }, group);
    const tip = element("title", {}, group);
    scene.edges.set(edge.id, { group, path, hit, tip });
  }
  for (const node of view.nodes) {
    // Its accessible name is its text, as shown (no aria-label that could differ from what the box says).
    const group = element("g", { class: `graph-node kind-${node.kind}`, "data-node": node.id, tabindex: 0, role: "button" }, nodeLayer);
    group.dataset.members = node.members.join(" "); // the graph's node ids in this box: what other views light up
    const description = node.kind === "op" ? `${KIND.op}, ${node.sub} in torch` : KIND[node.kind];
    group.setAttribute("aria-description", description ?? "");
    const rect = element("rect", { rx: node.kind === "leaf" ? 12 : 5 }, group);
    const title = text("node-title", node.title, group);
    const sub = text("node-sub", node.kind === "layer" ? `${node.sub} · ⊞ open` : node.sub, group);
    const value = node.valued ? text("node-value", "", group) : null;
    scene.nodes.set(node.id, { group, rect, title, sub, value, item: node });
  }
  return scene;
}

/** The size of each text of the drawing as the browser sets it: values get room for the longest they can be. */
export function measureScene(scene, forward = {}) {
  const size = (line) => ({ width: line.getComputedTextLength(), height: line.getBBox().height });
  /** The size of `line` holding `content`: values come and go, so room is kept for the longest. */
  const room = (line, content) => {
    const kept = line.textContent;
    line.textContent = content;
    const measured = size(line);
    line.textContent = kept;
    return measured;
  };
  const nodes = new Map();
  for (const [id, { title, sub, value, item }] of scene.nodes) {
    nodes.set(id, { title: size(title), sub: size(sub), value: value ? room(value, valueRoom(item, forward)) : null });
  }
  const clusters = new Map([...scene.clusters].map(([id, { title }]) => [id, size(title)]));
  return { nodes, clusters };
}

/** The lines a box of `style` shows, in order, as keys of its measures. */
function linesOf(style, measure) {
  const lines = style === "full" ? ["title", "sub", "value"] : ["title", "value"];
  return lines.filter((line) => measure[line] !== null);
}

/** Each box's {width, height} in `style`, never smaller than `minBox` units either way (a finger's width). */
export function boxSizes(measures, style, minBox = 0) {
  const sizes = new Map();
  for (const [id, measure] of measures.nodes) {
    const lines = linesOf(style, measure).map((line) => measure[line]);
    let width;
    let height;
    if (style === "row") {
      width = lines.reduce((sum, line) => sum + line.width, 0) + (lines.length - 1) * ROW_GAP;
      height = Math.max(...lines.map((line) => line.height));
    } else {
      width = Math.max(...lines.map((line) => line.width));
      height = lines.reduce((sum, line) => sum + line.height, 0) + (lines.length - 1) * LINE_GAP;
    }
    sizes.set(id, {
      width: Math.ceil(Math.max(minBox, width + 2 * PAD_X)),
      height: Math.ceil(Math.max(minBox, height + 2 * PAD_Y)),
    });
  }
  return sizes;
}

/** The room a cluster's title takes, as a box of the layout: {width, height}. */
export function clusterTitleSizes(measures) {
  return new Map([...measures.clusters].map(([id, { width, height }]) => [id, { width: Math.ceil(width + 8), height: Math.ceil(height + 2) }]));
}

/** A smooth path through dagre's points: straight ends, rounded bends. */
function curve(points) {
  const [first, ...rest] = points;
  let d = `M${first.x},${first.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i];
    const q = rest[i + 1];
    d += ` Q${p.x},${p.y} ${(p.x + q.x) / 2},${(p.y + q.y) / 2}`;
  }
  const last = rest.at(-1) ?? first;
  return `${d} L${last.x},${last.y}`;
}

/** Moves every element to where the layout put it, its text set out in `style`. */
export function placeScene(scene, layout, style, measures) {
  scene.root.dataset.style = style;
  scene.root.dataset.rankdir = layout.rankdir;
  for (const [id, parts] of scene.nodes) {
    const box = layout.nodes.get(id);
    const measure = measures.nodes.get(id);
    parts.group.setAttribute("transform", `translate(${box.x - box.width / 2},${box.y - box.height / 2})`);
    for (const [k, v] of Object.entries({ width: box.width, height: box.height })) parts.rect.setAttribute(k, v);
    const lines = linesOf(style, measure);
    if (style === "row") {
      // One line: the name, then the value, the pair centred in the box (dominant-baseline: central, in CSS).
      const width = lines.reduce((sum, line) => sum + measure[line].width, 0) + (lines.length - 1) * ROW_GAP;
      let x = (box.width - width) / 2;
      for (const line of lines) {
        parts[line].setAttribute("x", x);
        parts[line].setAttribute("y", box.height / 2);
        x += measure[line].width + ROW_GAP;
      }
      continue;
    }
    const height = lines.reduce((sum, line) => sum + measure[line].height, 0) + (lines.length - 1) * LINE_GAP;
    let y = (box.height - height) / 2;
    for (const line of lines) {
      parts[line].setAttribute("x", box.width / 2);
      parts[line].setAttribute("y", y + measure[line].height / 2);
      y += measure[line].height + LINE_GAP;
    }
  }
  for (const [id, parts] of scene.edges) {
    const d = curve(layout.edges.get(id).points);
    parts.path.setAttribute("d", d);
    parts.hit.setAttribute("d", d);
    // The line stops an arrowhead short of its end (a dash as long as the path less the arrow, graph.css).
    parts.path.style.setProperty("--length", parts.path.getTotalLength().toFixed(1));
  }
  for (const [id, parts] of scene.clusters) {
    const box = layout.clusters.get(id);
    const title = layout.clusterTitles.get(id);
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    for (const [k, v] of Object.entries({ x, y, width: box.width, height: box.height })) parts.rect.setAttribute(k, v);
    parts.title.setAttribute("x", title.x);
    parts.title.setAttribute("y", title.y);
  }
}
