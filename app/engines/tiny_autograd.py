"""The lecture's autograd code run on its own Tensor class, written here in numpy (no torch)."""

import numpy as np

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import CUBIC_PARAMS, CUBIC_POWERS, Array, Problem, cubic, initial_cubic
from app.engines.tiny_sources import tensor_sources
from app.engines.tiny_tensor import Tensor
from app.run_config import RunConfig


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step: forward on Tensors, loss.backward(), update .data, gradients reset (or not)."""
    x = Tensor(problem.x, name="x")
    y = Tensor(problem.y, name="y")
    weights = (np.asarray(w, dtype=config.dtype) for w in initial_cubic(config))
    a, b, c, d = (Tensor(w, requires_grad=True, name=n) for w, n in zip(weights, CUBIC_PARAMS, strict=True))
    learning_rate = config.lr
    before = (a.item(), b.item(), c.item(), d.item())
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: compute predicted y using operations on Tensors; each one caches its inputs.
        y_pred = a + b * x + c * x**2 + d * x**3

        # Compute loss using operations on Tensors.
        loss = (y_pred - y).pow(2).sum()
        if config.reduction == "mean":  # the slides' mean: divided by the point count
            loss = loss / x.numel()

        # Use autograd to compute the backward pass: it adds dloss/da to a.grad, ... dloss/dd to d.grad.
        loss.backward()

        # Manually update weights using gradient descent, on .data so that no operation is recorded.
        grads = (float(a.grad), float(b.grad), float(c.grad), float(d.grad))
        a.data -= learning_rate * a.grad
        b.data -= learning_rate * b.grad
        c.data -= learning_rate * c.grad
        d.data -= learning_rate * d.grad
        after = (a.item(), b.item(), c.item(), d.item())

        # Manually zero the gradients after updating weights
        if config.zero_grad:
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None

        detail = yield StepRecord(
            step=t,
            loss=loss.item(),
            params=before,
            grads=grads,
            updated=after,
            curve=cubic(after, curve_x) if detail else None,
        )
        before = after


ENGINE = EngineSpec(
    name="tiny-autograd",
    description="the lecture's own Tensor class in numpy: overloaded operators cache inputs, backward() walks back.",
    param_names=CUBIC_PARAMS,
    initial_params=initial_cubic,
    predict=cubic,
    powers=CUBIC_POWERS,
    train=train,
    sources=tensor_sources,
)
