"""The tiny-autograd Tensor's own code, by the op each method makes: what a student reads beside the graph's box
that the method built (its backward too), as the engine runs it."""

import functools
import inspect
import textwrap

from app.engines.tiny_tensor import Tensor

# The method that makes each op's node (b * x calls b.__mul__(x)), and the walk every backward() takes.
METHODS = {
    "add": "__add__",
    "sub": "__sub__",
    "mul": "__mul__",
    "div": "__truediv__",
    "neg": "__neg__",
    "pow": "__pow__",
    "sum": "sum",
    "mean": "mean",
    "backward": "backward",
}


@functools.cache
def tensor_sources() -> dict[str, str]:
    """Each op's method of Tensor, and backward, as source text (dedented), keyed by op name."""
    return {op: textwrap.dedent(inspect.getsource(getattr(Tensor, method))) for op, method in METHODS.items()}
