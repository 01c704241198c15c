"""The lecture's PyTorch code: the same cubic, with gradients from autograd."""

import torch

from app.engines.base import Batching, EngineSpec, StepRecord, StepStream, Weights
from app.engines.problem import CUBIC_PARAMS, CUBIC_POWERS, Array, Problem, cubic, initial_cubic
from app.engines.torch_autograd_many import step_many
from app.engines.torch_common import data_tensors, leaves, pile_up, values
from app.run_config import RunConfig


def train(config: RunConfig, problem: Problem, curve_x: Array, start: Weights | None = None) -> StepStream:
    """Yield one record per step: forward, loss.backward(), update under no_grad, gradients reset. `start`: go on
    from where a run stands instead of its first step."""
    x, y = data_tensors(problem)
    start = start or Weights(0, initial_cubic(config))
    a, b, c, d = leaves(start.params, config)
    pile_up((a, b, c, d), start.grads)
    learning_rate = config.lr
    before = values((a, b, c, d))
    detail: bool | None = True
    for t in range(start.step, config.steps):
        # Forward pass: compute predicted y using operations on Tensors.
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        if config.reduction == "mean":
            loss = loss / x.numel()

        # Use autograd to compute the backward pass.
        loss.backward()

        # Manually update weights using gradient descent. Wrap in torch.no_grad() because weights have
        # requires_grad=True, but we don't need to track this in autograd.
        with torch.no_grad() if config.no_grad else torch.enable_grad():
            grads = values((a.grad, b.grad, c.grad, d.grad))
            if a.requires_grad:
                a -= learning_rate * a.grad
            if b.requires_grad:
                b -= learning_rate * b.grad
            if c.requires_grad:
                c -= learning_rate * c.grad
            if d.requires_grad:
                d -= learning_rate * d.grad
            after = values((a, b, c, d))

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
    name="torch-autograd",
    description="torch tensors with requires_grad: loss.backward() computes the gradients, no_grad updates.",
    param_names=CUBIC_PARAMS,
    initial_params=initial_cubic,
    predict=cubic,
    powers=CUBIC_POWERS,
    train=train,
    switches=frozenset({"no_grad", "frozen"}),
    batching=Batching(step_many=step_many, resume=train, takes=lambda config: config.no_grad and not config.frozen),
)
