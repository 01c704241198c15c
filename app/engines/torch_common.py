"""What the torch engines share: the dtype, the data as tensors, the cubic's leaves and reading them back."""

from collections.abc import Iterable, Sequence

import torch

from app.engines.problem import CUBIC_PARAMS, Problem
from app.graph.torch_capture import name_leaves
from app.run_config import RunConfig

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def data_tensors(problem: Problem) -> tuple[torch.Tensor, torch.Tensor]:
    """x and y as tensors sharing the problem's memory (and its dtype), named for the graph's drawing."""
    x, y = torch.from_numpy(problem.x), torch.from_numpy(problem.y)
    name_leaves({"x": x, "y": y})
    return x, y


def leaves(values: Iterable[float], config: RunConfig, names: Iterable[str] = CUBIC_PARAMS) -> list[torch.Tensor]:
    """Scalar weights, one per value, named a, b, c, d for the graph's drawing: autograd tracks each one but those
    the run freezes (requires_grad=False)."""
    named = list(names)
    tensors = [
        torch.tensor(v, dtype=DTYPES[config.dtype], requires_grad=name not in config.frozen)
        for name, v in zip(named, values, strict=True)
    ]
    name_leaves(dict(zip(named, tensors, strict=True)))
    return tensors


def pile_up(weights: Sequence[torch.Tensor], grads: Sequence[float] | None) -> None:
    """Give each weight the gradient its earlier steps left in .grad (none: nothing kept, as after zero_grad; a
    frozen weight never has one)."""
    if grads is not None:
        for weight, grad in zip(weights, grads, strict=True):
            if weight.requires_grad:
                weight.grad = torch.tensor(grad, dtype=weight.dtype)


def values(tensors: Iterable[torch.Tensor | None]) -> tuple[float, ...]:
    """Scalar tensors as Python floats (a missing gradient reads as 0, as autograd would have it)."""
    return tuple([0.0 if t is None else t.item() for t in tensors])  # a list: quicker than a generator here
