// What the graph panel says above its drawing, or in its place: why no graph is drawn yet, or that the graph of a
// hand-derived engine is the lecture's equations rather than one autograd built.

/** The note while no graph is drawn: an engine without autograd never has one; "" to leave the note as it is. */
export function missingNote(engine, runId) {
  if (engine?.stores_grads === false) {
    return `${engine.name} derives its gradients by hand: no autograd graph exists. Pick torch-autograd or ` +
      "tiny-autograd to see one.";
  }
  return runId ? "The graph is drawn as soon as autograd has run one step." : "";
}

/** Whether `graph` is the lecture's equations (numpy, torch-tensors) rather than an autograd graph. */
export function isHandDrawn(graph) {
  return graph.nodes.some((node) => node.name.startsWith("Hand"));
}

/** The note above a hand-derived engine's equations. */
export function handNote(engine) {
  return `${engine?.name ?? "This engine"} derives its gradients by hand: no autograd graph exists. Drawn here ` +
    "are the lecture's equations, evaluated at this step; pick torch-autograd or tiny-autograd to see the graph " +
    "autograd builds.";
}
