"""The lecture's numpy code: a cubic fitted to sin(x) with hand-derived gradients."""

import numpy as np

from app.engines.base import Batching, EngineSpec, StepRecord, StepStream, Weights
from app.engines.numpy_cubic_many import step_many
from app.engines.problem import CUBIC_PARAMS, CUBIC_POWERS, Array, Problem, cubic, initial_cubic
from app.graph.hand_graph import hand_graph
from app.run_config import RunConfig


def train(config: RunConfig, problem: Problem, curve_x: Array, start: Weights | None = None) -> StepStream:
    """Yield one record per step of plain gradient descent, exactly as the lecture writes it. `start`: go on from
    where a run stands instead of its first step."""
    x, y = problem.x, problem.y
    start = start or Weights(0, initial_cubic(config))
    a, b, c, d = (np.dtype(config.dtype).type(w) for w in start.params)
    learning_rate = config.lr
    detail: bool | None = True
    for t in range(start.step, config.steps):
        # Forward pass: compute predicted y = a + b x + c x^2 + d x^3
        y_pred = a + b * x + c * x**2 + d * x**3

        # Compute loss
        loss = np.square(y_pred - y).sum()
        if config.reduction == "mean":  # the slides' mean: the loss and its gradient divided by the point count
            loss = loss / x.size

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        if config.reduction == "mean":
            grad_y_pred = grad_y_pred / x.size
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()

        # Update weights
        before = (float(a), float(b), float(c), float(d))
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d

        after = (float(a), float(b), float(c), float(d))
        detail = yield StepRecord(
            step=t,
            loss=float(loss),
            params=before,
            grads=(float(grad_a), float(grad_b), float(grad_c), float(grad_d)),
            updated=after,
            curve=cubic(after, curve_x) if detail else None,
        )


ENGINE = EngineSpec(
    name="numpy",
    description="numpy arrays, gradients derived by hand (grad_y_pred = 2(y_pred - y), ...), as in the lecture.",
    param_names=CUBIC_PARAMS,
    initial_params=initial_cubic,
    predict=cubic,
    powers=CUBIC_POWERS,
    train=train,
    stores_grads=False,
    hand_graph=hand_graph,
    batching=Batching(step_many=step_many, resume=train),
)
