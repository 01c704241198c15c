"""The linear engine's hand-derived backward pass drawn as a graph of the lecture's vector equations.

The slides write linear regression with a weight vector: ε = Xw − y, L = Σ εᵢ² (or (1/n) Σ εᵢ²), and its gradient
∇L = 2 Σ εᵢ xᵢ = 2 Xᵀε (2/n under the mean). This module lays those out as the Graph and BackwardTrace the
autograd engines give, at the weights a step used, each equation naming the line of the step computing it.
"""

from collections.abc import Sequence

import numpy as np

from app.engines.base import StepRecord
from app.engines.code import CodeLine, first_assigning
from app.engines.problem import Problem
from app.graph.model import BackwardTrace, Graph, GraphEdge, GraphNode, TensorSummary, make_graph
from app.run_config import RunConfig


def linear_graph(
    record: StepRecord, problem: Problem, config: RunConfig, code: Sequence[CodeLine] = ()
) -> tuple[Graph, BackwardTrace]:
    """The loss, the residuals ε, the gradient 2Xᵀε, the weights w and the features X at `record.params`."""
    x, y = problem.x.astype(np.float64), problem.y.astype(np.float64)
    X = np.stack([x**power for power in range(len(record.params))], axis=1)
    w = np.asarray(record.params, dtype=np.float64)
    epsilon = X @ w - y
    n = 1 if config.reduction == "sum" else x.size
    d_epsilon = 2.0 * epsilon / n  # dL/dε: what the loss sends back to each residual
    gradient = X.T @ d_epsilon
    columns = ", ".join(["1", "x", "x²", "x³"][: len(record.params)])
    nodes = [
        GraphNode(
            "n0",
            "HandLoss",
            "op",
            "L = Σ εᵢ²" if n == 1 else "L = (1/n) Σ εᵢ²",
            {},
            TensorSummary.of(record.loss),
            first_assigning(code, "loss"),
        ),
        GraphNode(
            "n1", "HandResidual", "op", "ε = Xw − y", {}, TensorSummary.of(epsilon), first_assigning(code, "epsilon")
        ),
        GraphNode(
            "n2",
            "HandGradient",
            "op",
            "∇L = 2 Xᵀε" if n == 1 else "∇L = (2/n) Xᵀε",
            {},
            TensorSummary.of(gradient),
            first_assigning(code, "grad_w"),
        ),
        GraphNode("n3", "Parameter", "leaf", "w", {}, TensorSummary.of(w)),
        GraphNode("n4", "", "constant", f"X = [{columns}]", {}, TensorSummary.of(X)),
    ]
    edges = [GraphEdge("n0", "n1", 0), GraphEdge("n1", "n2", 0), GraphEdge("n2", "n3", 0), GraphEdge("n2", "n4", 1)]
    trace = BackwardTrace(
        order=("n0", "n1", "n2", "n3"),
        grad_in={
            "n1": TensorSummary.of(d_epsilon),
            "n2": TensorSummary.of(d_epsilon),
            "n3": TensorSummary.of(gradient),
        },
        grad_out={
            "n0>n1:0": TensorSummary.of(d_epsilon),
            "n1>n2:0": TensorSummary.of(d_epsilon),
            "n2>n3:0": TensorSummary.of(gradient),
        },
        leaf_grads={"w": TensorSummary.of(gradient)},
    )
    return make_graph(nodes, edges), trace
