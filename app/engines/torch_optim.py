"""The tutorial's torch.optim version: the same Linear model, stepped by SGD, momentum, RMSprop or Adam."""

from collections.abc import Iterator

import torch

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import CUBIC_PARAMS, CUBIC_POWERS, Array, Problem, cubic, initial_cubic
from app.engines.torch_common import data_tensors
from app.engines.torch_nn import LINEAR_LEAVES, as_cubic, features, polynomial_model
from app.graph.torch_capture import name_leaves
from app.run_config import RunConfig


def make_optimizer(config: RunConfig, parameters: Iterator[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """The optimizer the config names, at its learning rate."""
    lr = config.lr
    match config.optimizer:
        case "sgd":
            return torch.optim.SGD(parameters, lr=lr)
        case "momentum":
            return torch.optim.SGD(parameters, lr=lr, momentum=0.9)
        case "rmsprop":
            return torch.optim.RMSprop(parameters, lr=lr)
        case "adam":
            return torch.optim.Adam(parameters, lr=lr)


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step: forward, loss, optimizer.zero_grad(), backward, optimizer.step()."""
    x, y = data_tensors(problem)
    xx = features(x)
    model = polynomial_model(config)
    name_leaves({**dict(model.named_parameters()), "x, x², x³": xx})
    loss_fn = torch.nn.MSELoss(reduction=config.reduction)
    optimizer = make_optimizer(config, model.parameters())
    bias, weight = model[0].bias, model[0].weight  # updated in place: the same tensors all run long
    before = as_cubic(bias, weight)
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute loss.
        loss = loss_fn(y_pred, y)

        # Before the backward pass, use the optimizer object to zero all of the gradients.
        if config.zero_grad:
            optimizer.zero_grad()

        # Backward pass: compute gradient of the loss with respect to model parameters.
        loss.backward()

        # Calling the step function on an Optimizer makes an update to its parameters.
        grads = as_cubic(bias.grad, weight.grad)
        optimizer.step()

        after = as_cubic(bias, weight)
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
    name="torch-optim",
    description="torch.optim steps the Linear model: SGD by default, SGD with momentum, Adam, or RMSprop (the "
    "tutorial's optim example).",
    param_names=CUBIC_PARAMS,
    initial_params=initial_cubic,
    predict=cubic,
    powers=CUBIC_POWERS,
    train=train,
    leaves=LINEAR_LEAVES,
)
