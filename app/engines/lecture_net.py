"""The lecture's torch.nn example: Sequential(Linear(2, 3), Sigmoid(), Linear(3, 2)) on two inputs, two outputs."""

import numpy as np
import torch

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import Array, Drawing, Problem
from app.engines.torch_common import DTYPES, data_tensors
from app.engines.torch_mlp import norms
from app.graph.torch_capture import name_leaves
from app.run_config import RunConfig

DRAWN_SAMPLES = 100  # samples whose two predictions the page plots against their targets
TEACHER_SCALE = 3.0  # sharper sigmoids than a default init, so the targets are worth learning


def lecture_network() -> torch.nn.Sequential:
    """The lecture's slide, as written there."""
    return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 2))


def seeded_network(seed: int, dtype: torch.dtype, scale: float = 1.0) -> torch.nn.Sequential:
    """A lecture network with weights drawn from `seed` (and scaled), leaving the process's generator alone."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        network = lecture_network()
    with torch.no_grad():
        for param in network.parameters():
            param.mul_(scale)
    return network.to(dtype)


def make_pairs(config: RunConfig) -> Problem:
    """Points x = (x1, x2) drawn on the x range, and targets y = (y1, y2) from a seeded teacher network."""
    rng = np.random.default_rng([config.initial_seed, 2])
    x = rng.uniform(config.x_min, config.x_max, size=(config.points, 2))
    teacher = seeded_network(config.initial_seed + 1, torch.float64, TEACHER_SCALE)
    with torch.no_grad():
        y = teacher(torch.from_numpy(x)).numpy()
    if config.noise > 0:
        y = y + config.noise * rng.standard_normal(y.shape)
    return Problem(x=x.astype(config.dtype), y=y.astype(config.dtype))


def drawn(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Which (sample, output) pairs the page plots, ordered by target so the chart's x axis ascends."""
    samples = min(DRAWN_SAMPLES, problem.y.shape[0])
    rows, cols = np.divmod(np.arange(samples * 2), 2)
    order = np.argsort(problem.y[rows, cols], kind="stable")
    return rows[order], cols[order]


def pairs_drawing(config: RunConfig, problem: Problem, grid: Array) -> Drawing:
    """Each drawn prediction against its target: the truth is the diagonal, the data sit on it."""
    rows, cols = drawn(problem)
    targets = problem.y[rows, cols].astype(np.float64)
    return Drawing(
        grid=targets,
        truth=targets,
        data_x=targets,
        data_y=targets,
        view="outputs",
        x_label="target",
        y_label="prediction",
    )


def layer_names(config: RunConfig) -> tuple[str, ...]:
    """0.weight, 0.bias, 2.weight, 2.bias: the two Linear layers."""
    return tuple(name for name, _ in lecture_network().named_parameters())


def initial_norms(config: RunConfig) -> tuple[float, ...]:
    """The norms of the starting weights."""
    return norms(list(seeded_network(config.initial_seed, DTYPES[config.dtype]).parameters()))


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step: model(x), MSELoss, zero_grad, backward, update each parameter."""
    x, y = data_tensors(problem)
    rows, cols = drawn(problem)
    model = seeded_network(config.initial_seed, DTYPES[config.dtype])
    name_leaves(dict(model.named_parameters()))
    loss_fn = torch.nn.MSELoss(reduction=config.reduction)
    learning_rate = config.lr
    params = list(model.parameters())
    before = norms(params)
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(x)

        # Compute loss.
        loss = loss_fn(y_pred, y)

        # Zero the gradients before running the backward pass.
        if config.zero_grad:
            model.zero_grad()

        # Backward pass: compute gradient of the loss with respect to all the learnable parameters of the model.
        loss.backward()

        # Update the weights using gradient descent.
        grads = norms([p.grad for p in params])
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad

        after = norms(params)
        curve = y_pred.detach().numpy()[rows, cols].astype(np.float64) if detail else None
        detail = yield StepRecord(step=t, loss=loss.item(), params=before, grads=grads, updated=after, curve=curve)
        before = after


ENGINE = EngineSpec(
    name="lecture-net",
    description="the lecture's Sequential(Linear(2, 3), Sigmoid(), Linear(3, 2)) and MSELoss() on 2-in, 2-out data.",
    param_names=(),
    initial_params=initial_norms,
    train=train,
    model="y = Linear(3, 2)(Sigmoid(Linear(2, 3)(x))), x and y in 2-D",
    names_for=layer_names,
    inputs=2,
    make_problem=make_pairs,
    drawing=pairs_drawing,
)
