"""The tiny-autograd engine: the numpy engine's trajectory, and accumulated gradients when zero_grad is off."""

import numpy as np
import pytest
import torch

from app.engines import numpy_cubic, tiny_autograd
from app.engines.base import StepRecord, TrainFn
from app.engines.problem import cubic, make_problem
from app.run_config import RunConfig

CURVE_X = np.linspace(-3.0, 3.0, 5)


def config(**overrides: object) -> RunConfig:
    """A RunConfig for any engine's train(); "numpy" only because the engine list does not name this one yet."""
    return RunConfig.model_validate({"engine": "numpy", **overrides})


def records(train: TrainFn, run_config: RunConfig) -> list[StepRecord]:
    """Every record of one engine's run of the config, without the problem's curve points mattering."""
    return list(train(run_config, make_problem(run_config), CURVE_X))


def torch_gradient(params: tuple[float, ...], run_config: RunConfig) -> np.ndarray:
    """The true gradient of the loss at `params`, by torch autograd in float64 (the oracle)."""
    x = torch.linspace(run_config.x_min, run_config.x_max, run_config.points, dtype=torch.float64)
    weights = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    a, b, c, d = weights
    squared = (a + b * x + c * x**2 + d * x**3 - torch.sin(x)) ** 2
    (squared.sum() if run_config.reduction == "sum" else squared.mean()).backward()
    return np.array([float(w.grad) for w in weights])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "rel"),
    [
        ({"seed": 0}, 1e-9),
        ({"seed": 1, "steps": 300, "reduction": "mean"}, 1e-9),
        ({"seed": 2, "dtype": "float32"}, 1e-5),
    ],
    ids=["lecture", "mean", "float32"],
)
def test_trajectory_equals_the_numpy_engine(overrides: dict[str, object], rel: float) -> None:
    """Step for step the same loss, weights and gradients as the hand-derived numpy engine (2000 steps by default)."""
    run_config = config(**overrides)
    ours, reference = records(tiny_autograd.train, run_config), records(numpy_cubic.train, run_config)
    assert len(ours) == run_config.steps
    for mine, expected in zip(ours, reference, strict=True):
        assert mine.step == expected.step
        assert mine.loss == pytest.approx(expected.loss, rel=rel), f"loss at step {mine.step}"
        assert mine.params == pytest.approx(expected.params, rel=rel), f"params at step {mine.step}"
        assert mine.grads == pytest.approx(expected.grads, rel=rel), f"grads at step {mine.step}"
        assert mine.updated == pytest.approx(expected.updated, rel=rel), f"updated at step {mine.step}"


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("zero_grad", [True, False])
def test_recorded_gradient_is_true_or_accumulated(zero_grad: bool, reduction: str) -> None:
    """With zero_grad off, step t's gradient is the sum of the true gradients at steps 0..t (the lecture's warning)."""
    run_config = config(seed=3, steps=30, points=60, reduction=reduction).model_copy(update={"zero_grad": zero_grad})
    run = records(tiny_autograd.train, run_config)
    true = np.array([torch_gradient(r.params, run_config) for r in run])
    expected = np.cumsum(true, axis=0) if not zero_grad else true
    for record, gradient in zip(run, expected, strict=True):
        np.testing.assert_allclose(record.grads, gradient, rtol=1e-9)
        # And that gradient, accumulated or not, is the one the update used (params - updated cancels digits).
        np.testing.assert_allclose(np.subtract(record.params, record.updated), run_config.lr * gradient, rtol=1e-6)
    # Not vacuous: the accumulated gradients have drifted far from the true ones.
    assert zero_grad or not np.allclose(expected[-1], true[-1], rtol=0.1)


def test_prediction_curve_only_when_asked() -> None:
    """The first record carries the curve; after that, only when the consumer sends True."""
    run_config = config(seed=0, steps=3, points=20)
    stream = tiny_autograd.train(run_config, make_problem(run_config), CURVE_X)
    first = next(stream)
    quiet = stream.send(False)
    asked = stream.send(True)
    assert first.curve is not None and quiet.curve is None and asked.curve is not None
    np.testing.assert_allclose(asked.curve, cubic(asked.updated, CURVE_X), rtol=1e-12)
    assert quiet.updated == asked.params


def test_engine_spec() -> None:
    """Named tiny-autograd, with the cubic's parameters and the same seeded start as the numpy engine."""
    spec = tiny_autograd.ENGINE
    run_config = config(seed=11)
    assert spec.name == "tiny-autograd" and spec.param_names == ("a", "b", "c", "d")
    assert spec.initial_params(run_config) == numpy_cubic.ENGINE.initial_params(run_config)
    assert spec.train is tiny_autograd.train and spec.predict is cubic
