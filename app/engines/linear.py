"""The lecture's first model: linear regression f(x) = wᵀx on the features [1, x, ..., x^degree], by gradient
descent, in numpy with the gradient 2 Σ εᵢ xᵢ derived by hand, and in torch with autograd. Polynomial regression
is the same code with more features."""

import functools

import numpy as np
import torch

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import Array, Problem, initial_weights
from app.engines.torch_common import DTYPES, data_tensors
from app.graph.linear_graph import linear_graph
from app.graph.torch_capture import name_leaves
from app.run_config import MAX_DEGREE, RunConfig

# The weights as the lecture's slides name them: f(x) = b + w1 x + w2 x² + w3 x³.
LINEAR_PARAMS = ("b", "w1", "w2", "w3")[: MAX_DEGREE + 1]


def linear_names(config: RunConfig) -> tuple[str, ...]:
    """The weights of a run: b, then one w per power of x."""
    return LINEAR_PARAMS[: config.degree + 1]


def initial_linear(config: RunConfig) -> tuple[float, ...]:
    """Standard normal weights from the run's seed: with degree 3, the very start of the cubic engines'."""
    return initial_weights(config.initial_seed, config.degree + 1)


def features(x: Array, degree: int) -> Array:
    """The feature matrix X, a row per point: [1, x, x², ..., x^degree]."""
    return np.stack([x**power for power in range(degree + 1)], axis=1)


def polynomial(params: tuple[float, ...], x: Array) -> Array:
    """f(x) = Σⱼ wⱼ xʲ for the weights [b, w1, ...] (as many as the run has)."""
    curve: Array = features(x, len(params) - 1) @ np.asarray(params, dtype=float)
    return curve


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step of gradient descent on the mean or summed squared error, in numpy."""
    x, y = problem.x, problem.y
    # The features: a column of ones for b, then x, x², ... up to the degree.
    X = features(x, config.degree)
    w = np.asarray(initial_linear(config), dtype=config.dtype)
    learning_rate = config.lr
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: each prediction is the features weighted, f(xᵢ) = xᵢᵀw
        y_pred = X @ w

        # Compute loss
        epsilon = y_pred - y
        loss = np.square(epsilon).sum()
        if config.reduction == "mean":
            loss = loss / x.size

        # Backprop: the gradient of the loss is 2 Σ εᵢ xᵢ
        grad_w = 2.0 * X.T @ epsilon
        if config.reduction == "mean":
            grad_w = grad_w / x.size

        # Update weights
        before = tuple(w.tolist())
        w -= learning_rate * grad_w

        after = tuple(w.tolist())
        detail = yield StepRecord(
            step=t,
            loss=float(loss),
            params=before,
            grads=tuple(grad_w.tolist()),
            updated=after,
            curve=polynomial(after, curve_x) if detail else None,
        )


def train_torch(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step of the same descent in torch, the gradient from autograd."""
    x, y = data_tensors(problem)
    X = torch.from_numpy(features(problem.x, config.degree))
    # Setting requires_grad=True: autograd computes the loss's gradient with respect to w in backward().
    w = torch.tensor(initial_linear(config), dtype=DTYPES[config.dtype], requires_grad=True)
    name_leaves({"X": X, "w": w})
    learning_rate = config.lr
    before = tuple(w.tolist())
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: each prediction is the features weighted, f(xᵢ) = xᵢᵀw
        y_pred = X @ w

        # Compute loss
        loss = (y_pred - y).pow(2).sum()
        if config.reduction == "mean":
            loss = loss / x.numel()

        # Use autograd to compute the backward pass.
        loss.backward()

        # Update weights using gradient descent. Wrap in torch.no_grad() because w has requires_grad=True, but
        # we don't need to track this in autograd.
        with torch.no_grad() if config.no_grad else torch.enable_grad():
            grads = tuple(w.grad.tolist())
            w -= learning_rate * w.grad
            after = tuple(w.tolist())

            # Zero the gradient after updating the weights
            if config.zero_grad:
                w.grad = None

        detail = yield StepRecord(
            step=t,
            loss=loss.item(),
            params=before,
            grads=grads,
            updated=after,
            curve=polynomial(after, curve_x) if detail else None,
        )
        before = after


# What the two linear engines share: the model, its weights and their start, the features' powers, and the leaf w.
linear_engine = functools.partial(
    EngineSpec,
    param_names=LINEAR_PARAMS,
    names_for=linear_names,
    initial_params=initial_linear,
    predict=polynomial,
    powers={name: (power,) for power, name in enumerate(LINEAR_PARAMS)},
    model="y = b + w1 x (+ w2 x² + w3 x³): f(x) = wᵀx on the features [1, x, ...]",
    leaves=dict.fromkeys(LINEAR_PARAMS, "w"),
)

LINEAR = linear_engine(
    name="linear",
    description="Linear regression on the features [1, x, x², x³] up to the chosen degree, numpy, the gradient "
    "2 Σ εᵢ xᵢ by hand: degree 3 is the lecture's cubic.",
    train=train,
    stores_grads=False,
    switches=frozenset({"degree"}),
    hand_graph=linear_graph,
)

LINEAR_TORCH = linear_engine(
    name="linear-torch",
    description="The same linear regression in torch: w a tensor with requires_grad, loss.backward() computes "
    "its gradient, the update under no_grad.",
    train=train_torch,
    switches=frozenset({"degree", "no_grad"}),
)

__all__ = ["LINEAR", "LINEAR_TORCH"]
