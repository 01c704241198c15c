"""The torch-tensors step for many runs on the same data at once: the engine's own operations, one row a run."""

import torch

from app.engines.base import StepRecord
from app.engines.many import Rows, cubic_records
from app.engines.problem import Array, Problem
from app.engines.torch_common import DTYPES, data_tensors


def step_many(problem: Problem, rows: Rows, curve_x: Array) -> list[StepRecord]:
    """One step of every row's run, as torch_tensors.train takes it: each weight a column (one row a run) that
    broadcasts over x as the scalar weight does, every sum taken along its row. Element by element and row by row
    the operations are the engine's, so each record equals the one the run's own generator would yield."""
    configs = [config for config, _, _ in rows]
    dtype = DTYPES[configs[0].dtype]
    x, y = data_tensors(problem)
    n = x.numel()
    params = torch.tensor([weights.params for _, weights, _ in rows], dtype=dtype)
    a, b, c, d = (params[:, i : i + 1] for i in range(4))

    y_pred = a + b * x + c * x**2 + d * x**3
    loss = (y_pred - y).pow(2).sum(dim=1, keepdim=True)
    grad_y_pred = 2.0 * (y_pred - y)
    mean = torch.tensor([[config.reduction == "mean"] for config in configs])
    if mean.any():
        loss = torch.where(mean, loss / n, loss)
        grad_y_pred = torch.where(mean, grad_y_pred / n, grad_y_pred)
    grads = torch.cat(
        [
            grad_y_pred.sum(dim=1, keepdim=True),
            (grad_y_pred * x).sum(dim=1, keepdim=True),
            (grad_y_pred * x**2).sum(dim=1, keepdim=True),
            (grad_y_pred * x**3).sum(dim=1, keepdim=True),
        ],
        dim=1,
    )
    learning_rate = torch.tensor([[config.lr] for config in configs], dtype=dtype)
    updated = params - learning_rate * grads

    return cubic_records(rows, params.tolist(), loss[:, 0].tolist(), grads.tolist(), updated.tolist(), curve_x)
