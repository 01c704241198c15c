"""Read one step's autograd graph from torch: what the forward pass noted (which call made each node and from
which inputs, what the formula calls each constant), then a breadth-first walk from the loss's node along
`next_functions` that turns it into a Graph, keeping each node's edges for the backward's hooks."""

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from app.graph.model import (
    FEW,
    PARAMETER_FEW,
    Graph,
    GraphEdge,
    GraphNode,
    TensorSummary,
    make_graph,
    op_label,
    power_label,
)
from app.graph.torch_nodes import Node, node_name, saved_values, summarize

NAME_ATTR = "_autograd_live_name"
Input = torch.Tensor | int | float
# A node the walk found, its id, and the key of the edge along each of its next_functions (None: a constant).
Tracked = tuple[Node, str, list[str | None]]


def name_leaves(named: Mapping[str, torch.Tensor]) -> None:
    """Tag tensors with the names the graph shows: parameters (a, 0.weight) and data (x, y). Once, outside loops."""
    for name, tensor in named.items():
        setattr(tensor, NAME_ATTR, name)


@dataclass(slots=True)
class _Made:
    """What the forward pass knows of one node: the tensor it made, that tensor's version then, the call's
    inputs in order (None when the node was only seen as an input), and the line of the step that made it."""

    output: torch.Tensor
    version: int
    inputs: tuple[Input, ...] | None
    line: int | None = None


class ForwardNotes:
    """What one step's forward calls told: the node each output came from, labels of constants, and summaries.
    `where()` tells which line of the engine's step is running (None: unknown), noted against each node."""

    def __init__(self, where: Callable[[], int | None] = lambda: None) -> None:
        self._where = where
        self._made: dict[Node, _Made] = {}
        self._labels: dict[int, tuple[torch.Tensor, str]] = {}  # id → (tensor, kept alive so the id holds)
        # One tensor is often several things (Sub's output is Pow's saved self; a gradient goes out along an edge
        # and arrives at a node): summarized once, while its version says it is unchanged.
        self._summaries: dict[int, tuple[torch.Tensor, int, int, TensorSummary]] = {}

    def clear(self) -> None:
        """Lets the step's tensors and nodes go."""
        self._made.clear()
        self._labels.clear()
        self._summaries.clear()

    def summarize(self, value: torch.Tensor | float | Sequence[float], few: int = FEW) -> TensorSummary:
        """summarize(value), once per tensor, version and `few` (a parameter's value is kept whole further)."""
        if not isinstance(value, torch.Tensor):
            return summarize(value, few)
        known = self._summaries.get(id(value))
        if known is not None and known[0] is value and known[1] == value._version and known[2] == few:
            return known[3]
        summary = summarize(value, few)
        self._summaries[id(value)] = (value, value._version, few, summary)
        return summary

    def note(self, func: Callable[..., Any], args: Sequence[Any], out: torch.Tensor) -> None:
        """A call made `out` from `args`: its node's output and inputs, or the label of a constant's power."""
        if out.grad_fn is not None:
            inputs = tuple(a for a in args if isinstance(a, torch.Tensor | int | float) and not isinstance(a, bool))
            line = self._where()
            self._made.setdefault(out.grad_fn, _Made(out, out._version, inputs, line))
            for arg in inputs:  # a tensor made where the mode cannot see (a custom Function's apply)
                if isinstance(arg, torch.Tensor) and arg.grad_fn is not None and arg.grad_fn not in self._made:
                    self._made[arg.grad_fn] = _Made(arg, arg._version, None, line)
        elif getattr(func, "__name__", "") == "pow" and len(args) == 2 and isinstance(args[1], int | float):
            base = self.label(args[0])
            if base is not None:
                self._labels[id(out)] = (out, power_label(base, args[1]))

    def label(self, value: object) -> str | None:
        """What the formula calls a constant input: its tag, x² made from a tagged x, or the number itself."""
        if isinstance(value, int | float):
            return f"{value:g}"
        if not isinstance(value, torch.Tensor):
            return None
        name = getattr(value, NAME_ATTR, None)
        if name is not None:
            return str(name)
        known = self._labels.get(id(value))
        return known[1] if known is not None and known[0] is value else None

    def made(self, node: Node) -> _Made | None:
        """What the forward pass saw of `node`, if it saw it."""
        return self._made.get(node)


def walk_graph(root: Node, notes: ForwardNotes) -> tuple[Graph, list[Tracked]]:
    """Breadth first from the loss's node, ids in the order found; each None input (one that needs no
    gradient) becomes a constant node. Also each tracked node with its id and its edges' keys by input. A node
    the forward pass did not see (F.linear's TBackward0, made inside the call) takes the line of its first user."""
    ids: dict[Node, str] = {root: "n0"}
    user_line: dict[Node, int | None] = {}
    count = 1
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    tracked: list[Tracked] = []
    constants: dict[int, str] = {}  # a constant tensor read twice is one node
    leaves = 0
    queue = deque([root])
    while queue:
        node = queue.popleft()
        source = ids[node]
        current = _node(source, node, leaves, notes, user_line.get(node))
        nodes.append(current)
        leaves += current.kind == "leaf"
        inputs = _constant_inputs(node, notes)
        keys: list[str | None] = []
        for index, (child, _) in enumerate(node.next_functions):
            if child is None:
                value = inputs.get(index)
                target = constants.get(id(value), "") if isinstance(value, torch.Tensor) else ""
                if not target:
                    target, count = f"n{count}", count + 1
                    nodes.append(_constant(target, value, notes))
                    if isinstance(value, torch.Tensor):
                        constants[id(value)] = target
                keys.append(None)
            else:
                if child not in ids:
                    ids[child], count = f"n{count}", count + 1
                    queue.append(child)
                    user_line[child] = current.line
                target = ids[child]
                keys.append(f"{source}>{target}:{index}")
            edges.append(GraphEdge(source, target, index))
        tracked.append((node, source, keys))
    nodes.sort(key=lambda n: int(n.id[1:]))
    return make_graph(nodes, edges), tracked


def _constant_inputs(node: Node, notes: ForwardNotes) -> dict[int, Input]:
    """The call's inputs behind the None entries of next_functions, by index, when that is certain: the
    inputs line up one to one with next_functions, or there is just one constant among them (F.linear gets
    x, weight, bias, but addmm's next_functions are bias, x, weight.t()). Else none: constants stay unnamed."""
    made = notes.made(node)
    if made is None or made.inputs is None:
        return {}
    nones = [i for i, (child, _) in enumerate(node.next_functions) if child is None]
    if len(made.inputs) == len(node.next_functions) and all(
        _matches(value, child) for value, (child, _) in zip(made.inputs, node.next_functions, strict=True)
    ):
        return {i: made.inputs[i] for i in nones}
    constants = [v for v in made.inputs if not isinstance(v, torch.Tensor) or not v.requires_grad]
    return {nones[0]: constants[0]} if len(constants) == len(nones) == 1 else {}


def _constant(node_id: str, value: Input | None, notes: ForwardNotes) -> GraphNode:
    label = notes.label(value) or "constant"
    forward = notes.summarize(value) if value is not None else None
    return GraphNode(node_id, "", "constant", label, {}, forward)


def _node(node_id: str, node: Node, leaves_before: int, notes: ForwardNotes, user_line: int | None) -> GraphNode:
    name = node_name(node)
    if name == "AccumulateGrad":
        variable = node.variable
        label = getattr(variable, NAME_ATTR, None) or f"leaf {leaves_before + 1}"
        return GraphNode(node_id, name, "leaf", str(label), {}, notes.summarize(variable, PARAMETER_FEW))
    made = notes.made(node)
    fresh = made is not None and made.output._version == made.version  # not overwritten in place since
    forward = notes.summarize(made.output) if made is not None and fresh else None
    line = made.line if made is not None else user_line
    return GraphNode(node_id, name, "op", _label(node, name), saved_values(node, notes.summarize), forward, line)


# torch's codes for a loss's reduction, as its nodes save them (`_saved_reduction`).
REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _label(node: Node, name: str) -> str:
    """An op's short label; MSELoss's says its reduction, a sum or the mean: the loss is not the same number."""
    if name == "MseLossBackward0":
        reduction = REDUCTIONS.get(getattr(node, "_saved_reduction", -1))
        return f"MSE loss ({reduction})" if reduction else "MSE loss"
    return op_label(name)


def _matches(value: Input, child: Node | None) -> bool:
    """Whether a call's input is what next_functions holds: None for a constant, else the node that made it."""
    if child is None:
        return not isinstance(value, torch.Tensor) or not value.requires_grad
    return isinstance(value, torch.Tensor) and (value.grad_fn is child or getattr(child, "variable", None) is value)
