"""The numpy engine's hand-derived backward pass drawn as a graph of the lecture's equations.

There is no autograd to hook: the lecture derives dL/dŷ = 2(ŷ − y) (2(ŷ − y)/n under the mean), then
∂L/∂a = Σ dL/dŷ, ∂L/∂b = Σ dL/dŷ·x, ... by hand. This module lays those equations out as the same Graph and
BackwardTrace the autograd engines give, evaluated at the weights a step used, so a student sees the three engines
compute the same numbers.
"""

from collections.abc import Sequence

import numpy as np

from app.engines.base import StepRecord
from app.engines.code import CodeLine, first_assigning
from app.engines.problem import Problem, cubic
from app.graph.model import BackwardTrace, Graph, GraphEdge, GraphNode, TensorSummary, make_graph
from app.run_config import RunConfig

# (weight, the power of x its gradient multiplies dL/dŷ by) as the lecture's four lines write them.
TERMS = (("a", 0), ("b", 1), ("c", 2), ("d", 3))
POWER_TEXT = {0: "", 1: "·x", 2: "·x²", 3: "·x³"}
CONSTANT_TEXT = {1: "x", 2: "x²", 3: "x³"}


def _node(
    node_id: str, name: str, kind: str, label: str, forward: TensorSummary | None = None, line: int | None = None
) -> GraphNode:
    return GraphNode(node_id, name, kind, label, {}, forward, line)  # type: ignore[arg-type]


def hand_graph(
    record: StepRecord, problem: Problem, config: RunConfig, code: Sequence[CodeLine] = ()
) -> tuple[Graph, BackwardTrace]:
    """The lecture's equations at `record.params`: the loss, dL/dŷ, the four sums and the four weights. Each
    equation's node names the line of `code` (the engine's step) that computes it: the one assigning its name."""

    def line(name: str) -> int | None:
        return first_assigning(code, name)

    x, y = problem.x.astype(np.float64), problem.y.astype(np.float64)
    y_pred = cubic(record.params, x)
    grad_y_pred = 2.0 * (y_pred - y) if config.reduction == "sum" else 2.0 * (y_pred - y) / x.size
    sums = {name: float((grad_y_pred * x**power).sum()) for name, power in TERMS}

    summed = config.reduction == "sum"
    loss_text = "L = Σ (ŷ − y)²" if summed else "L = (1/n) Σ (ŷ − y)²"
    grad_text = "dL/dŷ = 2(ŷ − y)" if summed else "dL/dŷ = 2(ŷ − y)/n"
    nodes = [
        _node("n0", "HandLoss", "op", loss_text, TensorSummary.of(record.loss), line("loss")),
        # What the equation computes is dL/dŷ itself, one number a point: its value, and the gradient it passes on.
        _node("n1", "HandGradYPred", "op", grad_text, TensorSummary.of(grad_y_pred), line("grad_y_pred")),
    ]
    edges = [GraphEdge("n0", "n1", 0)]
    order = ["n0", "n1"]
    grad_in = {"n1": TensorSummary.of(grad_y_pred)}
    grad_out = {"n0>n1:0": TensorSummary.of(grad_y_pred)}
    leaf_grads: dict[str, float | TensorSummary] = {}
    for i, (name, power) in enumerate(TERMS):
        sum_id, leaf_id = f"n{2 + i}", f"n{6 + i}"
        label = f"∂L/∂{name} = Σ dL/dŷ{POWER_TEXT[power]}"
        nodes.append(_node(sum_id, "HandGradSum", "op", label, line=line(f"grad_{name}")))
        nodes.append(_node(leaf_id, "Parameter", "leaf", name, TensorSummary.of(record.params[i])))
        edges += [GraphEdge("n1", sum_id, 0), GraphEdge(sum_id, leaf_id, 0)]
        grad_in[sum_id] = TensorSummary.of(grad_y_pred)
        grad_out[f"n1>{sum_id}:0"] = TensorSummary.of(grad_y_pred)
        grad_out[f"{sum_id}>{leaf_id}:0"] = TensorSummary.of(sums[name])
        grad_in[leaf_id] = TensorSummary.of(sums[name])
        leaf_grads[name] = sums[name]
        if power:  # x, x², x³: what the sum multiplies by, needing no gradient
            constant_id = f"n{10 + power - 1}"
            nodes.append(_node(constant_id, "", "constant", CONSTANT_TEXT[power], TensorSummary.of(x**power)))
            edges.append(GraphEdge(sum_id, constant_id, 1))
    order += [f"n{2 + i}" for i in range(4)] + [f"n{6 + i}" for i in range(4)]
    return make_graph(nodes, edges), BackwardTrace(tuple(order), grad_in, grad_out, leaf_grads)
