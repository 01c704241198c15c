"""Capture one step's autograd graph and its backward pass from any torch engine, without touching its code.

A TorchFunctionMode sees every torch call made in the thread that entered it, including `Tensor.backward`
(which dispatches through handle_torch_function while a mode is active). Forward calls note each output's
value against its grad_fn; the backward call walks `loss.grad_fn` → `next_functions`, hooks every node, runs
the real backward and removes the hooks. Torch keeps the mode stack per thread, so other runs pay nothing.
"""

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from app.graph.model import (
    BackwardTrace,
    Graph,
    GraphEdge,
    GraphNode,
    TensorSummary,
    leaf_grad,
    make_graph,
    op_label,
    power_label,
)
from app.graph.torch_nodes import Node, node_name, saved_values, summarize

NAME_ATTR = "_autograd_live_name"
Input = torch.Tensor | int | float


def name_leaves(named: Mapping[str, torch.Tensor]) -> None:
    """Tag tensors with the names the graph shows: parameters (a, 0.weight) and data (x, y). Once, outside loops."""
    for name, tensor in named.items():
        setattr(tensor, NAME_ATTR, name)


@dataclass(slots=True)
class _Made:
    """What the forward pass knows of one node: the tensor it made, that tensor's version then, and the call's
    inputs in order (None when the node was only seen as an input)."""

    output: torch.Tensor
    version: int
    inputs: tuple[Input, ...] | None


class _Recorder:
    """What the hooks write during one backward: the order nodes ran and the gradients in and out."""

    def __init__(self, summarize: Callable[[torch.Tensor], TensorSummary]) -> None:
        self.summarize = summarize
        self.order: list[str] = []
        self.grad_in: dict[str, TensorSummary] = {}
        self.grad_out: dict[str, TensorSummary] = {}

    def arrive(self, node_id: str, grads: Sequence[torch.Tensor | None]) -> None:
        """A node is about to run: `grads` are the gradients of its outputs (for AccumulateGrad, the one it adds)."""
        self.order.append(node_id)
        arrived = next((g for g in grads if g is not None), None)
        if arrived is not None:
            self.grad_in[node_id] = self.summarize(arrived)

    def leave(self, keys: Sequence[str | None], grads: Sequence[torch.Tensor | None]) -> None:
        """A node has run: grads[i] goes along next_functions[i], the edge keys[i] (None for a constant)."""
        for key, grad in zip(keys, grads, strict=False):
            if key is not None and grad is not None:
                self.grad_out[key] = self.summarize(grad)


class GraphCapture(TorchFunctionMode):
    """`with GraphCapture() as capture: record = stream.send(True)`, then `capture.graph` and `capture.trace`
    (None when the step ran no backward). Use a fresh capture for each step."""

    def __init__(self) -> None:
        super().__init__()
        self.graph: Graph | None = None
        self.trace: BackwardTrace | None = None
        self.ops = 0  # torch calls seen: the work this capture did, and proof of what it did not see
        self._made: dict[Node, _Made] = {}
        self._labels: dict[int, tuple[torch.Tensor, str]] = {}  # id → (tensor, kept alive so the id holds)
        # One tensor is often several things (Sub's output is Pow's saved self; a gradient goes out along an edge
        # and arrives at a node): summarized once, while its version says it is unchanged.
        self._summaries: dict[int, tuple[torch.Tensor, int, TensorSummary]] = {}

    def __enter__(self) -> "GraphCapture":
        super().__enter__()  # type: ignore[no-untyped-call]  # torch leaves its mode classes untyped
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            super().__exit__(kind, error, traceback)  # type: ignore[no-untyped-call]
        finally:  # the forward's tensors and nodes die with the step, not with this object
            self._made.clear()
            self._labels.clear()
            self._summaries.clear()

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Sequence[type],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        # torch pops this mode while we are in here, so `func` (and the backward below) runs as plain torch.
        kwargs = kwargs or {}
        if func is torch.Tensor.backward:
            return self._backward(func, args, kwargs)
        out = func(*args, **kwargs)
        self.ops += 1
        if isinstance(out, torch.Tensor):
            self._note(func, args, out)
        return out

    def _summarize(self, value: torch.Tensor | float | Sequence[float]) -> TensorSummary:
        if not isinstance(value, torch.Tensor):
            return summarize(value)
        known = self._summaries.get(id(value))
        if known is not None and known[0] is value and known[1] == value._version:
            return known[2]
        summary = summarize(value)
        self._summaries[id(value)] = (value, value._version, summary)
        return summary

    # The forward pass.

    def _note(self, func: Callable[..., Any], args: Sequence[Any], out: torch.Tensor) -> None:
        if out.grad_fn is not None:
            inputs = tuple(a for a in args if isinstance(a, torch.Tensor | int | float) and not isinstance(a, bool))
            self._made.setdefault(out.grad_fn, _Made(out, out._version, inputs))
            for arg in inputs:  # a tensor made where the mode cannot see (a custom Function's apply)
                if isinstance(arg, torch.Tensor) and arg.grad_fn is not None and arg.grad_fn not in self._made:
                    self._made[arg.grad_fn] = _Made(arg, arg._version, None)
        elif getattr(func, "__name__", "") == "pow" and len(args) == 2 and isinstance(args[1], int | float):
            base = self._label(args[0])
            if base is not None:
                self._labels[id(out)] = (out, power_label(base, args[1]))

    def _label(self, value: object) -> str | None:
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

    # The backward pass.

    def _backward(self, func: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        loss = args[0]
        if not isinstance(loss, torch.Tensor) or loss.grad_fn is None:
            return func(*args, **kwargs)  # torch raises its own error, or there is no graph to show
        # Saved tensors are freed by backward, so the graph is read first.
        graph, tracked = self._walk(loss.grad_fn)
        recorder = _Recorder(self._summarize)
        handles = []
        try:
            for node, node_id, keys in tracked:
                handles.append(node.register_prehook(lambda grads, i=node_id: recorder.arrive(i, grads)))
                if keys:
                    handles.append(node.register_hook(lambda grads, _, k=keys: recorder.leave(k, grads)))
            result = func(*args, **kwargs)
        finally:
            for handle in handles:
                handle.remove()
        labels = {n.id: n.label for n in graph.nodes}
        leaves = {labels[i]: node.variable.grad for node, i, _ in tracked if node_name(node) == "AccumulateGrad"}
        self.graph = graph
        self.trace = BackwardTrace(
            order=tuple(recorder.order),
            grad_in=recorder.grad_in,
            grad_out=recorder.grad_out,
            leaf_grads={label: leaf_grad(self._summarize(g)) for label, g in leaves.items() if g is not None},
        )
        return result

    def _walk(self, root: Node) -> tuple[Graph, list[tuple[Node, str, list[str | None]]]]:
        """Breadth first from the loss's node, ids in the order found; each None input (one that needs no
        gradient) becomes a constant node. Also each tracked node with its id and its edges' keys by input."""
        ids: dict[Node, str] = {root: "n0"}
        count = 1
        nodes: list[GraphNode] = []
        edges: list[GraphEdge] = []
        tracked: list[tuple[Node, str, list[str | None]]] = []
        constants: dict[int, str] = {}  # a constant tensor read twice is one node
        leaves = 0
        queue = deque([root])
        while queue:
            node = queue.popleft()
            source = ids[node]
            nodes.append(self._node(source, node, leaves))
            leaves += nodes[-1].kind == "leaf"
            inputs = self._constant_inputs(node)
            keys: list[str | None] = []
            for index, (child, _) in enumerate(node.next_functions):
                if child is None:
                    value = inputs.get(index)
                    target = constants.get(id(value), "") if isinstance(value, torch.Tensor) else ""
                    if not target:
                        target, count = f"n{count}", count + 1
                        nodes.append(self._constant(target, value))
                        if isinstance(value, torch.Tensor):
                            constants[id(value)] = target
                    keys.append(None)
                else:
                    if child not in ids:
                        ids[child], count = f"n{count}", count + 1
                        queue.append(child)
                    target = ids[child]
                    keys.append(f"{source}>{target}:{index}")
                edges.append(GraphEdge(source, target, index))
            tracked.append((node, source, keys))
        nodes.sort(key=lambda n: int(n.id[1:]))
        return make_graph(nodes, edges), tracked

    def _constant_inputs(self, node: Node) -> dict[int, Input]:
        """The call's inputs behind the None entries of next_functions, by index, when that is certain: the
        inputs line up one to one with next_functions, or there is just one constant among them (F.linear gets
        x, weight, bias, but addmm's next_functions are bias, x, weight.t()). Else none: constants stay unnamed."""
        made = self._made.get(node)
        if made is None or made.inputs is None:
            return {}
        nones = [i for i, (child, _) in enumerate(node.next_functions) if child is None]
        if len(made.inputs) == len(node.next_functions) and all(
            _matches(value, child) for value, (child, _) in zip(made.inputs, node.next_functions, strict=True)
        ):
            return {i: made.inputs[i] for i in nones}
        constants = [v for v in made.inputs if not isinstance(v, torch.Tensor) or not v.requires_grad]
        return {nones[0]: constants[0]} if len(constants) == len(nones) == 1 else {}

    def _constant(self, node_id: str, value: Input | None) -> GraphNode:
        label = self._label(value) or "constant"
        forward = self._summarize(value) if value is not None else None
        return GraphNode(node_id, "", "constant", label, {}, forward)

    def _node(self, node_id: str, node: Node, leaves_before: int) -> GraphNode:
        name = node_name(node)
        if name == "AccumulateGrad":
            variable = node.variable
            label = getattr(variable, NAME_ATTR, None) or f"leaf {leaves_before + 1}"
            return GraphNode(node_id, name, "leaf", str(label), {}, self._summarize(variable))
        made = self._made.get(node)
        fresh = made is not None and made.output._version == made.version  # not overwritten in place since
        forward = self._summarize(made.output) if made is not None and fresh else None
        return GraphNode(node_id, name, "op", op_label(name), saved_values(node, self._summarize), forward)


def _matches(value: Input, child: Node | None) -> bool:
    """Whether a call's input is what next_functions holds: None for a constant, else the node that made it."""
    if child is None:
        return not isinstance(value, torch.Tensor) or not value.requires_grad
    return isinstance(value, torch.Tensor) and (value.grad_fn is child or getattr(child, "variable", None) is value)
