"""History: columns of every step, each loss computed with its own row's weights, and a small footprint."""

import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest
import torch

from app.engines.base import StepRecord
from app.run_config import RunConfig
from app.runs.history import History
from app.runs.run import Run

MakeConfig = Callable[..., RunConfig]
MakeRun = Callable[..., Run]
NAMES = ("a", "b", "c", "d")
TEN_MB = 10 * 1024 * 1024


def record(t: int) -> StepRecord:
    """A made-up step whose values encode its index, to see where each lands."""
    return StepRecord(
        step=t,
        loss=float(t),
        params=(t + 0.1, t + 0.2, t + 0.3, t + 0.4),
        grads=(-t - 0.1, -t - 0.2, -t - 0.3, -t - 0.4),
        updated=(0.0, 0.0, 0.0, 0.0),
    )


def test_columns_have_one_entry_per_step_and_per_weight() -> None:
    """columns() is step, loss, and one list per weight and gradient, each as long as the steps recorded."""
    history = History(capacity=10, param_names=NAMES)
    for t in range(3):
        history.append(record(t))
    columns = history.columns()
    assert set(columns) == {"step", "loss", "params", "grads"}
    assert columns["step"] == [0, 1, 2]
    assert columns["loss"] == [0.0, 1.0, 2.0]
    rows = [record(t) for t in range(3)]
    assert columns["params"] == {name: [row.params[i] for row in rows] for i, name in enumerate(NAMES)}
    assert columns["grads"] == {name: [row.grads[i] for row in rows] for i, name in enumerate(NAMES)}


def test_empty_history_has_empty_columns() -> None:
    """Before the first step every column is empty."""
    columns = History(capacity=5, param_names=NAMES).columns()
    assert columns == {"step": [], "loss": [], "params": {n: [] for n in NAMES}, "grads": {n: [] for n in NAMES}}


def test_losses_slices_by_step() -> None:
    """losses(start, stop) gives the losses of steps start..stop-1 as Python floats."""
    history = History(capacity=8, param_names=NAMES)
    for t in range(6):
        history.append(record(t))
    assert history.losses(2, 5) == [2.0, 3.0, 4.0]
    assert history.losses(0, 0) == []
    assert all(type(v) is float for v in history.losses(0, 6))


@pytest.mark.parametrize("engine", ["numpy", "torch-autograd"])
def test_each_loss_was_computed_with_its_own_rows_weights(
    engine: str,
    make_config: MakeConfig,
    make_run: MakeRun,
    loss_oracle: Callable[..., float],
    points_oracle: Callable[[RunConfig], list[float]],
) -> None:
    """Recomputing the loss from params[*][i] (plain loop) gives loss[i], for every recorded step."""
    config = make_config(engine=engine, steps=60, points=25, learning_rate=1e-4)
    run = make_run(config)
    run.join(10)
    assert run.status == "finished"
    columns = run.history.columns()
    xs = points_oracle(config)
    assert len(columns["loss"]) == 60
    for i, loss in enumerate(columns["loss"]):
        params = [columns["params"][name][i] for name in NAMES]  # type: ignore[index]
        assert loss == pytest.approx(loss_oracle(params, xs), rel=1e-12), f"step {i}"


def test_each_gradient_was_computed_with_its_own_rows_weights(make_config: MakeConfig, make_run: MakeRun) -> None:
    """grads[*][i] is torch autograd's gradient at params[*][i], and params[i+1] = params[i] - lr·grads[i]."""
    config = make_config(steps=30, points=20, learning_rate=1e-4)
    run = make_run(config)
    run.join(10)
    assert run.status == "finished"
    params, grads = run.history.params[:30], run.history.grads[:30]
    x = torch.linspace(config.x_min, config.x_max, config.points, dtype=torch.float64)
    for i in range(30):
        weights = torch.tensor(params[i], requires_grad=True)
        a, b, c, d = weights
        ((a + b * x + c * x**2 + d * x**3 - torch.sin(x)) ** 2).sum().backward()
        expected = weights.grad.numpy()  # type: ignore[union-attr]
        np.testing.assert_allclose(grads[i], expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(params[1:], params[:-1] - 1e-4 * grads[:-1], rtol=1e-14, atol=1e-15)


def test_hundred_thousand_steps_take_under_ten_megabytes() -> None:
    """A 100k-step history of the cubic is under 10 MB, by nbytes(), by its arrays' sizes and by tracemalloc."""
    steps = 100_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        history = History(capacity=steps, param_names=NAMES)
        step = StepRecord(step=0, loss=1.0, params=(1.0,) * 4, grads=(2.0,) * 4, updated=(1.0,) * 4)
        for _ in range(steps):
            history.append(step)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert history.count == steps
    assert history.nbytes() == steps * 8 * 9
    arrays = history.loss.nbytes + history.params.nbytes + history.grads.nbytes
    assert arrays == history.nbytes() < TEN_MB
    assert grown < TEN_MB
