"""The numpy engine's step for many runs on the same data at once: the lecture's numpy code, one row a run."""

import numpy as np

from app.engines.base import StepRecord
from app.engines.many import Rows, cubic_records
from app.engines.problem import Array, Problem


def step_many(problem: Problem, rows: Rows, curve_x: Array) -> list[StepRecord]:
    """One step of every row's run, as numpy_cubic.train takes it: each weight a column (one row a run) that
    broadcasts over x as the scalar weight does, every sum taken along its row. Element by element and row by row
    the operations are the engine's, so each record equals the one the run's own generator would yield."""
    configs = [config for config, _, _ in rows]
    dtype = np.dtype(configs[0].dtype)
    x, y = problem.x, problem.y
    params = np.array([weights.params for _, weights, _ in rows], dtype=dtype)
    a, b, c, d = (params[:, i : i + 1] for i in range(4))
    mean = np.array([[config.reduction == "mean"] for config in configs])
    learning_rate = np.array([[config.lr] for config in configs], dtype=dtype)

    y_pred = a + b * x + c * x**2 + d * x**3
    loss = np.square(y_pred - y).sum(axis=1, keepdims=True)
    grad_y_pred = 2.0 * (y_pred - y)
    if mean.any():  # the rows of runs on the mean: divided by the point count, as the engine does
        loss = np.where(mean, loss / x.size, loss)
        grad_y_pred = np.where(mean, grad_y_pred / x.size, grad_y_pred)
    grads = np.concatenate(
        [
            grad_y_pred.sum(axis=1, keepdims=True),
            (grad_y_pred * x).sum(axis=1, keepdims=True),
            (grad_y_pred * x**2).sum(axis=1, keepdims=True),
            (grad_y_pred * x**3).sum(axis=1, keepdims=True),
        ],
        axis=1,
    )
    updated = params - learning_rate * grads

    return cubic_records(rows, params.tolist(), loss[:, 0].tolist(), grads.tolist(), updated.tolist(), curve_x)
