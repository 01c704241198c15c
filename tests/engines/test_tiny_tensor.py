"""The numpy Tensor: every operator's gradient against torch autograd, accumulation, and the graph against torch's."""

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from app.engines.tiny_tensor import Tensor, graph
from app.graph.tiny_capture import torch_name
from app.graph.torch_nodes import node_name, saved_values

# The same expression runs on both kinds of tensor: that is the point of overloaded operators.
Fn = Callable[..., Any]
RTOL = 1e-10


def random(shape: tuple[int, ...], seed: int, positive: bool = False) -> np.ndarray:
    """Values of size 0.5 to 2 (signs mixed unless `positive`), so division and fractional powers stay tame."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.5, 2.0, shape)
    return np.asarray(values if positive else values * rng.choice([-1.0, 1.0], shape))


def both(arrays: list[np.ndarray]) -> tuple[list[Tensor], list[torch.Tensor]]:
    """Each array as our Tensor and as a torch tensor, both requiring a gradient."""
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


def assert_same_gradients(fn: Fn, arrays: list[np.ndarray]) -> None:
    """fn's value, and the gradient of every input for a random upstream gradient, agree with torch's."""
    ours, theirs = both(arrays)
    out, expected = fn(*ours), fn(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL)
    upstream = random(out.shape, seed=99)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.grad is not None and reference.grad is not None
        assert mine.grad.shape == mine.data.shape
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=RTOL)


BINARY: dict[str, Fn] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
# A 0-d weight against a vector (the cubic's case) both ways round, equal shapes, and stretched size-1 axes.
SHAPES = [((), (7,)), ((7,), ()), ((7,), (7,)), ((3, 1), (4,)), ((2, 3, 4), (3, 1)), ((), ())]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("op", BINARY)
def test_binary_operator_gradients_match_torch(op: str, shapes: tuple[tuple[int, ...], ...]) -> None:
    """+, -, *, / give torch's gradients, summed back over broadcast axes to each input's shape."""
    assert_same_gradients(BINARY[op], [random(s, seed=i) for i, s in enumerate(shapes)])


UNARY: dict[str, Fn] = {
    "neg": lambda a: -a,
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "pow method": lambda a: a.pow(3),
    "pow zero": lambda a: a**0,
    "sum": lambda a: a.sum(),
    "mean": lambda a: a.mean(),
    "2 * a": lambda a: 2 * a,
    "a * 2": lambda a: a * 2,
    "3 + a": lambda a: 3 + a,
    "a + 3": lambda a: a + 3.0,
    "1 - a": lambda a: 1 - a,
    "a - 1": lambda a: a - 1,
    "2 / a": lambda a: 2 / a,
    "a / 2": lambda a: a / 2,
    "a * a": lambda a: a * a,
    "a + a": lambda a: a + a,
    "chain": lambda a: ((1 - a) * a**2 + 2 * a).pow(2).mean(),
    "reused intermediate": lambda a: (lambda t: t * t + t - t.sum())(a * 3.0),
}


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=str)
@pytest.mark.parametrize("op", UNARY)
def test_unary_and_reflected_gradients_match_torch(op: str, shape: tuple[int, ...]) -> None:
    """Unary ops, reductions, ops with a Python number on either side, and a tensor used twice, as torch."""
    assert_same_gradients(UNARY[op], [random(shape, seed=3)])


@pytest.mark.parametrize("exponent", [-1.5, -1, 0.5, 1.5, 2.5])
def test_negative_and_fractional_powers_match_torch(exponent: float) -> None:
    """a ** k for negative and fractional k, on positive data where the power is real."""
    assert_same_gradients(lambda a: a**exponent, [random((6,), seed=4, positive=True)])


def test_zero_power_has_zero_gradient_even_at_zero() -> None:
    """a ** 0 is constant, so its gradient is 0 (torch's rule), not 0 · a^-1 = nan where a = 0."""
    assert_same_gradients(lambda a: a**0, [np.array([0.0, 1.5, -2.0])])


@pytest.mark.parametrize("shape", [(), (6,)], ids=str)
def test_two_inputs_used_twice(shape: tuple[int, ...]) -> None:
    """Gradients from every use of a tensor add up within one backward, with a weight broadcast over a vector."""
    assert_same_gradients(lambda a, x: a * x + a * a - (a - x) ** 2, [random((), seed=5), random(shape, seed=6)])


def test_scalar_backward_starts_from_one() -> None:
    """backward() with no argument on a scalar seeds it with 1, as loss.backward() does in torch."""
    a = Tensor(1.5, requires_grad=True)
    loss = a * a
    loss.backward()
    assert loss.grad == 1.0 and a.grad == pytest.approx(3.0)


def test_backward_accumulates_across_calls_until_zero_grad() -> None:
    """Without zero_grad a second backward adds its gradient to the first, as torch's does; zero_grad forgets."""
    x_values = random((8,), seed=7)
    (a,), (ta,) = both([np.array(0.7)])
    x, tx = Tensor(x_values), torch.from_numpy(x_values)
    first = [(w * v).sum() for w, v in ((a, x), (ta, tx))]
    second = [(w**2 * v - w).sum() for w, v in ((a, x), (ta, tx))]
    for loss in first:
        loss.backward()
    assert a.grad is not None and ta.grad is not None
    alone = a.grad.copy()
    np.testing.assert_allclose(alone, ta.grad.numpy(), rtol=RTOL)
    for loss in second:
        loss.backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=RTOL)

    # The accumulated gradient is the first plus the second computed on its own.
    a.zero_grad()
    assert a.grad is None
    (a**2 * x - a).sum().backward()
    assert a.grad is not None
    np.testing.assert_allclose(alone + a.grad, ta.grad.numpy(), rtol=RTOL)


def test_backward_twice_through_one_graph_doubles_exactly() -> None:
    """Intermediate gradients flow through backward's own bookkeeping, so a repeat is not fed the first's sums."""
    (a, b), (ta, tb) = both([random((), seed=8), random((5,), seed=9)])
    loss, expected = (((a * b) ** 2).sum(), ((ta * tb) ** 2).sum())
    loss.backward()
    loss.backward()
    expected.backward(retain_graph=True)
    expected.backward()
    for mine, reference in ((a, ta), (b, tb)):
        assert mine.grad is not None and reference.grad is not None
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=RTOL)


def test_intermediate_tensors_keep_their_gradient_like_retain_grad() -> None:
    """The lecture's "store f.grad = dL/df": an op's output holds its gradient, as torch's retain_grad() gives."""
    (a,), (ta,) = both([random((), seed=10)])
    x = random((5,), seed=11)
    f, tf = a * Tensor(x), ta * torch.from_numpy(x)
    tf.retain_grad()
    (f**2).sum().backward()
    (tf**2).sum().backward()
    assert f.grad is not None and tf.grad is not None
    np.testing.assert_allclose(f.grad, tf.grad.numpy(), rtol=RTOL)


def test_operations_cache_their_inputs_and_name() -> None:
    """b * x records op "mul" and saved_tensors (b, x); x ** 2 of a constant is itself a constant."""
    b = Tensor(2.0, requires_grad=True, name="b")
    x = Tensor(np.arange(3.0), name="x")
    product = b * x
    assert product.op == "mul" and product.saved_tensors == (b, x) and product.requires_grad
    assert (x**2).op == "pow" and not (x**2).requires_grad
    assert b.name == "b" and b.grad is None and b.saved_tensors == ()


def test_float32_stays_float32() -> None:
    """float32 data keeps its dtype through ops with Python numbers, and its gradient is float32 too."""
    a = Tensor(np.float32(1.25), requires_grad=True)
    x = Tensor(np.linspace(-1, 1, 4, dtype=np.float32))
    loss = ((2 * a * x - 1.0) ** 2).mean()
    assert loss.data.dtype == np.float32
    loss.backward()
    assert a.grad is not None and a.grad.dtype == np.float32
    assert Tensor([1, 2]).data.dtype == np.float64


def test_backward_refuses_what_torch_refuses() -> None:
    """No implicit gradient for a non-scalar; no backward from a tensor that needs no gradient."""
    a = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (a * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(3)).sum().backward()


def test_a_long_chain_does_not_hit_the_recursion_limit() -> None:
    """The topological sort is iterative: 5000 chained additions backpropagate."""
    a = Tensor(0.0, requires_grad=True)
    total = a
    for _ in range(5000):
        total = total + a
    total.backward()
    assert a.grad == 5001.0


def lecture_loss(tensor: Callable[..., Any], reduction: str = "sum") -> Any:
    """The lecture's loss on 50 points, built from `tensor(value, name, requires_grad)` of either library."""
    xs = np.linspace(-np.pi, np.pi, 50)
    x, y = tensor(xs, "x", False), tensor(np.sin(xs), "y", False)
    a, b, c, d = (tensor(w, n, True) for w, n in zip([0.1, -0.2, 0.3, -0.4], "abcd", strict=True))
    y_pred = a + b * x + c * x**2 + d * x**3
    squared = (y_pred - y).pow(2)
    return squared.sum() if reduction == "sum" else squared.mean()


def ours(value: Any, name: str, requires_grad: bool) -> Tensor:
    return Tensor(value, requires_grad=requires_grad, name=name)


def theirs(value: Any, name: str, requires_grad: bool) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64, requires_grad=requires_grad)


def torch_graph(loss: torch.Tensor) -> tuple[Counter[str], int]:
    """torch's node names and edge count: loss.grad_fn → next_functions with a seen-set, None entries skipped."""
    names: Counter[str] = Counter()
    edges = 0
    seen: set[Any] = set()
    assert loss.grad_fn is not None
    stack = [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        names[node.name().rsplit("::", 1)[-1]] += 1  # torch::autograd::AccumulateGrad → AccumulateGrad
        for parent, _ in node.next_functions:
            if parent is not None:
                edges += 1
                stack.append(parent)
    return names, edges


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_cubic_graph_has_torchs_shape(reduction: str) -> None:
    """Same multiset of node names and same edge count as torch's graph; constants (x, y, x², x³) have no node."""
    nodes, edges = graph(lecture_loss(ours, reduction))
    expected_names, expected_edges = torch_graph(lecture_loss(theirs, reduction))
    tracked = [n for n in nodes if n.kind != "constant"]
    assert Counter(n.torch_name for n in tracked) == expected_names
    assert sum(1 for source, _ in edges if nodes[source].kind != "constant") == expected_edges
    # Spelled out, so the comparison above is not vacuous: one pow, x ** 2 and x ** 3 being torch-less inputs.
    reduce_name = "SumBackward0" if reduction == "sum" else "MeanBackward0"
    assert expected_names == Counter(
        {
            "AccumulateGrad": 4,
            "MulBackward0": 3,
            "AddBackward0": 3,
            reduce_name: 1,
            "PowBackward0": 1,
            "SubBackward0": 1,
        }
    )
    assert expected_edges == 12
    assert sorted(n.name for n in nodes if n.kind == "leaf") == ["a", "b", "c", "d"]


def test_graph_ids_are_topological_and_stable() -> None:
    """Ids run 0..n-1 with every edge from a lower id to a higher one; rebuilding the loss gives the same graph."""
    nodes, edges = graph(lecture_loss(ours))
    assert [n.id for n in nodes] == list(range(len(nodes)))
    assert all(source < target for source, target in edges)
    assert nodes[-1].op == "sum" and nodes[-1].shape == ()
    assert graph(lecture_loss(ours)) == (nodes, edges)
    constants = [n for n in nodes if n.kind == "constant"]
    assert sorted((n.name, n.op) for n in constants) == [("", "pow"), ("", "pow"), ("x", ""), ("y", "")]
    assert all(n.torch_name is None and n.shape == (50,) for n in constants)


def test_a_constant_made_of_constants_is_one_node() -> None:
    """What needs no gradient is not expanded, however it was computed: b · (2x + 1) has b, one constant, mul, sum."""
    b = Tensor(0.5, requires_grad=True, name="b")
    nodes, edges = graph((b * (2 * Tensor(np.arange(4.0), name="x") + 1)).sum())
    expected = [("leaf", "", "b"), ("constant", "add", ""), ("op", "mul", ""), ("op", "sum", "")]
    assert [(n.kind, n.op, n.name) for n in nodes] == expected
    assert edges == [(0, 2), (1, 2), (2, 3)]


EXPRESSIONS: dict[str, Fn] = {
    **BINARY,
    "pow": lambda a, b: (a * b) ** 3,
    "neg": lambda a, b: -(a * b),
    "sum": lambda a, b: (a * b).sum(),
    "mean": lambda a, b: (a * b).mean(),
}


@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)], ids=["both", "first", "second"])
@pytest.mark.parametrize("op", EXPRESSIONS)
def test_each_op_keeps_for_backward_what_torchs_node_keeps(op: str, needs: tuple[bool, bool]) -> None:
    """For every op, whichever inputs need a gradient, the output's node is torch's, and its `saved` holds what
    torch's node saved (its `_saved_*` values, sizes aside), under the same names and with the same numbers."""

    arrays = [random((5,), seed=1, positive=True), random((5,), seed=2, positive=True)]
    ours = [Tensor(a.copy(), requires_grad=need) for a, need in zip(arrays, needs, strict=True)]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=need) for a, need in zip(arrays, needs, strict=True)]
    out, expected = EXPRESSIONS[op](*ours), EXPRESSIONS[op](*theirs)
    assert expected.grad_fn is not None
    assert torch_name(out) == node_name(expected.grad_fn)
    reference = saved_values(expected.grad_fn)
    assert sorted(f"_saved_{key}" for key in out.saved) == sorted(reference)
    for key, value in out.saved.items():
        data = value.data if isinstance(value, Tensor) else np.asarray(value)
        np.testing.assert_allclose(data, reference[f"_saved_{key}"].values, rtol=RTOL)
