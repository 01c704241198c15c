"""The same capture for the numpy Tensor of tiny_tensor: its graph under torch's node names, and its backward pass.

Its backward() reports each node it runs to a per-thread trace (`tiny_tensor.traced`), so, as with torch's
function mode, the engine's code stays as the lecture wrote it: the first node reported is the loss.
"""

from collections import deque
from collections.abc import Callable
from types import TracebackType

from app.engines.tiny_tensor import TORCH_NAMES, Data, Tensor, traced
from app.graph.model import (
    BackwardTrace,
    Graph,
    GraphEdge,
    GraphNode,
    TensorSummary,
    leaf_grad,
    make_graph,
    op_label,
)


def torch_name(tensor: Tensor) -> str:
    """What torch calls the node for this tensor: AccumulateGrad for a leaf, AddBackward0 for an add, ..."""
    return TORCH_NAMES.get(tensor.op, tensor.op) if tensor.saved_tensors else "AccumulateGrad"


SUPERSCRIPTS = str.maketrans("0123456789.-", "⁰¹²³⁴⁵⁶⁷⁸⁹·⁻")


def constant_label(tensor: Tensor) -> str:
    """Its name (x, y), the number a Python literal became, a power of a named input as written (x², x³, as torch's
    graph labels them), or the op that made it from named inputs: mul(x, y)."""
    if tensor.name:
        return tensor.name
    if not tensor.op and tensor.data.size == 1:
        return f"{tensor.item():g}"
    named = [t.name for t in tensor.saved_tensors if t.name]
    exponent = tensor.saved.get("exponent")
    if tensor.op == "pow" and named and isinstance(exponent, float):
        return named[0] + f"{exponent:g}".translate(SUPERSCRIPTS)
    return f"{tensor.op}({', '.join(named)})" if tensor.op and named else "constant"


def _summary(value: Tensor | float) -> TensorSummary:
    return TensorSummary.of(value.data if isinstance(value, Tensor) else value)


class TinyCapture:
    """`with TinyCapture() as capture: record = stream.send(True)`, then `capture.graph` and `capture.trace`;
    `where()` tells which line of the engine's step is running, so each node says which line built it."""

    def __init__(self, where: Callable[[], int | None] = lambda: None) -> None:
        self._where = where
        self._lines: dict[int, tuple[Tensor, int | None]] = {}  # id → (tensor kept so the id holds, its line)
        self.graph: Graph | None = None
        self.trace: BackwardTrace | None = None
        self._root: Tensor | None = None  # kept while capturing, so the ids below cannot be reused
        self._ids: dict[int, str] = {}
        self._leaves: dict[str, str] = {}  # node id → leaf label
        self._order: list[str] = []
        self._grad_in: dict[str, TensorSummary] = {}
        self._grad_out: dict[str, TensorSummary] = {}
        self._leaf_grads: dict[str, float | TensorSummary] = {}
        self._tracing = traced(self._ran, self._made)

    def __enter__(self) -> "TinyCapture":
        self._tracing.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._tracing.__exit__(kind, error, traceback)
        self._root, self._ids, self._lines = None, {}, {}
        if self.graph is not None:
            self.trace = BackwardTrace(tuple(self._order), self._grad_in, self._grad_out, self._leaf_grads)

    def _ran(self, node: Tensor, grad: Data, passed: tuple[Data | None, ...]) -> None:
        node_id = self._ids.get(id(node))
        if node_id is None or node_id in self._order:  # the first node of a backward pass: its loss
            self._start(node)
            node_id = "n0"
        self._order.append(node_id)
        self._grad_in[node_id] = TensorSummary.of(grad)
        for index, (t, g) in enumerate(zip(node.saved_tensors, passed, strict=True)):
            if g is not None:
                self._grad_out[f"{node_id}>{self._ids[id(t)]}:{index}"] = TensorSummary.of(g)
        if node_id in self._leaves and node.grad is not None:
            self._leaf_grads[self._leaves[node_id]] = leaf_grad(TensorSummary.of(node.grad))

    def _made(self, tensor: Tensor) -> None:
        self._lines[id(tensor)] = (tensor, self._where())

    def _line(self, tensor: Tensor) -> int | None:
        known = self._lines.get(id(tensor))
        return known[1] if known is not None and known[0] is tensor else None

    def _start(self, root: Tensor) -> None:
        self._root = root
        self.graph, self._ids, self._leaves = walk(root, self._line)
        self._order, self._grad_in, self._grad_out, self._leaf_grads = [], {}, {}, {}


def walk(
    root: Tensor, line_of: Callable[[Tensor], int | None] = lambda tensor: None
) -> tuple[Graph, dict[int, str], dict[str, str]]:
    """Breadth first from the loss, exactly as torch_capture walks next_functions, so the same formula gets the
    same ids; also each tensor's node id (by id()) and each leaf's label by node id. `line_of` names the line of
    the step that made an op's tensor."""
    ids: dict[int, str] = {id(root): "n0"}
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    leaves: dict[str, str] = {}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        source = ids[id(node)]
        if node.saved_tensors:
            saved = {f"_saved_{key}": _summary(value) for key, value in sorted(node.saved.items())}
            name = torch_name(node)
            forward = TensorSummary.of(node.data)
            nodes.append(GraphNode(source, name, "op", op_label(name), saved, forward, line_of(node)))
        else:
            leaves[source] = node.name or f"leaf {len(leaves) + 1}"
            nodes.append(GraphNode(source, "AccumulateGrad", "leaf", leaves[source], {}, TensorSummary.of(node.data)))
        for index, t in enumerate(node.saved_tensors):
            if id(t) not in ids:
                ids[id(t)] = f"n{len(ids)}"
                if t.requires_grad:
                    queue.append(t)
                else:
                    nodes.append(GraphNode(ids[id(t)], "", "constant", constant_label(t), {}, TensorSummary.of(t.data)))
            edges.append(GraphEdge(source, ids[id(t)], index))
    nodes.sort(key=lambda n: int(n.id[1:]))
    return make_graph(nodes, edges), ids, leaves
