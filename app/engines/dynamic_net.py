"""The tutorial's dynamic network: each step a polynomial of order 3 to 5, the weight e reused above x³."""

import random

import numpy as np
import torch

from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import Array, Problem, initial_weights
from app.engines.torch_common import DTYPES, data_tensors
from app.graph.torch_capture import name_leaves
from app.run_config import RunConfig

PARAMS = ("a", "b", "c", "d", "e")


class DynamicNet(torch.nn.Module):
    """Five weights; the forward pass picks how many terms to use, so the graph differs from step to step."""

    def __init__(self, weights: tuple[float, ...], dtype: torch.dtype, rng: random.Random) -> None:
        super().__init__()
        self.a, self.b, self.c, self.d, self.e = (torch.nn.Parameter(torch.tensor(w, dtype=dtype)) for w in weights)
        self.rng = rng

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """a + b x + c x² + d x³, plus e·x⁴ and e·x⁵ as the step's draw says (order 3, 4 or 5, as the tutorial)."""
        y = self.a + self.b * x + self.c * x**2 + self.d * x**3
        for exp in range(4, self.rng.randint(4, 6)):
            y = y + self.e * x**exp
        return y


def initial_dynamic(config: RunConfig) -> tuple[float, ...]:
    """Five seeded standard normal weights, the first four the same as every cubic engine's."""
    return initial_weights(config.initial_seed, len(PARAMS))


def widest(params: tuple[float, ...], x: Array) -> Array:
    """The network at its largest (order 5): a + b x + c x² + d x³ + e x⁴ + e x⁵."""
    a, b, c, d, e = params
    curve: Array = a + b * x + c * x**2 + d * x**3 + e * x**4 + e * x**5
    return curve


def train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """Yield one record per step of the tutorial's loop: model(x), MSELoss, SGD with momentum."""
    x, y = data_tensors(problem)
    model = DynamicNet(initial_dynamic(config), DTYPES[config.dtype], random.Random(config.initial_seed))
    name_leaves(dict(model.named_parameters()))
    criterion = torch.nn.MSELoss(reduction=config.reduction)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9)
    weights = list(model.parameters())
    before = tuple(p.item() for p in weights)
    detail: bool | None = True
    for t in range(config.steps):
        # Forward pass: compute predicted y by passing x to the model (a new graph of order 3, 4 or 5).
        y_pred = model(x)

        # Compute loss.
        loss = criterion(y_pred, y)

        # Zero gradients (the tutorial does it here, just before the backward pass).
        if config.zero_grad:
            optimizer.zero_grad()

        # Backward pass: compute gradient of the loss with respect to the weights this step used.
        loss.backward()

        # Update the weights with SGD and momentum.
        grads = tuple(0.0 if p.grad is None else p.grad.item() for p in weights)
        optimizer.step()

        after = tuple(p.item() for p in weights)
        detail = yield StepRecord(
            step=t,
            loss=loss.item(),
            params=before,
            grads=grads,
            updated=after,
            curve=np.asarray(widest(after, curve_x)) if detail else None,
        )
        before = after


ENGINE = EngineSpec(
    name="dynamic-net",
    description="a dynamic network: each step draws order 3, 4 or 5, reusing e above x³ (SGD, momentum 0.9).",
    param_names=PARAMS,
    initial_params=initial_dynamic,
    predict=widest,
    powers={"a": (0,), "b": (1,), "c": (2,), "d": (3,), "e": (4, 5)},  # drawn at its widest, as `widest`
    train=train,
    model="y = a + b x + c x² + d x³ + e x⁴ + e x⁵ (order 3-5 each step)",
)
