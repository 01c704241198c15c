"""capture_step changes no number of a run, and sees only the thread that asked for it."""

import threading
from typing import Any

import numpy as np
import pytest
import torch
from torch._C import _len_torch_function_stack

from app.engines import ENGINES
from app.engines.base import StepRecord
from app.engines.code import CodeLine, step_code
from app.engines.problem import make_problem
from app.graph.capture import capture_step
from app.graph.model import Graph
from app.graph.torch_capture import GraphCapture, name_leaves
from app.run_config import RunConfig

ENGINE_NAMES = [
    "numpy",
    "torch-tensors",
    "torch-autograd",
    "tiny-autograd",
    "torch-function",
    "torch-nn",
    "torch-optim",
    "dynamic-net",
    "torch-mlp",
]


def records(name: str, captured: set[int], steps: int = 6, **overrides: Any) -> list[StepRecord]:
    """An engine's records, the steps in `captured` taken through capture_step; detail asked as a Run asks."""
    config = RunConfig(engine=name, seed=3, steps=steps, points=16, **overrides)
    stream = ENGINES[name].train(config, make_problem(config), np.linspace(-3, 3, 7))
    out = []
    for t in range(steps):
        send = None if t == 0 else t % 2 == 0
        out.append(capture_step(stream, send)[0] if t in captured else stream.send(send))
    return out


def same(first: StepRecord, second: StepRecord) -> bool:
    curves = (first.curve is None) == (second.curve is None) and (
        first.curve is None or np.array_equal(first.curve, second.curve)
    )
    numbers = (first.step, first.loss, first.params, first.grads, first.updated)
    return curves and numbers == (second.step, second.loss, second.params, second.grads, second.updated)


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_capturing_changes_no_number(name: str) -> None:
    """Records with every step captured, with some captured, and with none are identical, bit for bit."""
    plain = records(name, set())
    for captured in ({0, 1, 2, 3, 4, 5}, {2, 3}):
        assert all(same(a, b) for a, b in zip(plain, records(name, captured), strict=True))


@pytest.mark.parametrize("name", ["torch-optim", "tiny-autograd"])
def test_capturing_changes_no_number_when_gradients_pile_up(name: str) -> None:
    """Without zero_grad the capture reads .grad after accumulation and still changes nothing."""
    plain = records(name, set(), zero_grad=False)
    assert all(same(a, b) for a, b in zip(plain, records(name, {1, 2, 4}, zero_grad=False), strict=True))


def test_engines_without_autograd_have_no_graph() -> None:
    """numpy computes its gradients by hand and torch-tensors never calls backward: nothing to draw."""
    for name in ("numpy", "torch-tensors"):
        config = RunConfig(engine=name, seed=3, steps=2, points=16)
        stream = ENGINES[name].train(config, make_problem(config), np.linspace(-3, 3, 7))
        _, graph, trace = capture_step(stream, None)
        assert graph is None and trace is None


def lecture(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    a, b, c, d = weights
    loss = ((a + b * x + c * x**2 + d * x**3 - torch.sin(x)) ** 2).sum()
    loss.backward()
    return loss


def test_a_capture_sees_only_its_own_thread() -> None:
    """A worker captures while another thread computes and backpropagates: that thread has no mode on its
    stack, and the capture counts exactly the calls it counts alone."""
    x = torch.linspace(-3, 3, 16, dtype=torch.float64)

    def weights() -> list[torch.Tensor]:
        tensors = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in (0.1, -0.2, 0.3, -0.4)]
        name_leaves(dict(zip("abcd", tensors, strict=True)))
        return tensors

    with GraphCapture() as alone:
        lecture(weights(), x)

    capturing, other_done = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def other() -> None:
        capturing.wait(10)
        seen["stack"] = _len_torch_function_stack()
        for _ in range(50):
            lecture(weights(), x)
        other_done.set()

    def worker() -> None:
        with GraphCapture() as capture:
            seen["own stack"] = _len_torch_function_stack()
            capturing.set()
            assert other_done.wait(10)  # the other thread did all its work while this capture was active
            lecture(weights(), x)
        seen["capture"] = capture

    threads = [threading.Thread(target=other), threading.Thread(target=worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert (seen["own stack"], seen["stack"]) == (1, 0)
    capture = seen["capture"]
    assert capture.ops == alone.ops and capture.graph == alone.graph
    assert capture.trace is not None and len(capture.trace.order) == 13


def captured_graph(name: str, **overrides: Any) -> tuple[Graph, list[CodeLine]]:
    """An engine's graph of its second step, drawn by hand where it has no autograd, and its step code."""
    spec = ENGINES[name]
    config = RunConfig(engine=name, seed=3, steps=3, points=16, **overrides)
    problem = spec.make_problem(config)
    stream = spec.train(config, problem, np.linspace(-3, 3, 7))
    stream.send(None)
    record, graph, _ = capture_step(stream, True)
    code = step_code(spec.train)
    if graph is None and spec.hand_graph is not None:
        graph, _ = spec.hand_graph(record, problem, config, code)
    assert graph is not None
    return graph, code


@pytest.mark.parametrize("name", [*ENGINE_NAMES, "lecture-net"])
def test_each_op_names_the_line_of_the_step_that_built_it(name: str) -> None:
    """Every op node names a line of the forward pass or the loss (a hand-drawn engine's sums, of the backward
    pass), and every such line built some node; leaves and constants were made before the loop, by no line."""
    graph, code = captured_graph(name)
    hand = ENGINES[name].hand_graph is not None
    phases = {"forward", "loss", "backward"} if hand else {"forward", "loss"}
    for node in graph.nodes:
        if node.kind == "op":
            assert node.line is not None, node
            assert code[node.line].phase in phases and not code[node.line].text.lstrip().startswith("#"), node
        else:
            assert node.line is None, node
    built = {code[node.line].text for node in graph.nodes if node.line is not None}
    assert any("y_pred = " in text for text in built) or hand
    assert any(text.startswith("loss = ") for text in built)


@pytest.mark.parametrize("name", ["torch-autograd", "tiny-autograd"])
def test_the_lines_split_the_formula_as_the_lecture_writes_it(name: str) -> None:
    """a + b·x + c·x² + d·x³ is built on the forward line, (ŷ − y)² and its sum on the loss line, and the
    mean's division on the line that divides, the same line in both."""
    graph, code = captured_graph(name, reduction="mean")
    text = {node.label: code[node.line].text.strip() for node in graph.nodes if node.line is not None}
    forward = [code[node.line].text for node in graph.nodes if node.label in ("Add", "Mul")]
    assert forward and all(line.startswith("y_pred = a + b * x") for line in forward)
    assert "(y_pred - y).pow(2)" in text["Pow"] and "(y_pred - y)" in text["Sub"]
    assert text["Div"] == "loss = loss / x.numel()" and text["Sum"] == "loss = (y_pred - y).pow(2).sum()"


def test_a_linear_layers_transpose_takes_the_line_of_the_call_that_made_it() -> None:
    """F.linear makes TBackward0 inside torch where no function mode sees it: it is the forward line's too."""
    graph, code = captured_graph("torch-nn")
    lines = {node.name: code[node.line].text for node in graph.nodes if node.line is not None}
    assert lines["TBackward0"] == lines["AddmmBackward0"] == "y_pred = model(xx)"


def test_a_frozen_weight_is_not_in_the_graph() -> None:
    """c made with requires_grad=False: autograd records nothing of c * x**2, so no node or leaf of c is drawn;
    the other three weights' leaves are."""
    config = RunConfig(engine="torch-autograd", steps=2, points=12, seed=1, frozen=["c"])
    stream = ENGINES["torch-autograd"].train(config, make_problem(config), np.linspace(-1, 1, 3))
    _, graph, trace = capture_step(stream, None)
    assert graph is not None and trace is not None
    leaves = {node.label for node in graph.nodes if node.kind == "leaf"}
    assert leaves == {"a", "b", "d"}
    assert "c" not in trace.leaf_grads and set(trace.leaf_grads) == {"a", "b", "d"}
    whole = ENGINES["torch-autograd"].train(config.model_copy(update={"frozen": []}), make_problem(config), np.zeros(1))
    _, unfrozen, _ = capture_step(whole, None)
    assert unfrozen is not None and len(unfrozen.nodes) > len(graph.nodes)
