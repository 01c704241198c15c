// Places the boxes with dagre: layered, from the loss to the parameters, top to bottom ("TB") or left to right
// ("LR"), whichever fits the panel's shape better (graph_drawing.js asks for both). Edges carry no labels: the
// gradient's size is the edge's width and its numbers come on demand, so no number ever sits on a line. A
// layout is kept per graph shape, box style and direction: the dynamic net comes back to the same few shapes.
import dagre from "/static/vendor/dagre/dagre.esm.js";

const MAX_CACHED = 96;

/** Room between boxes, in the drawing's units (1 unit is 1 CSS pixel at scale 1): tight, the text is large. */
const SPACING = {
  TB: { nodesep: 14, ranksep: 18, edgesep: 10 },
  LR: { nodesep: 14, ranksep: 28, edgesep: 10 },
};
export const MARGIN = 4; // around the drawing: outlines, shadows and arrowheads stay inside

/**
 * {nodes, edges, clusters, clusterTitles: Maps of id → geometry; width, height, rankdir} for `view` (fold.js),
 * each box of the size `sizes.get(id)` gives ({width, height}). An opened layer's title is laid out as a box of
 * its own (of the size `titles.get(id)`) inside the layer's frame, ahead of its first nodes: no edge crosses it.
 */
export function layoutGraph(view, sizes, rankdir = "TB", titles = new Map()) {
  const graph = new dagre.graphlib.Graph({ compound: view.clusters.length > 0, multigraph: false });
  graph.setGraph({ rankdir, ...SPACING[rankdir], marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of view.nodes) {
    const { width, height } = sizes.get(node.id);
    graph.setNode(node.id, { width, height });
  }
  for (const edge of view.edges) graph.setEdge(edge.source, edge.target, {});
  for (const cluster of view.clusters) {
    graph.setNode(cluster.id, {});
    for (const member of cluster.members) graph.setParent(member, cluster.id);
    const title = titleId(cluster);
    const { width, height } = titles.get(cluster.id) ?? { width: 0, height: 0 };
    graph.setNode(title, { width, height }); // a new object: dagre writes its place into it
    graph.setParent(title, cluster.id);
    const inside = new Set(cluster.members);
    const entries = cluster.members.filter((id) => !view.edges.some((e) => e.target === id && inside.has(e.source)));
    for (const entry of entries) graph.setEdge(title, entry, { weight: 10 }); // just above them
  }
  dagre.layout(graph);

  const nodes = new Map(view.nodes.map((node) => [node.id, graph.node(node.id)]));
  const clusters = new Map(view.clusters.map((cluster) => [cluster.id, graph.node(cluster.id)]));
  const clusterTitles = new Map(view.clusters.map((cluster) => [cluster.id, graph.node(titleId(cluster))]));
  const edges = new Map(
    view.edges.map((edge) => {
      const points = [...graph.edge(edge.source, edge.target).points];
      // Each edge leaves its box from the middle of the side facing the next rank and enters the next box the
      // same way (dagre aims them at the boxes' centres): a line that fans out from a corner would pass under
      // the box beside it, across its label.
      points[0] = port(nodes.get(edge.source), rankdir, +1);
      points[points.length - 1] = port(nodes.get(edge.target), rankdir, -1);
      return [edge.id, { points }];
    }),
  );
  const { width, height } = graph.graph();
  return { nodes, edges, clusters, clusterTitles, width, height, rankdir };
}

const titleId = (cluster) => `${cluster.id}#title`;

/** The middle of a box's side towards the following ranks (`side` +1) or the preceding ones (−1). */
function port({ x, y, width, height }, rankdir, side) {
  return rankdir === "LR" ? { x: x + (side * width) / 2, y } : { x, y: y + (side * height) / 2 };
}

/** Layouts by key, the oldest forgotten first once there are many. */
export class LayoutCache {
  #layouts = new Map();

  get(key, make) {
    if (this.#layouts.has(key)) return this.#layouts.get(key);
    const layout = make();
    this.#layouts.set(key, layout);
    if (this.#layouts.size > MAX_CACHED) this.#layouts.delete(this.#layouts.keys().next().value);
    return layout;
  }

  clear() {
    this.#layouts.clear();
  }

  get size() {
    return this.#layouts.size;
  }
}
