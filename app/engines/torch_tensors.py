"""The tutorial's second version: torch tensors, but gradients still derived by hand."""

import torch

from app.engines.base import Batching, EngineSpec, StepRecord, StepStream, Weights
from app.engines.problem import CUBIC_PARAMS, CUBIC_POWERS, Array, Problem, cubic, initial_cubic
from app.engines.torch_common import DTYPES, data_tensors, values
from app.engines.torch_tensors_many import step_many
from app.graph.hand_graph import hand_graph
from app.run_config import RunConfig


def train(config: RunConfig, problem: Problem, curve_x: Array, start: Weights | None = None) -> StepStream:
    """Yield one record per step of the numpy code written with torch tensors instead of arrays. `start`: go on
    from where a run stands instead of its first step."""
    x, y = data_tensors(problem)
    start = start or Weights(0, initial_cubic(config))
    a, b, c, d = (torch.tensor(w, dtype=DTYPES[config.dtype]) for w in start.params)
    learning_rate = config.lr
    n = x.numel()
    before = values((a, b, c, d))
    detail: bool | None = True
    for t in range(start.step, config.steps):
        # Forward pass: compute predicted y
        y_pred = a + b * x + c * x**2 + d * x**3

        # Compute loss
        loss = (y_pred - y).pow(2).sum()

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        if config.reduction == "mean":  # the slides' mean: loss and its gradient divided by the point count
            loss = loss / n
            grad_y_pred = grad_y_pred / n
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()

        # Update weights using gradient descent
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d

        after = values((a, b, c, d))
        detail = yield StepRecord(
            step=t,
            loss=loss.item(),
            params=before,
            grads=values((grad_a, grad_b, grad_c, grad_d)),
            updated=after,
            curve=cubic(after, curve_x) if detail else None,
        )
        before = after


ENGINE = EngineSpec(
    name="torch-tensors",
    description="torch tensors with gradients derived by hand: the numpy code, ready for a GPU, no autograd.",
    param_names=CUBIC_PARAMS,
    initial_params=initial_cubic,
    predict=cubic,
    powers=CUBIC_POWERS,
    train=train,
    stores_grads=False,
    hand_graph=hand_graph,
    batching=Batching(step_many=step_many, resume=train),
)
