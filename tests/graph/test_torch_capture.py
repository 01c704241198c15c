"""The torch capture against torch's own graph: names, edges, leaves, order, gradients, saved tensors, and cleanup."""

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from app.engines import ENGINES, torch_autograd
from app.engines.problem import make_problem
from app.engines.torch_common import leaves
from app.engines.torch_nn import features, polynomial_model
from app.graph.capture import capture_step
from app.graph.model import BackwardTrace, Graph
from app.graph.torch_capture import GraphCapture, _Recorder, name_leaves
from app.graph.torch_nodes import node_name
from app.run_config import RunConfig

Node = Any
XS = np.linspace(-np.pi, np.pi, 16)
CUBIC_NAMES = Counter(
    {"AccumulateGrad": 4, "MulBackward0": 3, "AddBackward0": 3, "PowBackward0": 1, "SubBackward0": 1, "SumBackward0": 1}
)


def torch_nodes(loss: torch.Tensor) -> Iterator[Node]:
    """Every node under the loss, each once: torch's own next_functions with a seen-set (the oracle)."""
    assert loss.grad_fn is not None
    seen: set[Node] = set()
    stack = [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            yield node
            stack.extend(child for child, _ in node.next_functions if child is not None)


def torch_shape(loss: torch.Tensor) -> tuple[Counter[str], int, int]:
    """torch's node names, its edges between nodes, and its None inputs (those that need no gradient)."""
    nodes = list(torch_nodes(loss))
    edges = sum(child is not None for node in nodes for child, _ in node.next_functions)
    nones = sum(child is None for node in nodes for child, _ in node.next_functions)
    return Counter(node_name(n) for n in nodes), edges, nones


def tracked(graph: Graph) -> Counter[str]:
    return Counter(n.name for n in graph.nodes if n.kind != "constant")


def cubic_tensors() -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """The lecture's x, y and four weights, tagged as the engines will tag them."""
    x = torch.from_numpy(XS.copy())
    y = torch.sin(x)
    weights = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in (0.1, -0.2, 0.3, -0.4)]
    name_leaves({"x": x, "y": y, **dict(zip("abcd", weights, strict=True))})
    return x, y, weights


def cubic_loss(x: torch.Tensor, y: torch.Tensor, weights: list[torch.Tensor]) -> torch.Tensor:
    a, b, c, d = weights
    y_pred = a + b * x + c * x**2 + d * x**3
    return (y_pred - y).pow(2).sum()


def captured_cubic() -> tuple[GraphCapture, torch.Tensor, list[torch.Tensor]]:
    x, y, weights = cubic_tensors()
    with GraphCapture() as capture:
        loss = cubic_loss(x, y, weights)
        loss.backward()
    return capture, loss, weights


def run_engine(name: str, steps: int, **overrides: Any) -> list[tuple[Any, Graph | None, BackwardTrace | None]]:
    """Each step of an engine, captured."""
    config = RunConfig(engine=name, seed=1, steps=steps, points=16, **overrides)
    stream = ENGINES[name].train(config, make_problem(config), np.linspace(-3, 3, 7))
    return [capture_step(stream, None if t == 0 else True) for t in range(steps)]


def test_cubic_graph_is_torchs_graph() -> None:
    """The lecture's names with their counts, torch's edges plus one to each constant, labelled leaves and data."""
    capture, loss, _ = captured_cubic()
    graph = capture.graph
    assert graph is not None
    names, edges, nones = torch_shape(loss)
    assert names == CUBIC_NAMES and (edges, nones) == (12, 4)  # spelled out, so the comparison is not vacuous
    assert tracked(graph) == names
    assert len(graph.edges) == edges + nones
    assert [n.id for n in graph.nodes] == [f"n{i}" for i in range(len(graph.nodes))]
    assert graph.nodes[0].name == "SumBackward0"
    assert sorted(n.label for n in graph.nodes if n.kind == "leaf") == ["a", "b", "c", "d"]
    assert sorted(n.label for n in graph.nodes if n.kind == "constant") == ["x", "x²", "x³", "y"]


def test_mean_reduction_divides_by_a_number_constant() -> None:
    """`loss / x.numel()` (the engines' mean): a DivBackward0 whose second input is the number itself."""
    x, y, weights = cubic_tensors()
    with GraphCapture() as capture:
        loss = cubic_loss(x, y, weights) / x.numel()
        loss.backward()
    assert capture.graph is not None
    root, divisor = capture.graph.nodes[0], capture.graph.nodes[2]
    assert root.name == "DivBackward0" and (divisor.kind, divisor.label) == ("constant", "16")
    assert divisor.forward is not None and divisor.forward.values == (16.0,)


def test_order_is_a_reverse_topological_order_and_the_one_torch_ran() -> None:
    """Each node runs once and before every node it sends a gradient to; the sequence, and the gradient that
    arrived at each node, are those seen by hooks this test puts on torch's nodes itself."""
    x, y, weights = cubic_tensors()
    fired: list[tuple[str, float]] = []
    with GraphCapture() as capture:
        loss = cubic_loss(x, y, weights)
        for node in torch_nodes(loss):
            node.register_prehook(lambda grads, n=node: fired.append((node_name(n), float(grads[0].norm()))))
        loss.backward()
    graph, trace = capture.graph, capture.trace
    assert graph is not None and trace is not None
    ops = {n.id for n in graph.nodes if n.kind != "constant"}
    assert sorted(trace.order) == sorted(ops)
    position = {node_id: i for i, node_id in enumerate(trace.order)}
    assert all(position[e.source] < position[e.target] for e in graph.edges if e.target in ops)
    names = {n.id: n.name for n in graph.nodes}
    assert [names[i] for i in trace.order] == [name for name, _ in fired]
    assert [trace.grad_in[i].norm for i in trace.order] == pytest.approx([norm for _, norm in fired], rel=1e-12)


def test_gradients_along_edges_and_at_the_leaves() -> None:
    """Leaves hold p.grad; each edge carries what its target received (a target read once gets it all)."""
    capture, _, weights = captured_cubic()
    graph, trace = capture.graph, capture.trace
    assert graph is not None and trace is not None
    for name, weight in zip("abcd", weights, strict=True):
        assert weight.grad is not None
        assert trace.leaf_grads[name] == pytest.approx(weight.grad.item(), rel=1e-12)
    tracked_edges = [e for e in graph.edges if e.target in trace.grad_in]
    assert len({e.target for e in tracked_edges}) == len(tracked_edges)  # in the cubic each node is read once
    assert sorted(trace.grad_out) == sorted(e.key for e in tracked_edges)
    for edge in tracked_edges:
        assert trace.grad_out[edge.key] == trace.grad_in[edge.target]
    assert trace.grad_in["n0"].values == (1.0,)  # backward starts from d(loss)/d(loss) = 1


def test_forward_values_and_saved_tensors() -> None:
    """The sum node's forward value is the loss; PowBackward0 saved exponent 2 and the residual y_pred - y."""
    capture, loss, (a, b, c, d) = captured_cubic()
    assert capture.graph is not None
    nodes = {n.name: n for n in capture.graph.nodes}
    assert nodes["SumBackward0"].forward is not None and nodes["SumBackward0"].forward.values == (loss.item(),)
    pow_node = nodes["PowBackward0"]
    assert pow_node.saved["_saved_exponent"].values == (2.0,)
    x = torch.from_numpy(XS)
    with torch.no_grad():
        residual = (a + b * x + c * x**2 + d * x**3 - torch.sin(x)).numpy()
    saved = pow_node.saved["_saved_self"]
    assert saved.shape == (16,) and saved.values == pytest.approx(residual[:4], rel=1e-12)
    assert saved.norm == pytest.approx(np.linalg.norm(residual), rel=1e-12)
    leaf = next(n for n in capture.graph.nodes if n.label == "c")
    assert leaf.forward is not None and leaf.forward.values == (0.3,)


def test_every_hook_is_removed() -> None:
    """After the capture every node's hook tables hold only what others put there, and a later backward through
    the same AccumulateGrad nodes, with no capture, reaches none of the capture's code."""
    capture, loss, weights = captured_cubic()
    nodes = list(torch_nodes(loss))  # the loss keeps its nodes alive

    def probe(*args: Any) -> None:
        return None

    # The probe sees the whole table of its node: two hooks put there show up as two.
    first, second = nodes[0].register_prehook(probe), nodes[0].register_prehook(probe)
    assert len(first.hooks_dict_ref()) == 2
    first.remove()
    second.remove()
    for node in nodes:
        for register in (node.register_prehook, node.register_hook):
            handle = register(probe)
            assert list(handle.hooks_dict_ref().values()) == [probe]
            handle.remove()

    calls: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Recorder, "arrive", lambda *args: calls.append("arrive"))
        patch.setattr(_Recorder, "leave", lambda *args: calls.append("leave"))
        x, y, _ = cubic_tensors()
        again = cubic_loss(x, y, weights)
        accumulators = {n for n in torch_nodes(again) if node_name(n) == "AccumulateGrad"}
        assert accumulators <= set(nodes)  # the same leaf nodes the capture hooked
        again.backward()
    assert calls == []
    assert capture.trace is not None and len(capture.trace.order) == 13


@pytest.mark.parametrize("zero_grad", [True, False])
def test_torch_autograd_engine_step(monkeypatch: pytest.MonkeyPatch, zero_grad: bool) -> None:
    """Through the engine, with its leaves tagged as the lead will tag them: the record's gradients at a..d
    (without zero_grad, the .grad that piled up, which is what the update used)."""

    def tagged(values: Any, config: RunConfig) -> list[torch.Tensor]:
        tensors = leaves(values, config)
        name_leaves(dict(zip("abcd", tensors, strict=True)))
        return tensors

    monkeypatch.setattr(torch_autograd, "leaves", tagged)
    for record, graph, trace in run_engine("torch-autograd", 3, zero_grad=zero_grad):
        assert graph is not None and trace is not None and tracked(graph) == CUBIC_NAMES
        assert [trace.leaf_grads[name] for name in "abcd"] == pytest.approx(record.grads, rel=1e-12)
        assert graph.nodes[0].forward is not None and graph.nodes[0].forward.values == (record.loss,)


def test_custom_function_shows_its_node_and_ctx_saved_tensor() -> None:
    """torch-function's LegendrePolynomial3Backward node, with the z = c + d·x it kept through ctx."""
    problem = make_problem(RunConfig(engine="torch-function", seed=1, points=16))
    for record, graph, _ in run_engine("torch-function", 2):
        assert graph is not None
        node = next(n for n in graph.nodes if n.name == "LegendrePolynomial3Backward")
        _, _, c, d = record.params
        z = c + d * problem.x
        saved = node.saved["saved_tensors[0]"]
        assert saved.shape == (16,) and saved.values == pytest.approx(z[:4], rel=1e-12)
        assert node.forward is not None and node.forward.values == pytest.approx(0.5 * (5 * z[:4] ** 3 - 3 * z[:4]))


def linear_loss() -> tuple[GraphCapture, torch.Tensor]:
    config = RunConfig(engine="torch-nn", seed=1)
    x = torch.from_numpy(XS.copy())
    xx, y = features(x), torch.sin(x)
    model = polynomial_model(config)
    name_leaves({**dict(model.named_parameters()), "x, x², x³": xx, "y": y})
    with GraphCapture() as capture:
        loss = torch.nn.MSELoss(reduction="sum")(model(xx), y)
        loss.backward()
    return capture, loss


def test_torch_nn_graph_is_what_torch_reports_for_linear() -> None:
    """Whatever nodes torch makes for Linear and Flatten, the capture has them; the leaves are 0.weight, 0.bias."""
    capture, loss = linear_loss()
    assert capture.graph is not None
    names, edges, nones = torch_shape(loss)
    assert tracked(capture.graph) == names and len(capture.graph.edges) == edges + nones
    assert {"AddmmBackward0", "TBackward0", "AccumulateGrad"} <= set(names)  # torch 2.13's Linear, as it reports
    assert sorted(n.label for n in capture.graph.nodes if n.kind == "leaf") == ["0.bias", "0.weight"]
    # Linear's inputs reach addmm in another order (bias, x, weight.t()); its one constant is still found.
    features_node = next(n for n in capture.graph.nodes if n.label == "x, x², x³")
    assert features_node.kind == "constant" and features_node.forward is not None
    assert features_node.forward.shape == (16, 3)
    for _, graph, _ in run_engine("torch-nn", 2):  # the engine's own steps build the same graph
        assert graph is not None and tracked(graph) == names


def test_dynamic_net_signature_follows_the_order_drawn() -> None:
    """Steps that drew the same order share a signature; order 3 and order 5 differ (e appears only above x³)."""
    config = RunConfig(engine="dynamic-net", seed=1)
    draws = random.Random(config.initial_seed)
    orders = [draws.randint(4, 6) - 1 for _ in range(16)]  # the model's own draws, in step order
    assert {3, 5} <= set(orders)
    signatures: dict[int, set[str]] = {}
    for order, (_, graph, _) in zip(orders, run_engine("dynamic-net", 16), strict=True):
        assert graph is not None
        signatures.setdefault(order, set()).add(graph.signature)
        assert sum(n.kind == "leaf" for n in graph.nodes) == (4 if order == 3 else 5)
    assert all(len(s) == 1 for s in signatures.values())
    assert signatures[3] != signatures[5]


@pytest.mark.parametrize("name", ["torch-autograd", "torch-function", "torch-nn", "torch-optim", "torch-mlp"])
def test_every_torch_engine_is_captured(name: str) -> None:
    """One graph per step, its leaves and edges gradients filled in, its order covering every tracked node."""
    for _, graph, trace in run_engine(name, 2):
        assert graph is not None and trace is not None
        assert len(trace.order) == sum(n.kind != "constant" for n in graph.nodes)
        assert len(trace.leaf_grads) == sum(n.kind == "leaf" for n in graph.nodes)
