"""Reading torch's autograd nodes: their names, the values they saved for backward, tensors as summaries."""

import re
from collections.abc import Callable, Sequence
from typing import Any

import torch

from app.graph.model import FEW, TensorSummary

Node = Any  # torch.autograd.graph.Node: the C++ node classes are not typed beyond that
Value = torch.Tensor | float | Sequence[float]


def summarize(value: Value, few: int = FEW) -> TensorSummary:
    """A TensorSummary of a tensor, a Python number or a list of numbers (whole up to `few` elements)."""
    if not isinstance(value, torch.Tensor):
        return TensorSummary.of(value, few=few)
    tensor = value.detach()
    if tensor.dtype in (torch.float16, torch.bfloat16):  # numpy has no bfloat16
        tensor = tensor.float()
    return TensorSummary.of(tensor.cpu().numpy(), dtype=str(value.dtype).removeprefix("torch."), few=few)


def node_name(node: Node) -> str:
    """torch's name for a node without its namespace: torch::autograd::AccumulateGrad → AccumulateGrad."""
    name: str = node.name()
    return name.rsplit("::", 1)[-1]


_SAVED_ATTRS: dict[type, tuple[str, ...]] = {}
SHAPE_ONLY = re.compile(r"_(sym_)?(sizes|strides)$")  # the sizes torch keeps to shape a gradient, not values


def saved_values(node: Node, summarize: Callable[[Value], TensorSummary] = summarize) -> dict[str, TensorSummary]:
    """The tensors and numbers a node saved for backward: its `_saved_*` attributes (PowBackward0's
    `_saved_self`, `_saved_exponent`), and a custom Function's `ctx.saved_tensors` as "saved_tensors[i]"."""
    kind = type(node)
    if kind not in _SAVED_ATTRS:
        _SAVED_ATTRS[kind] = tuple(a for a in dir(node) if a.startswith("_saved_") and not SHAPE_ONLY.search(a))
    saved: dict[str, TensorSummary] = {}
    try:
        for attr in _SAVED_ATTRS[kind]:
            value = getattr(node, attr)
            if isinstance(value, torch.Tensor) or _number(value):
                saved[attr] = summarize(value)
            elif isinstance(value, tuple | list) and value and all(_number(v) for v in value):
                saved[attr] = summarize(list(value))
        if isinstance(node, torch.autograd.function.BackwardCFunction):
            for i, tensor in enumerate(node.saved_tensors):
                saved[f"saved_tensors[{i}]"] = summarize(tensor)
    except RuntimeError:  # freed by an earlier backward through this graph: what was read so far stands
        pass
    return saved


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
