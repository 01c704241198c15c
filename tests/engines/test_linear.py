"""The linear engines: gradient descent on the features [1, x, ..., x^degree] reaches least squares, in numpy and
in torch alike, and with degree 3 walks the cubic engines' own path."""

import numpy as np
import pytest
import torch

from app.engines import ENGINES
from app.engines.base import StepRecord
from app.engines.linear import features
from app.engines.problem import make_problem
from app.graph.linear_graph import linear_graph
from app.run_config import RunConfig

CURVE_X = np.linspace(-3.0, 3.0, 7)
LINEAR_ENGINES = ["linear", "linear-torch"]


def run(**fields: object) -> list[StepRecord]:
    """Every record of a run of this config."""
    config = RunConfig.model_validate(fields)
    return list(ENGINES[config.engine].train(config, make_problem(config), CURVE_X))


def test_the_features_are_the_powers_of_x_from_one() -> None:
    """X has a row per point: [1, x, x², ...] up to the degree."""
    x = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(features(x, 1), [[1, -2], [1, 0.5], [1, 3]])
    np.testing.assert_array_equal(features(x, 3)[:, 3], x**3)


def test_a_line_is_the_default_and_each_degree_adds_a_weight() -> None:
    """Left out, the degree is 1: y = b + w1 x; each degree names one more weight, as the slides do."""
    assert RunConfig(engine="linear").degree == 1
    assert RunConfig(engine="numpy").degree == 3  # every other engine fits the cubic
    for degree, names in ((1, ("b", "w1")), (2, ("b", "w1", "w2")), (3, ("b", "w1", "w2", "w3"))):
        config = RunConfig(engine="linear", degree=degree)
        assert ENGINES["linear"].names(config) == names
        assert len(run(engine="linear", degree=degree, steps=1)[0].params) == len(names)


@pytest.mark.parametrize("engine", LINEAR_ENGINES)
@pytest.mark.parametrize("degree", [1, 2, 3])
def test_descent_ends_at_least_squares(engine: str, degree: int) -> None:
    """With the mean and a rate the features allow, the weights end where numpy's least-squares solver puts them
    (the oracle), on noisy data too; the loss ends at the least-squares loss."""
    data = {"engine": engine, "degree": degree, "seed": 3, "noise": 0.2, "points": 200, "x_min": -1.5, "x_max": 1.5}
    problem = make_problem(RunConfig.model_validate(data))
    X = features(problem.x, degree)
    # The mean's Hessian is 2XᵀX/n: a rate of one over its largest eigenvalue, and enough steps for its smallest.
    curvature = np.linalg.eigvalsh(2 * X.T @ X / len(X))
    steps = int(25 * curvature[-1] / curvature[0])
    records = run(**data, reduction="mean", learning_rate=1 / curvature[-1], steps=steps)
    solution, *_ = np.linalg.lstsq(X, problem.y, rcond=None)
    np.testing.assert_allclose(records[-1].updated, solution, atol=1e-6)
    least = float(np.mean((X @ solution - problem.y) ** 2))
    assert records[-1].loss == pytest.approx(least, rel=1e-6)
    assert records[0].loss > 2 * least


@pytest.mark.parametrize(("linear", "cubic"), [("linear", "numpy"), ("linear-torch", "torch-autograd")])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_degree_three_is_the_lectures_cubic(linear: str, cubic: str, reduction: str) -> None:
    """With the features [1, x, x², x³], X @ w is a + b x + c x² + d x³: the same seed walks the same path."""
    ours = run(engine=linear, degree=3, seed=7, steps=200, reduction=reduction)
    theirs = run(engine=cubic, seed=7, steps=200, reduction=reduction)
    np.testing.assert_allclose([r.params for r in ours], [r.params for r in theirs], rtol=1e-9)
    np.testing.assert_allclose([r.grads for r in ours], [r.grads for r in theirs], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose([r.loss for r in ours], [r.loss for r in theirs], rtol=1e-9)


def test_numpy_and_torch_take_the_same_steps() -> None:
    """The gradient derived by hand, 2 Xᵀε, is autograd's: the two engines agree step for step."""
    for degree in (1, 2):
        by_hand = run(engine="linear", degree=degree, seed=2, steps=100)
        by_autograd = run(engine="linear-torch", degree=degree, seed=2, steps=100)
        np.testing.assert_allclose([r.updated for r in by_hand], [r.updated for r in by_autograd], rtol=1e-10)


def test_the_torch_linear_update_without_no_grad_is_refused_by_pytorch() -> None:
    """linear-torch too can leave torch.no_grad() out, and PyTorch refuses its in-place update of w."""
    config = RunConfig(engine="linear-torch", steps=2, no_grad=False)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        next(ENGINES["linear-torch"].train(config, make_problem(config), CURVE_X))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_the_drawn_equations_carry_autograds_numbers(reduction: str) -> None:
    """The hand-drawn graph's ε, dL/dε and ∇L equal what torch autograd gives for the same loss (the oracle)."""
    config = RunConfig(engine="linear", degree=2, seed=4, steps=3, reduction=reduction, points=50)
    problem = make_problem(config)
    record = run(engine="linear", degree=2, seed=4, steps=3, reduction=reduction, points=50)[1]
    graph, trace = linear_graph(record, problem, config)
    w = torch.tensor(record.params, dtype=torch.float64, requires_grad=True)
    X = torch.from_numpy(features(problem.x, 2))
    epsilon = X @ w - torch.from_numpy(problem.y)
    epsilon.retain_grad()
    loss = epsilon.pow(2).sum() if reduction == "sum" else epsilon.pow(2).mean()
    loss.backward()
    by_id = {node.id: node for node in graph.nodes}
    assert by_id["n0"].label == ("L = Σ εᵢ²" if reduction == "sum" else "L = (1/n) Σ εᵢ²")
    assert by_id["n4"].label == "X = [1, x, x²]"
    assert by_id["n0"].forward is not None and by_id["n0"].forward.values == pytest.approx([loss.item()])
    assert by_id["n1"].forward is not None and by_id["n1"].forward.norm == pytest.approx(epsilon.norm().item())
    assert epsilon.grad is not None and w.grad is not None
    assert trace.grad_in["n1"].norm == pytest.approx(epsilon.grad.norm().item())
    gradient = trace.leaf_grads["w"]
    assert not isinstance(gradient, float)
    assert gradient.values == pytest.approx(w.grad.tolist())
    assert gradient.values == pytest.approx(record.grads)
