// The graph as SVG, in netron's steps kept apart: build the elements, measure their text, (layout.js places
// them), then move them into place. Values and pulse marks change later without touching the layout.
import { SHAPE_ROOM, VALUE_ROOM } from "./summary.js";

const SVG = "http://www.w3.org/2000/svg";
const PAD_X = 12;
const PAD_Y = 8;
const LINE_GAP = 3;

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
    const marker = element("marker", {
      id, viewBox: "0 0 8 8", refX: id.endsWith("back") ? 0 : 8, refY: 4,
      markerWidth: 7, markerHeight: 7, orient: "auto", markerUnits: "userSpaceOnUse",
    }, d);
    element("path", { d: path, class: "graph-arrowhead" }, marker);
  }
}

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
    group.setAttribute("aria-label", `${cluster.title}, ${cluster.sub}: fold into one box`);
    const rect = element("rect", { rx: 10 }, group);
    const title = text("cluster-title", `${cluster.title} · ${cluster.sub}  ⊟ fold`, group);
    scene.clusters.set(cluster.id, { group, rect, title });
  }
  for (const edge of view.edges) {
    const group = element("g", { class: "graph-edge", "data-edge": edge.id }, edgeLayer);
    group.dataset.source = edge.source;
    group.dataset.target = edge.target;
    const path = element("path", {}, group);
    const label = text("edge-label", "", group);
    const shape = text("edge-shape", "", group);
    scene.edges.set(edge.id, { group, path, label, shape });
  }
  for (const node of view.nodes) {
    const group = element("g", { class: `graph-node kind-${node.kind}`, "data-node": node.id, tabindex: 0 }, nodeLayer);
    group.dataset.members = node.members.join(" "); // the graph's node ids in this box: what other views light up
    group.setAttribute("role", "button");
    group.setAttribute("aria-label", `${node.title}, ${node.sub}${node.kind === "layer" ? ": open" : ""}`);
    const rect = element("rect", { rx: node.kind === "leaf" ? 14 : 6 }, group);
    const title = text("node-title", node.title, group);
    const sub = text("node-sub", node.kind === "layer" ? `${node.sub} · ⊞ open` : node.sub, group);
    const value = node.valued ? text("node-value", "", group) : null;
    scene.nodes.set(node.id, { group, rect, title, sub, value });
  }
  return scene;
}

/** The size each box and edge label needs, from the text as the browser sets it. */
export function measureScene(scene) {
  const height = (node) => node.getBBox().height;
  /** The size of `line` holding `content`: values come and go, so room is kept for the longest. */
  const room = (line, content) => {
    line.textContent = content;
    const size = { width: line.getComputedTextLength(), height: height(line) };
    line.textContent = "";
    return size;
  };
  const nodes = new Map();
  for (const [id, { title, sub, value }] of scene.nodes) {
    const lines = [title, sub].map((line) => ({ width: line.getComputedTextLength(), height: height(line) }));
    if (value) lines.push(room(value, `.grad ${VALUE_ROOM}`));
    nodes.set(id, {
      width: Math.ceil(Math.max(...lines.map((l) => l.width)) + 2 * PAD_X),
      height: Math.ceil(lines.reduce((sum, l) => sum + l.height, 0) + (lines.length - 1) * LINE_GAP + 2 * PAD_Y),
      lines: lines.map((l) => l.height),
    });
  }
  let edgeLabel = { width: 0, height: 0 };
  const first = scene.edges.values().next().value;
  if (first) {
    // Two lines: the value (or ‖norm‖), then the tensor's shape, small: narrow labels keep the drawing narrow.
    const [value, shape] = [room(first.label, VALUE_ROOM), room(first.shape, SHAPE_ROOM)];
    edgeLabel = {
      width: Math.ceil(Math.max(value.width, shape.width)) + 6,
      height: Math.ceil(value.height + shape.height),
      lines: [value.height, shape.height],
    };
  }
  return { nodes, edgeLabel };
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

/** Moves every element to where the layout put it. */
export function placeScene(scene, layout, sizes) {
  for (const [id, parts] of scene.nodes) {
    const box = layout.nodes.get(id);
    const heights = sizes.nodes.get(id).lines;
    parts.group.setAttribute("transform", `translate(${box.x - box.width / 2},${box.y - box.height / 2})`);
    Object.entries({ width: box.width, height: box.height }).forEach(([k, v]) => parts.rect.setAttribute(k, v));
    const x = box.width / 2;
    let y = PAD_Y;
    for (const [i, line] of [parts.title, parts.sub, parts.value].filter(Boolean).entries()) {
      const h = heights[i];
      line.setAttribute("x", x);
      line.setAttribute("y", y + h * 0.78); // the baseline, about 4/5 down a line of this font
      y += h + LINE_GAP;
    }
  }
  for (const [id, parts] of scene.edges) {
    const edge = layout.edges.get(id);
    parts.path.setAttribute("d", curve(edge.points));
    const [valueH, shapeH] = sizes.edgeLabel.lines;
    const top = edge.label.y - (valueH + shapeH) / 2;
    for (const [line, y] of [[parts.label, top + valueH * 0.78], [parts.shape, top + valueH + shapeH * 0.78]]) {
      line.setAttribute("x", edge.label.x);
      line.setAttribute("y", y);
    }
  }
  for (const [id, parts] of scene.clusters) {
    const box = layout.clusters.get(id);
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    Object.entries({ x, y, width: box.width, height: box.height }).forEach(([k, v]) => parts.rect.setAttribute(k, v));
    parts.title.setAttribute("x", x + 10);
    parts.title.setAttribute("y", y + 16);
  }
}
