"""The torch-autograd step for many runs on the same data at once: the engine's own operations, one row a run."""

import torch

from app.engines.base import StepRecord
from app.engines.many import Rows, cubic_records
from app.engines.problem import Array, Problem
from app.engines.torch_common import DTYPES, data_tensors


def step_many(problem: Problem, rows: Rows, curve_x: Array) -> list[StepRecord]:
    """One step of every row's run, as torch_autograd.train takes it: each weight a column (one row a run) that
    broadcasts over x as the scalar weight does, every row's loss summed for one backward pass (each row's gradient
    is its own loss's), and the update under no_grad. Element by element and row by row the operations are the
    engine's, so each record equals the one the run's own generator would yield."""
    configs = [config for config, _, _ in rows]
    dtype = DTYPES[configs[0].dtype]
    x, y = data_tensors(problem)
    params = torch.tensor([weights.params for _, weights, _ in rows], dtype=dtype)
    a, b, c, d = (params[:, i : i + 1].clone().requires_grad_(True) for i in range(4))
    piled = [weights.grads for _, weights, _ in rows]
    if any(grads is not None for grads in piled):
        kept = torch.tensor([grads or (0.0,) * 4 for grads in piled], dtype=dtype)  # 0 + g is g, bit for bit
        for i, weight in enumerate((a, b, c, d)):
            weight.grad = kept[:, i : i + 1].clone()

    y_pred = a + b * x + c * x**2 + d * x**3
    loss = (y_pred - y).pow(2).sum(dim=1)
    mean = torch.tensor([config.reduction == "mean" for config in configs])
    if mean.any():
        loss = torch.where(mean, loss / x.numel(), loss)
    torch.autograd.backward(loss.sum())  # each row's gradient is its own loss's: the rows share no weight

    with torch.no_grad():
        grads = torch.cat([weight.grad for weight in (a, b, c, d) if weight.grad is not None], dim=1)
        learning_rate = torch.tensor([[config.lr] for config in configs], dtype=dtype)
        updated = params - learning_rate * grads

    return cubic_records(rows, params.tolist(), loss.tolist(), grads.tolist(), updated.tolist(), curve_x)
