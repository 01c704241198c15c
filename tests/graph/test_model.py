"""Summaries stay small and finite; the signature follows the graph's shape."""

import json
from dataclasses import asdict

import numpy as np
import orjson
import pytest

from app.graph.model import (
    BackwardTrace,
    GraphEdge,
    GraphNode,
    TensorSummary,
    graph_shape,
    graph_values,
    leaf_grad,
    make_graph,
    op_label,
    power_label,
)


def test_a_small_tensor_is_sent_whole_and_a_large_one_as_its_head() -> None:
    """Up to 8 values go as they are; beyond that the first 4, with the statistics of all of them."""
    small = TensorSummary.of(np.arange(8.0).reshape(2, 4))
    assert small.values == tuple(range(8)) and small.shape == (2, 4) and small.dtype == "float64"
    large = TensorSummary.of(np.arange(2000, dtype=np.float32))
    assert large.values == (0.0, 1.0, 2.0, 3.0) and large.shape == (2000,) and large.dtype == "float32"
    assert (large.min, large.max, large.mean) == (0.0, 1999.0, 999.5)
    assert large.norm is not None and np.isclose(large.norm, np.linalg.norm(np.arange(2000.0)))
    assert TensorSummary.of(2).values == (2.0,) and TensorSummary.of(2).shape == ()


def test_non_finite_values_become_null_and_are_counted() -> None:
    """NaN and ±inf read as None in `values`, are left out of the statistics, and `nonfinite` counts them."""
    summary = TensorSummary.of(np.array([1.0, np.nan, -np.inf, 3.0]))
    assert summary.values == (1.0, None, None, 3.0) and summary.nonfinite == 2
    assert (summary.min, summary.max, summary.mean) == (1.0, 3.0, 2.0)
    nothing = TensorSummary.of(np.array([np.nan, np.inf]))
    assert (nothing.norm, nothing.mean, nothing.min, nothing.max, nothing.nonfinite) == (None, None, None, None, 2)
    overflow = TensorSummary.of(np.array([1e300, 1e300]))
    assert overflow.norm is None and overflow.max == 1e300
    # Strict JSON (no NaN tokens allowed) accepts every one of them.
    json.dumps([asdict(s) for s in (summary, nothing, overflow)], allow_nan=False)


def test_a_leaf_gradient_is_a_number_when_it_is_one() -> None:
    """A scalar leaf's .grad reads as a float; a weight matrix's, or a NaN, stays a summary."""
    assert leaf_grad(TensorSummary.of(np.float64(-2.5))) == -2.5
    matrix = TensorSummary.of(np.ones((1, 3)))
    assert leaf_grad(matrix) is matrix
    assert isinstance(leaf_grad(TensorSummary.of(np.float64("nan"))), TensorSummary)


def test_labels_read_as_the_formula() -> None:
    """x², x³ and x^0.5 for powers; op nodes lose torch's Backward suffix."""
    assert (power_label("x", 2), power_label("x", 3.0), power_label("x", 0.5), power_label("x", -1)) == (
        "x²",
        "x³",
        "x^0.5",
        "x⁻¹",
    )
    assert (op_label("PowBackward0"), op_label("LegendrePolynomial3Backward")) == ("Pow", "LegendrePolynomial3")


def test_the_signature_changes_with_the_shape_only() -> None:
    """Same nodes and edges give the same signature whatever the values; one more edge changes it."""

    def graph(value: float, extra: bool) -> str:
        nodes = [
            GraphNode("n0", "SumBackward0", "op", "Sum", {}, TensorSummary.of(value)),
            GraphNode("n1", "AccumulateGrad", "leaf", "a", {}, None),
        ]
        edges = [GraphEdge("n0", "n1", 0)] + ([GraphEdge("n0", "n1", 1)] if extra else [])
        return make_graph(nodes, edges).signature

    assert graph(1.0, False) == graph(2.0, False) != graph(1.0, True)
    assert GraphEdge("n3", "n10", 1).key == "n3>n10:1"


def test_the_wire_splits_shape_from_values() -> None:
    """The shape carries no numbers but the line of the step that built each node; the values carry every node's
    forward summary by id; both are strict JSON."""
    nodes = [
        GraphNode("n0", "SumBackward0", "op", "Sum", {"_saved_self": TensorSummary.of(np.ones(3))}, None, 4),
        GraphNode("n1", "AccumulateGrad", "leaf", "a", {}, TensorSummary.of(np.float64("nan"))),
    ]
    graph = make_graph(nodes, [GraphEdge("n0", "n1", 0)])
    shape = graph_shape(graph)
    assert shape["nodes"][0] == {"id": "n0", "name": "SumBackward0", "kind": "op", "label": "Sum", "line": 4}
    assert shape["nodes"][1] == {"id": "n1", "name": "AccumulateGrad", "kind": "leaf", "label": "a", "line": None}
    assert shape["edges"] == [["n0", "n1", 0]] and shape["signature"] == graph.signature
    trace = BackwardTrace(("n0", "n1"), {"n1": TensorSummary.of(2.0)}, {"n0>n1:0": TensorSummary.of(2.0)}, {"a": 2.0})
    values = graph_values(graph, trace)
    assert set(values["forward"]) == {"n1"} and set(values["saved"]) == {"n0"} and values["order"] == ("n0", "n1")
    text = orjson.dumps(values).decode()
    json.loads(text, parse_constant=lambda token: pytest.fail(f"{token} in JSON"))
    assert json.loads(text)["forward"]["n1"]["values"] == [None]
    assert TensorSummary.of(2).dtype == "int" and TensorSummary.of(np.float32(2)).dtype == "float32"
