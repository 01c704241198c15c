"""The tutorial's torch.nn version: the cubic as Linear(3, 1) on the features x, x², x³."""

import torch

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import CUBIC_PARAMS, CUBIC_POWERS, Array, Problem, cubic, initial_cubic
from app.engines.torch_common import DTYPES, data_tensors
from app.graph.torch_capture import name_leaves
from app.run_config import RunConfig

# The Linear layer holds the cubic's weights: a is its bias, b, c and d its 1-by-3 weight.
LINEAR_LEAVES = {"a": "0.bias", "b": "0.weight", "c": "0.weight", "d": "0.weight"}


def polynomial_model(config: RunConfig) -> torch.nn.Sequential:
    """Sequential(Linear(3, 1), Flatten(0, 1)), its bias and weights set to the seeded a, b, c, d."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).to(DTYPES[config.dtype])
    a, b, c, d = initial_cubic(config)
    linear = model[0]
    with torch.no_grad():
        linear.bias.fill_(a)
        linear.weight.copy_(torch.tensor([[b, c, d]], dtype=DTYPES[config.dtype]))
    return model


def features(x: torch.Tensor) -> torch.Tensor:
    """The columns x, x², x³: the output y is a linear function of them."""
    p = torch.tensor([1, 2, 3])
    return x.unsqueeze(-1).pow(p)


def as_cubic(bias: torch.Tensor | None, weight: torch.Tensor | None) -> tuple[float, ...]:
    """The Linear layer's bias and 1-by-3 weight (or their gradients) read as the lecture's a, b, c, d."""
    if bias is None or weight is None:
        return (0.0, 0.0, 0.0, 0.0)
    return (bias.item(), *weight.tolist()[0])


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step: model(xx), MSELoss, model.zero_grad(), backward, update each parameter."""
    x, y = data_tensors(problem)
    xx = features(x)
    model = polynomial_model(config)
    name_leaves({**dict(model.named_parameters()), "x, x², x³": xx})
    loss_fn = torch.nn.MSELoss(reduction=config.reduction)
    learning_rate = config.lr
    bias, weight = model[0].bias, model[0].weight  # updated in place: the same tensors all run long
    before = as_cubic(bias, weight)
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute loss.
        loss = loss_fn(y_pred, y)

        # Zero the gradients before running the backward pass.
        if config.zero_grad:
            model.zero_grad()

        # Backward pass: compute gradient of the loss with respect to all the learnable parameters of the model.
        loss.backward()

        # Update the weights using gradient descent.
        grads = as_cubic(bias.grad, weight.grad)
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad

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
    name="torch-nn",
    description="torch.nn: Sequential(Linear(3, 1), Flatten(0, 1)) on x, x², x³ with MSELoss(reduction='sum').",
    param_names=CUBIC_PARAMS,
    initial_params=initial_cubic,
    predict=cubic,
    powers=CUBIC_POWERS,
    train=train,
    leaves=LINEAR_LEAVES,
)
