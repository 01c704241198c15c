"""The numpy Tensor's capture: torch's graph for the same cubic, its own backward order, the record's gradients."""

import threading
from collections import Counter

import numpy as np
import pytest

from app.engines import ENGINES
from app.engines.problem import make_problem
from app.engines.tiny_tensor import Tensor, graph, traced
from app.graph.capture import capture_step
from app.graph.model import BackwardTrace, Graph
from app.graph.tiny_capture import TinyCapture
from app.run_config import RunConfig


def captured(name: str, steps: int = 3, zero_grad: bool = True) -> list[tuple[tuple[float, ...], Graph, BackwardTrace]]:
    config = RunConfig(engine=name, seed=2, steps=steps, points=16, zero_grad=zero_grad)
    stream = ENGINES[name].train(config, make_problem(config), np.linspace(-3, 3, 7))
    out = []
    for t in range(steps):
        record, found, trace = capture_step(stream, None if t == 0 else True)
        assert found is not None and trace is not None
        out.append((record.grads, found, trace))
    return out


def test_tiny_graph_is_the_torch_autograd_graph() -> None:
    """Same node names (4 AccumulateGrad, 3 MulBackward0, ...), same edges, even the same ids and labels (x² and x³,
    not two alike); each node keeps for its backward what torch's keeps, under torch's names and with its numbers
    (PowBackward0 its input and exponent, MulBackward0 only the constant its weight's gradient reads)."""
    for (_, tiny, _), (_, torch_graph, _) in zip(captured("tiny-autograd"), captured("torch-autograd"), strict=True):
        assert Counter(n.name for n in tiny.nodes) == Counter(n.name for n in torch_graph.nodes)
        assert len(tiny.edges) == len(torch_graph.edges) == 16
        assert [(n.id, n.name) for n in tiny.nodes] == [(n.id, n.name) for n in torch_graph.nodes]
        assert [e.key for e in tiny.edges] == [e.key for e in torch_graph.edges]
        assert sorted(n.label for n in tiny.nodes if n.kind == "leaf") == ["a", "b", "c", "d"]
        assert [n.label for n in tiny.nodes] == [n.label for n in torch_graph.nodes]
        assert sorted(n.label for n in tiny.nodes if n.kind == "constant") == ["x", "x²", "x³", "y"]
        for mine, theirs in zip(tiny.nodes, torch_graph.nodes, strict=True):
            assert list(mine.saved) == list(theirs.saved), mine.id
            for key, value in mine.saved.items():
                assert value.shape == theirs.saved[key].shape
                assert value.values == pytest.approx(theirs.saved[key].values, rel=1e-12), (mine.id, key)
        tensors = sum(1 for n in tiny.nodes for v in n.saved.values() if v.shape)
        assert tensors == 4  # PowBackward0's input and each MulBackward0's x, x², x³: not every input of every op


@pytest.mark.parametrize("zero_grad", [True, False])
def test_tiny_leaf_gradients_are_the_records(zero_grad: bool) -> None:
    """Each leaf's .grad after backward, as the record reports it; the order runs each node once, loss first."""
    for grads, found, trace in captured("tiny-autograd", zero_grad=zero_grad):
        assert [trace.leaf_grads[name] for name in "abcd"] == pytest.approx(grads, rel=1e-12)
        ops = [n.id for n in found.nodes if n.kind != "constant"]
        order = trace.order
        assert order[0] == "n0" and sorted(order) == sorted(ops)
        position = {node_id: i for i, node_id in enumerate(order)}
        assert all(position[e.source] < position[e.target] for e in found.edges if e.target in position)


def test_tiny_capture_agrees_with_the_tensors_own_graph_export() -> None:
    """The same multiset of torch names and the same edges as tiny_tensor.graph(root)."""
    x = Tensor(np.linspace(-1, 1, 5), name="x")
    a, b = Tensor(0.5, requires_grad=True, name="a"), Tensor(-1.0, requires_grad=True, name="b")
    loss = ((a * x + b * a) ** 2).mean()
    nodes, edges = graph(loss)

    with TinyCapture() as capture:
        loss.backward()
    assert capture.graph is not None and capture.trace is not None
    assert Counter(n.name or None for n in capture.graph.nodes) == Counter(n.torch_name for n in nodes)
    assert len(capture.graph.edges) == len(edges)
    assert capture.trace.leaf_grads == {"a": pytest.approx(a.grad), "b": pytest.approx(b.grad)}
    # a is read twice (a·x and b·a): one node, two edges, and its gradient is the sum of both.
    a_id = next(n.id for n in capture.graph.nodes if n.label == "a")
    into_a = [e.key for e in capture.graph.edges if e.target == a_id]
    assert len(into_a) == 2
    summed = sum(capture.trace.grad_out[k].values[0] or 0.0 for k in into_a)
    assert summed == pytest.approx(a.grad)


def test_trace_is_per_thread_and_restored() -> None:
    """traced() reaches only the thread that entered it, and an inner trace gives way to the outer one."""
    calls: list[str] = []
    a = Tensor(2.0, requires_grad=True)
    with traced(lambda node, grad, passed: calls.append("outer")):
        other = threading.Thread(target=lambda: (a * a).backward())
        other.start()
        other.join()
        assert calls == []
        with traced(lambda node, grad, passed: calls.append("inner")):
            (a * 3.0).backward()
        (a * 3.0).backward()
    (a * 3.0).backward()
    assert calls == ["inner", "inner", "outer", "outer"]
