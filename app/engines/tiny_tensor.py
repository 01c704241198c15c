"""The lecture's Tensor made real in numpy: overloaded operators cache their inputs, backward() walks them back."""

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

Data = NDArray[np.floating[Any]]
GradFn = Callable[[Data], Data]
Operand: TypeAlias = "Tensor | ArrayLike"

# What a graph capture is told about each node backward() runs: the node (its .grad just updated), the
# gradient that arrived, and the gradient passed to each saved tensor (None for a constant).
Trace = Callable[["Tensor", Data, tuple[Data | None, ...]], None]
Made = Callable[["Tensor"], None]  # told of each tensor an operation makes, as it is made
_tracing = threading.local()  # per thread, like torch's function modes: other runs never see a capture

# Our op names as torch calls the nodes of its graph, so a captured graph can be compared with torch's own.
TORCH_NAMES = {op: f"{op.capitalize()}Backward0" for op in ("add", "sub", "mul", "div", "neg", "pow", "sum", "mean")}
ALPHA = {"alpha": 1.0}  # what torch's add and sub keep: the multiplier of their second input


def _as_data(value: ArrayLike, like: Data | None = None) -> Data:
    """A float array; a Python number takes `like`'s dtype, so float32 data stays float32 (as in torch)."""
    data = np.asarray(value, dtype=like.dtype if like is not None and isinstance(value, int | float) else None)
    return data if np.issubdtype(data.dtype, np.floating) else data.astype(np.float64)


def _unbroadcast(grad: Data, shape: tuple[int, ...]) -> Data:
    """Sum a gradient over the axes broadcasting stretched, back to the input's shape."""
    # Broadcasting used the input once per position along those axes, so its gradient is the sum over them.
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return np.asarray(grad.sum(axis=stretched, keepdims=True)) if stretched else grad


class Tensor:
    """An array that remembers the operation and inputs that made it, and takes responsibility for its gradient."""

    def __init__(
        self,
        data: ArrayLike,
        requires_grad: bool = False,
        name: str = "",
        op: str = "",
        saved_tensors: tuple["Tensor", ...] = (),
        grad_fns: tuple[GradFn, ...] = (),
        saved: Mapping[str, "Tensor | float"] | None = None,
    ) -> None:
        self.data = _as_data(data)
        self.grad: Data | None = None
        # An op's output needs a gradient exactly when one of its inputs does; otherwise it is a constant.
        self.requires_grad: bool = requires_grad or any(t.requires_grad for t in saved_tensors)
        self.name = name
        self.op = op
        self.saved_tensors = saved_tensors
        self.grad_fns = grad_fns  # one local derivative per input: the gradient of the output → that input's
        # What torch's node for the op keeps for its backward, under torch's names (`_saved_self` is "self"): only
        # what a gradient that is needed reads, where saved_tensors, as on the lecture's slide, caches every input.
        self.saved = dict(saved or {})
        if op:
            made: Made | None = getattr(_tracing, "made", None)
            if made is not None:
                made(self)

    @property
    def shape(self) -> tuple[int, ...]:
        """The data's shape."""
        return self.data.shape

    def numel(self) -> int:
        """How many elements the data holds, as torch's numel()."""
        return int(self.data.size)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return float(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient, as `a.grad = None` does in the lecture."""
        self.grad = None

    def __repr__(self) -> str:
        label = self.name or self.op or "const"
        return f"Tensor({label}, shape={self.shape}, requires_grad={self.requires_grad})"

    def _other(self, other: Operand) -> "Tensor":
        return other if isinstance(other, Tensor) else Tensor(_as_data(other, self.data))

    def __add__(self, other: Operand) -> "Tensor":
        o = self._other(other)
        fns = (lambda g: g, lambda g: g)
        return Tensor(self.data + o.data, op="add", saved_tensors=(self, o), grad_fns=fns, saved=ALPHA)

    def __sub__(self, other: Operand) -> "Tensor":
        o = self._other(other)
        fns = (lambda g: g, lambda g: -g)
        return Tensor(self.data - o.data, op="sub", saved_tensors=(self, o), grad_fns=fns, saved=ALPHA)

    def __mul__(self, other: Operand) -> "Tensor":
        o = self._other(other)
        fns = (lambda g: g * o.data, lambda g: g * self.data)
        # Each input's gradient reads the other input: kept only for an input whose gradient is needed.
        saved = {**({"other": o} if self.requires_grad else {}), **({"self": self} if o.requires_grad else {})}
        return Tensor(self.data * o.data, op="mul", saved_tensors=(self, o), grad_fns=fns, saved=saved)

    def __truediv__(self, other: Operand) -> "Tensor":
        o = self._other(other)
        fns = (lambda g: g / o.data, lambda g: -g * self.data / o.data**2)
        saved = {"other": o, **({"self": self} if o.requires_grad else {})}
        return Tensor(self.data / o.data, op="div", saved_tensors=(self, o), grad_fns=fns, saved=saved)

    def __pow__(self, exponent: float) -> "Tensor":
        k = float(exponent)
        # d(a^k)/da = k·a^(k-1); torch makes k = 0 a zero gradient rather than 0·a^-1 (nan at a = 0).
        fns = (lambda g: g * k * self.data ** (k - 1) if k else np.zeros_like(g),)
        saved: dict[str, Tensor | float] = {"exponent": k, "self": self}
        return Tensor(self.data**exponent, op="pow", saved_tensors=(self,), grad_fns=fns, saved=saved)

    def __neg__(self) -> "Tensor":
        return Tensor(-self.data, op="neg", saved_tensors=(self,), grad_fns=(lambda g: -g,))

    def __radd__(self, other: ArrayLike) -> "Tensor":
        return self._other(other) + self

    def __rsub__(self, other: ArrayLike) -> "Tensor":
        return self._other(other) - self

    def __rmul__(self, other: ArrayLike) -> "Tensor":
        return self._other(other) * self

    def __rtruediv__(self, other: ArrayLike) -> "Tensor":
        return self._other(other) / self

    def pow(self, exponent: float) -> "Tensor":
        """This tensor to a constant power."""
        return self**exponent

    def sum(self) -> "Tensor":
        """The sum of every element, a 0-d tensor."""
        fns = (lambda g: np.broadcast_to(g, self.shape),)
        return Tensor(self.data.sum(), op="sum", saved_tensors=(self,), grad_fns=fns)

    def mean(self) -> "Tensor":
        """The mean of every element, a 0-d tensor."""
        fns = (lambda g: np.broadcast_to(g / self.data.size, self.shape),)
        saved = {"self_sym_numel": float(self.data.size)}
        return Tensor(self.data.mean(), op="mean", saved_tensors=(self,), grad_fns=fns, saved=saved)

    def backward(self, grad: ArrayLike | None = None) -> None:
        """Add d(self)/dt, times `grad` (1 for a scalar), to the .grad of every tensor t below that requires it."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
        if grad is None and self.data.size != 1:
            raise RuntimeError("backward() without a gradient needs a scalar output")
        # Gradients flow through this dict, not through .grad, so a second backward is not fed the first's sums.
        pending: dict[int, Data] = {id(self): np.ones_like(self.data) if grad is None else _as_data(grad, self.data)}
        trace: Trace | None = getattr(_tracing, "trace", None)
        for node in reversed(_topological(self)):
            g = pending.pop(id(node))
            node.grad = np.array(g, dtype=node.data.dtype) if node.grad is None else node.grad + g
            passed: list[Data | None] = []
            for t, fn in zip(node.saved_tensors, node.grad_fns, strict=True):
                local = None
                if t.requires_grad:  # constants are never asked for their gradient, as torch skips them
                    local = _unbroadcast(fn(g), t.shape)
                    pending[id(t)] = pending[id(t)] + local if id(t) in pending else local
                passed.append(local)
            if trace is not None:
                trace(node, g, tuple(passed))


@contextmanager
def traced(trace: Trace, made: Made | None = None) -> Iterator[None]:
    """Within the block, every backward() run in this thread reports each node to `trace`, in the order it runs,
    and every operation reports the tensor it makes to `made`."""
    outer = getattr(_tracing, "trace", None), getattr(_tracing, "made", None)
    _tracing.trace, _tracing.made = trace, made
    try:
        yield
    finally:
        _tracing.trace, _tracing.made = outer


def _topological(root: Tensor, constants: bool = False) -> list[Tensor]:
    """The tensors under `root` that require a gradient (and, if asked, the constants they read), inputs first."""
    order: list[Tensor] = []
    seen: set[int] = set()
    # Iterative depth-first search, so a long chain of operations cannot exhaust Python's recursion limit.
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            # Like torch, a subgraph that needs no gradient is never entered: x ** 2 is one input, not an op.
            inputs = node.saved_tensors if node.requires_grad else ()
            stack.extend((t, False) for t in reversed(inputs) if constants or t.requires_grad)
    return order


NodeKind = Literal["leaf", "constant", "op"]


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One node of the graph: its id (topological), what it is, the op that made it and its shape."""

    id: int
    kind: NodeKind
    op: str
    name: str
    shape: tuple[int, ...]

    @property
    def torch_name(self) -> str | None:
        """torch's name for the node (AccumulateGrad for a leaf); None for a constant, which torch has no node for."""
        return {"leaf": "AccumulateGrad", "op": TORCH_NAMES.get(self.op, self.op), "constant": None}[self.kind]


def graph(root: Tensor) -> tuple[list[GraphNode], list[tuple[int, int]]]:
    """The nodes (ids in topological order) and input → output edges under `root`; constants are not expanded."""
    order = _topological(root, constants=True)
    ids = {id(t): i for i, t in enumerate(order)}
    nodes = [GraphNode(ids[id(t)], _kind(t), t.op, t.name, t.shape) for t in order]
    edges = [(ids[id(s)], ids[id(t)]) for t in order if t.requires_grad for s in t.saved_tensors]
    return nodes, edges


def _kind(t: Tensor) -> NodeKind:
    if not t.requires_grad:
        return "constant"
    return "op" if t.saved_tensors else "leaf"
