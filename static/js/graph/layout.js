// Places the boxes with dagre: layered, the loss on top and the parameters at the bottom, each edge's label
// given its own room so that no number sits on a box. A layout is kept per graph shape (and per set of open
// layers): the dynamic net comes back to the same few shapes, and each is laid out once.
import dagre from "/static/vendor/dagre/dagre.esm.js";

const MAX_CACHED = 32;

/** {nodes, edges, clusters: Maps of id → geometry; width, height} for `view` (fold.js) with measured sizes. */
export function layoutGraph(view, sizes) {
  const graph = new dagre.graphlib.Graph({ compound: view.clusters.length > 0, multigraph: false });
  graph.setGraph({ rankdir: "TB", nodesep: 22, ranksep: 30, edgesep: 14, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of view.nodes) {
    const { width, height } = sizes.nodes.get(node.id);
    graph.setNode(node.id, { width, height });
  }
  for (const cluster of view.clusters) {
    graph.setNode(cluster.id, {});
    for (const member of cluster.members) graph.setParent(member, cluster.id);
  }
  for (const edge of view.edges) {
    graph.setEdge(edge.source, edge.target, { ...sizes.edgeLabel, labelpos: "c" });
  }
  dagre.layout(graph);

  const nodes = new Map(view.nodes.map((node) => [node.id, graph.node(node.id)]));
  const clusters = new Map(view.clusters.map((cluster) => [cluster.id, graph.node(cluster.id)]));
  const edges = new Map(
    view.edges.map((edge) => {
      const placed = graph.edge(edge.source, edge.target);
      return [edge.id, { points: placed.points, label: { x: placed.x, y: placed.y } }];
    }),
  );
  const { width, height } = graph.graph();
  return { nodes, edges, clusters, width, height };
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
