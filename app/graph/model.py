"""The captured autograd graph and one backward pass through it, as plain data ready for JSON."""

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

NodeKind = Literal["op", "leaf", "constant"]
FEW = 8  # a tensor this small is sent whole; a larger one as its first HEAD values and its statistics
HEAD = 4
# A parameter this small is sent whole: a network's weight matrices, drawn as heat maps (16×16 at most).
PARAMETER_FEW = 256


def finite(value: float) -> float | None:
    """The number, or None (JSON null) when it is NaN or infinite."""
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class TensorSummary:
    """A tensor told in a few numbers. Non-finite entries of `values` are None (null), and the statistics are
    taken over the finite entries only (None when there are none, or when the norm overflows); `nonfinite`
    counts the entries left out, so JSON never carries NaN and the page can still say that some were."""

    shape: tuple[int, ...]
    dtype: str
    values: tuple[float | None, ...]
    norm: float | None
    mean: float | None
    min: float | None
    max: float | None
    nonfinite: int = 0

    @classmethod
    def of(cls, data: Any, dtype: str | None = None, few: int = FEW) -> "TensorSummary":
        """Summarize a numpy array, a Python number or a list of numbers (`dtype` overrides the array's name);
        one of at most `few` elements keeps them all."""
        array = np.asarray(data)
        python = type(data).__name__ if isinstance(data, int | float) and not isinstance(data, np.generic) else None
        shape, name = tuple(array.shape), dtype or python or str(array.dtype)
        flat = array.ravel().astype(np.float64, copy=False)
        head: list[float] = (flat if flat.size <= few else flat[:HEAD]).tolist()
        values = tuple(v if math.isfinite(v) else None for v in head)
        if flat.size == 0:
            return cls(shape, name, values, None, None, None, None)
        low, high = float(flat.min()), float(flat.max())  # NaN anywhere makes both NaN
        if math.isfinite(low) and math.isfinite(high) and max(-low, high) < 1e150:  # the sums cannot overflow
            return cls(shape, name, values, math.sqrt(float(flat @ flat)), float(flat.sum()) / flat.size, low, high)
        kept = flat[np.isfinite(flat)]
        if kept.size == 0:
            return cls(shape, name, values, None, None, None, None, int(flat.size))
        with np.errstate(over="ignore"):  # an overflowing norm or mean is reported as None, not warned about
            norm, mean = float(np.linalg.norm(kept)), float(kept.mean())
        nonfinite = int(flat.size - kept.size)
        return cls(shape, name, values, finite(norm), finite(mean), float(kept.min()), float(kept.max()), nonfinite)


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One node: torch's name for it (`PowBackward0`, `AccumulateGrad`; "" for a constant, which torch has no
    node for), what it is, what the page calls it, the tensors it saved for backward, its forward value, and the
    line of the engine's step (an index into its step code, app/engines/code.py) that built it (None: none did)."""

    id: str
    name: str
    kind: NodeKind
    label: str
    saved: dict[str, TensorSummary]
    forward: TensorSummary | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """Input `index` of `source` (the node nearer the loss) is made by `target`; gradients flow source → target."""

    source: str
    target: str
    index: int

    @property
    def key(self) -> str:
        """The edge's key in BackwardTrace.grad_out: "source>target:index"."""
        return f"{self.source}>{self.target}:{self.index}"


@dataclass(frozen=True, slots=True)
class Graph:
    """The nodes (ids "n0", "n1", ... breadth first from the loss), the edges, and a signature of the shape."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    signature: str


@dataclass(frozen=True, slots=True)
class BackwardTrace:
    """One backward pass: the order autograd ran the nodes, the gradient that arrived at each, the gradient sent
    along each edge (keyed by GraphEdge.key), and each leaf's .grad afterwards (a float for a one-element leaf)."""

    order: tuple[str, ...]
    grad_in: dict[str, TensorSummary]
    grad_out: dict[str, TensorSummary]
    leaf_grads: dict[str, float | TensorSummary]


# The latest graph of a run as one pair: its shape (graph_shape) and its values (graph_values; None for a run
# stored before values were kept).
GraphNow = tuple[dict[str, Any], dict[str, Any] | None]


def graph_shape(graph: Graph) -> dict[str, Any]:
    """What is sent once per shape (again when the signature changes): the nodes without values, and the edges."""
    nodes = [{"id": n.id, "name": n.name, "kind": n.kind, "label": n.label, "line": n.line} for n in graph.nodes]
    edges = [[e.source, e.target, e.index] for e in graph.edges]
    return {"signature": graph.signature, "nodes": nodes, "edges": edges}


def graph_values(graph: Graph, trace: BackwardTrace | None) -> dict[str, Any]:
    """What changes every captured step, keyed by node id (and edge key): forward values, saved tensors, the
    backward order and the gradients. orjson writes the summaries (dataclasses) as they are."""
    values: dict[str, Any] = {
        "signature": graph.signature,
        "forward": {n.id: n.forward for n in graph.nodes if n.forward is not None},
        "saved": {n.id: n.saved for n in graph.nodes if n.saved},
    }
    if trace is not None:
        values |= {"order": trace.order, "grad_in": trace.grad_in, "grad_out": trace.grad_out}
        values["leaf_grads"] = trace.leaf_grads
    return values


def signature(nodes: tuple[GraphNode, ...], edges: tuple[GraphEdge, ...]) -> str:
    """A short hash of the names, kinds, labels and edges: equal for the same shape, different when it changes."""
    text = ";".join(f"{n.id}={n.kind}:{n.name}:{n.label}" for n in nodes)
    text += "|" + ";".join(e.key for e in edges)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def make_graph(nodes: list[GraphNode], edges: list[GraphEdge]) -> Graph:
    """A Graph with its signature."""
    frozen_nodes, frozen_edges = tuple(nodes), tuple(edges)
    return Graph(frozen_nodes, frozen_edges, signature(frozen_nodes, frozen_edges))


def leaf_grad(summary: TensorSummary) -> float | TensorSummary:
    """A one-element gradient as its number; a larger one, or a non-finite number, stays a summary."""
    if summary.shape in ((), (1,)) and summary.values and summary.values[0] is not None:
        return summary.values[0]
    return summary


SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def power_label(base: str, exponent: float) -> str:
    """x² for ("x", 2) as the formula reads; x^0.5 where no superscript fits."""
    if float(exponent).is_integer():
        return base + str(int(exponent)).translate(SUPERSCRIPTS)
    return f"{base}^{exponent:g}"


def op_label(name: str) -> str:
    """An op node's short label: PowBackward0 → Pow, LegendrePolynomial3Backward → LegendrePolynomial3."""
    return re.sub(r"Backward\d*$", "", name)
