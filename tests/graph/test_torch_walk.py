"""Reading a torch graph: the walk from the loss's node against torch's own next_functions, and what the
forward's notes add to it (the node each output came from, the labels of constants)."""

from collections import deque

import numpy as np
import pytest
import torch

from app.engines import ENGINES
from app.engines.problem import make_problem
from app.graph.capture import capture_step
from app.graph.torch_nodes import Node, node_name
from app.graph.torch_walk import ForwardNotes, name_leaves, walk_graph
from app.run_config import RunConfig


def torch_order(root: Node) -> list[str]:
    """torch's nodes breadth first from `root`, each once: the order the walk gives its ids."""
    seen, order, queue = {root}, [], deque([root])
    while queue:
        node = queue.popleft()
        order.append(node_name(node))
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    return order


def small_loss() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """((a * x² + b) − y)².sum(), with a and b tagged as parameters and x, y as data."""
    a, b = torch.tensor(0.5, requires_grad=True), torch.tensor(-1.0, requires_grad=True)
    x, y = torch.linspace(-1, 1, 5), torch.linspace(0, 1, 5)
    name_leaves({"a": a, "b": b, "x": x, "y": y})
    squared = x**2
    return ((a * squared + b - y) ** 2).sum(), a, x, squared


def test_the_walk_is_torchs_graph_with_a_node_per_constant() -> None:
    """Without notes: torch's nodes in breadth-first order, parameters named, every None input a constant."""
    loss, *_ = small_loss()
    graph, tracked = walk_graph(loss.grad_fn, ForwardNotes())
    ops = [n for n in graph.nodes if n.kind != "constant"]
    assert [n.name for n in ops] == torch_order(loss.grad_fn)
    assert graph.nodes[0].id == "n0" and graph.nodes[0].name == "SumBackward0"
    assert {n.label for n in graph.nodes if n.kind == "leaf"} == {"a", "b"}
    nones = sum(child is None for node, _, _ in tracked for child, _ in node.next_functions)
    assert sum(n.kind == "constant" for n in graph.nodes) == nones == 2  # x² into Mul, y into Sub
    assert {n.label for n in graph.nodes if n.kind == "constant"} == {"constant"}  # unnamed: nothing noted
    # Each tracked node's keys follow its next_functions: None exactly where torch has no node.
    for node, node_id, keys in tracked:
        assert len(keys) == len(node.next_functions)
        for index, ((child, _), key) in enumerate(zip(node.next_functions, keys, strict=True)):
            assert (key is None) == (child is None)
            assert key is None or (key.startswith(f"{node_id}>") and key.endswith(f":{index}"))


def test_notes_name_the_constants_and_give_forward_values() -> None:
    """Noted calls: x² is labelled from the tagged x, and an op's node carries its output's summary."""
    _, a, x, squared = small_loss()
    notes = ForwardNotes()
    notes.note(torch.pow, (x, 2), squared)  # x needs no gradient: no node, but a label for what it makes
    made = a * squared
    notes.note(torch.mul, (a, squared), made)
    assert notes.label(squared) == "x²" and notes.label(x) == "x" and notes.label(2) == "2"
    graph, _ = walk_graph(made.grad_fn, notes)
    constants = [n for n in graph.nodes if n.kind == "constant"]
    assert [n.label for n in constants] == ["x²"]
    assert constants[0].forward is not None and constants[0].forward.shape == (5,)
    root = graph.nodes[0]
    assert root.name == "MulBackward0" and root.forward is not None and root.forward.shape == (5,)


def test_a_summary_is_made_once_per_tensor_version_and_cleared() -> None:
    """The same unchanged tensor is summarized once; changed in place, again; clear() lets everything go."""
    notes = ForwardNotes()
    value = torch.ones(3)
    first = notes.summarize(value)
    assert notes.summarize(value) is first
    value.add_(1)
    again = notes.summarize(value)
    assert again is not first and again.values[0] == 2.0
    made = value * torch.ones(3, requires_grad=True)
    notes.note(torch.mul, (value, made), made)
    assert notes.made(made.grad_fn) is not None
    notes.clear()
    assert notes.made(made.grad_fn) is None and notes.summarize(value) is not again


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_an_mse_loss_node_says_its_reduction(reduction: str) -> None:
    """torch-nn's loss node reads "MSE loss (sum)" under the tutorial's sum and "MSE loss (mean)" under the mean:
    the two are different numbers, and the graph must not call both the mean squared error."""
    config = RunConfig.model_validate({"engine": "torch-nn", "steps": 2, "points": 20, "reduction": reduction})
    stream = ENGINES["torch-nn"].train(config, make_problem(config), np.linspace(-1.0, 1.0, 5))
    _, graph, _ = capture_step(stream, None)
    assert graph is not None
    losses = [node for node in graph.nodes if node.name == "MseLossBackward0"]
    assert [node.label for node in losses] == [f"MSE loss ({reduction})"]
