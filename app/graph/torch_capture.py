"""Capture one step's autograd graph and its backward pass from any torch engine, without touching its code.

A TorchFunctionMode sees every torch call made in the thread that entered it, including `Tensor.backward`
(which dispatches through handle_torch_function while a mode is active). Forward calls note each output's
value against its grad_fn; the backward call walks `loss.grad_fn` → `next_functions` (torch_walk.py), hooks
every node, runs the real backward and removes the hooks. Torch keeps the mode stack per thread, so other runs
pay nothing.
"""

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from app.graph.model import BackwardTrace, Graph, TensorSummary, leaf_grad
from app.graph.torch_nodes import node_name
from app.graph.torch_walk import NAME_ATTR, ForwardNotes, name_leaves, walk_graph

__all__ = ["NAME_ATTR", "GraphCapture", "name_leaves"]  # the engines tag their tensors through this module


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
    (None when the step ran no backward). Use a fresh capture for each step; `where()` tells which line of the
    engine's step is running, so each node says which line built it."""

    def __init__(self, where: Callable[[], int | None] = lambda: None) -> None:
        super().__init__()
        self.graph: Graph | None = None
        self.trace: BackwardTrace | None = None
        self.ops = 0  # torch calls seen: the work this capture did, and proof of what it did not see
        self._notes = ForwardNotes(where)

    def __enter__(self) -> "GraphCapture":
        super().__enter__()  # type: ignore[no-untyped-call]  # torch leaves its mode classes untyped
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            super().__exit__(kind, error, traceback)  # type: ignore[no-untyped-call]
        finally:  # the forward's tensors and nodes die with the step, not with this object
            self._notes.clear()

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
            self._notes.note(func, args, out)
        return out

    def _backward(self, func: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        loss = args[0]
        if not isinstance(loss, torch.Tensor) or loss.grad_fn is None:
            return func(*args, **kwargs)  # torch raises its own error, or there is no graph to show
        # Saved tensors are freed by backward, so the graph is read first.
        graph, tracked = walk_graph(loss.grad_fn, self._notes)
        recorder = _Recorder(self._notes.summarize)
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
            leaf_grads={label: leaf_grad(self._notes.summarize(g)) for label, g in leaves.items() if g is not None},
        )
        return result
