"""The tutorial's custom autograd Function: y = a + b·P3(c + d·x) with the Legendre polynomial P3."""

from typing import Any

import torch

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import CUBIC_PARAMS, Array, Problem
from app.engines.torch_common import data_tensors, leaves, values
from app.run_config import RunConfig

# The tutorial starts near the solution on purpose: this model converges from few starting points.
INITIAL = (0.0, -1.0, 0.0, 0.3)


class LegendrePolynomial3(torch.autograd.Function):
    """P3(z) = ½(5z³ - 3z), with its derivative written by hand."""

    @staticmethod
    def forward(ctx: Any, input: torch.Tensor) -> torch.Tensor:
        """Compute P3 and keep the input for the backward pass."""
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        """dP3/dz = 1.5·(5z² - 1), times the gradient that arrives from the loss."""
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


def initial_legendre(config: RunConfig) -> tuple[float, ...]:
    """The tutorial's starting weights (the seed plays no part)."""
    return INITIAL


def legendre_curve(params: tuple[float, ...], x: Array) -> Array:
    """a + b·P3(c + d·x) evaluated with numpy."""
    a, b, c, d = params
    z = c + d * x
    curve: Array = a + b * 0.5 * (5 * z**3 - 3 * z)
    return curve


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step of the tutorial's loop around the custom Function."""
    x, y = data_tensors(problem)
    a, b, c, d = leaves(initial_legendre(config), config)
    learning_rate = config.lr
    before = values((a, b, c, d))
    # To apply our Function, we use Function.apply method; we alias this as 'P3'.
    P3 = LegendrePolynomial3.apply
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: compute predicted y using operations; we compute P3 using our custom autograd operation.
        y_pred = a + b * P3(c + d * x)

        # Compute loss
        loss = (y_pred - y).pow(2).sum()
        if config.reduction == "mean":
            loss = loss / x.numel()

        # Use autograd to compute the backward pass.
        loss.backward()

        # Update weights using gradient descent
        with torch.no_grad():
            grads = values((a.grad, b.grad, c.grad, d.grad))
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
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
            curve=legendre_curve(after, curve_x) if detail else None,
        )
        before = after


ENGINE = EngineSpec(
    name="torch-function",
    description="a custom torch.autograd.Function (Legendre P3) with its own backward: y = a + b·P3(c + d·x).",
    param_names=CUBIC_PARAMS,
    initial_params=initial_legendre,
    predict=legendre_curve,
    train=train,
    model="y = a + b P3(c + d x)",
)
