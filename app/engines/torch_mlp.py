"""Small networks from the layers the lecture lists: Linear, Sigmoid, ReLU, Tanh and Softmax, fitted to y(x)."""

from collections.abc import Sequence

import torch

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import Array, Problem
from app.engines.torch_common import DTYPES, data_tensors
from app.graph.torch_capture import name_leaves
from app.run_config import RunConfig

ACTIVATIONS: dict[str, type[torch.nn.Module]] = {
    "sigmoid": torch.nn.Sigmoid,
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "softmax": torch.nn.Softmax,
}


def build_network(config: RunConfig) -> torch.nn.Sequential:
    """Linear(1, w) ... activations ... Linear(w, 1), Flatten(0, 1), its weights drawn from the run's seed."""
    with torch.random.fork_rng():  # seeded like every engine, without touching the process's generator
        torch.manual_seed(config.initial_seed)
        modules: list[torch.nn.Module] = []
        width = 1
        for layer in config.layers:
            if isinstance(layer, int):
                modules.append(torch.nn.Linear(width, layer))
                width = layer
            else:
                modules.append(ACTIVATIONS[layer](dim=-1) if layer == "softmax" else ACTIVATIONS[layer]())
        modules += [torch.nn.Linear(width, 1), torch.nn.Flatten(0, 1)]
    # Drawn in float32 and then converted, so float32 and float64 runs start from the same weights.
    return torch.nn.Sequential(*modules).to(DTYPES[config.dtype])


def layer_names(config: RunConfig) -> tuple[str, ...]:
    """The network's parameter tensors by name: 0.weight, 0.bias, 2.weight, ..."""
    return tuple(name for name, _ in build_network(config).named_parameters())


def norms(tensors: Sequence[torch.Tensor | None]) -> tuple[float, ...]:
    """Each tensor's L2 norm (0 for a gradient not computed yet): one number per layer's weights or biases."""
    return tuple(0.0 if t is None else torch.linalg.vector_norm(t.detach()).item() for t in tensors)


def predict_on(model: torch.nn.Module, grid: torch.Tensor) -> Array:
    """The network's output at the drawing grid, outside autograd."""
    with torch.no_grad():
        curve: Array = model(grid).numpy()
    return curve


def initial_norms(config: RunConfig) -> tuple[float, ...]:
    """The norms of the network's starting weights."""
    return norms(list(build_network(config).parameters()))


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step: model(x), MSELoss, zero_grad, backward, Adam's step; weights as layer norms."""
    x, y = data_tensors(problem)
    xx = x.unsqueeze(-1)
    grid = torch.from_numpy(curve_x).to(x.dtype).unsqueeze(-1)
    model = build_network(config)
    name_leaves({**dict(model.named_parameters()), "x": xx})
    loss_fn = torch.nn.MSELoss(reduction=config.reduction)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    params = list(model.parameters())
    before = norms(params)
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute loss.
        loss = loss_fn(y_pred, y)

        # Zero the gradients before running the backward pass.
        if config.zero_grad:
            optimizer.zero_grad()

        # Backward pass: compute gradient of the loss with respect to every weight and bias.
        loss.backward()

        # Update the weights: Adam scales each step by the gradient's running size.
        grads = norms([p.grad for p in params])
        optimizer.step()

        after = norms(params)
        curve = predict_on(model, grid) if detail else None
        detail = yield StepRecord(step=t, loss=loss.item(), params=before, grads=grads, updated=after, curve=curve)
        before = after


ENGINE = EngineSpec(
    name="torch-mlp",
    description="a small network of Linear layers and activations (Sigmoid, ReLU, Tanh, Softmax), trained by Adam.",
    param_names=(),
    initial_params=initial_norms,
    train=train,
    model="y = network(x)",
    names_for=layer_names,
)
