"""Every engine computes the lecture's numbers: gradients equal torch autograd's, trajectories agree."""

import math
import random

import numpy as np
import pytest
import torch

from app.engines import ENGINES
from app.engines.base import StepRecord
from app.engines.problem import make_problem
from app.run_config import RunConfig

CURVE_X = np.linspace(-1.0, 1.0, 5)
CUBIC_ENGINES = [name for name, spec in ENGINES.items() if spec.model == ENGINES["numpy"].model]
POLYNOMIAL_ENGINES = [name for name, spec in ENGINES.items() if spec.predict is not None]  # not the networks
ONE_INPUT_ENGINES = [name for name, spec in ENGINES.items() if spec.make_problem is make_problem]
AUTOGRAD_ENGINES = [name for name in POLYNOMIAL_ENGINES if ENGINES[name].stores_grads]


def run(config: RunConfig) -> list[StepRecord]:
    """Every record of a run of `config`."""
    return list(ENGINES[config.engine].train(config, make_problem(config), CURVE_X))


def dynamic_orders(config: RunConfig) -> list[int]:
    """The orders the tutorial's dynamic net draws, step by step, from a generator seeded like the run's."""
    rng = random.Random(config.initial_seed)
    return [rng.randint(3, 5) for _ in range(config.steps)]


def torch_loss_and_grads(
    engine: str, params: tuple[float, ...], config: RunConfig, order: int = 3
) -> tuple[float, np.ndarray]:
    """The oracle: the model written with plain torch ops (no custom Function, no nn), differentiated by autograd."""
    problem = make_problem(config)
    x, y = torch.from_numpy(problem.x.astype(np.float64)), torch.from_numpy(problem.y.astype(np.float64))
    weights = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    if ENGINES[engine].names_for is not None:  # the linear models: b + w1 x + ... for as many weights as they have
        y_pred = sum(w * x**power for power, w in enumerate(weights))
        loss = (y_pred - y).pow(2).sum() if config.reduction == "sum" else (y_pred - y).pow(2).mean()
        return loss.item(), np.array([g.item() for g in torch.autograd.grad(loss, weights)])
    a, b, c, d = weights[:4]
    if engine == "torch-function":
        z = c + d * x
        y_pred = a + b * 0.5 * (5 * z**3 - 3 * z)
    else:
        y_pred = a + b * x + c * x**2 + d * x**3
    for exp in range(4, order + 1):  # the dynamic net's extra terms share its fifth weight
        y_pred = y_pred + weights[4] * x**exp
    squared = (y_pred - y) ** 2
    loss = squared.sum() if config.reduction == "sum" else squared.mean()
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    return loss.item(), np.array([0.0 if g is None else g.item() for g in grads])


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("engine", [name for name in POLYNOMIAL_ENGINES if name != "torch-optim"])
def test_every_engines_gradient_is_torch_autograds(engine: str, reduction: str) -> None:
    """At the weights each step used, the recorded loss and gradient equal torch autograd's (float64, 1e-10)."""
    config = RunConfig(engine=engine, seed=4, steps=5, reduction=reduction)
    for record, order in zip(run(config), dynamic_orders(config), strict=True):
        loss, grads = torch_loss_and_grads(engine, record.params, config, order if engine == "dynamic-net" else 3)
        assert record.loss == pytest.approx(loss, rel=1e-10)
        np.testing.assert_allclose(record.grads, grads, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_torch_optim_records_autograds_gradient_for_every_optimizer(optimizer: str) -> None:
    """Whatever the optimizer does with it, the gradient it is handed is autograd's at the current weights."""
    config = RunConfig(engine="torch-optim", optimizer=optimizer, seed=4, steps=4)
    for record in run(config):
        _, grads = torch_loss_and_grads("torch-optim", record.params, config)
        np.testing.assert_allclose(record.grads, grads, rtol=1e-10, atol=1e-9)


def test_plain_sgd_through_torch_optim_is_the_lectures_update() -> None:
    """torch.optim.SGD without momentum takes exactly the lecture's step p - lr·grad."""
    config = RunConfig(engine="torch-optim", optimizer="sgd", seed=2, steps=3)
    for record in run(config):
        expected = np.array(record.params) - config.lr * np.array(record.grads)
        np.testing.assert_allclose(record.updated, expected, rtol=1e-12)


@pytest.mark.parametrize("engine", [name for name in CUBIC_ENGINES if name != "numpy"])
def test_every_cubic_engine_follows_the_numpy_trajectory(engine: str) -> None:
    """With the same seed, every cubic engine (SGD) walks the same 300 steps as the numpy code, to ~1e-9."""
    numpy_run = run(RunConfig(engine="numpy", seed=7, steps=300))
    other = run(RunConfig(engine=engine, seed=7, steps=300))
    np.testing.assert_allclose([r.params for r in other], [r.params for r in numpy_run], rtol=1e-9)
    np.testing.assert_allclose([r.loss for r in other], [r.loss for r in numpy_run], rtol=1e-9)


def test_dynamic_net_draws_orders_3_to_5_and_fits_with_its_extra_weight() -> None:
    """Over many steps every order occurs, e gets a gradient only on steps of order 4 or 5, and the loss falls."""
    config = RunConfig(engine="dynamic-net", seed=6, steps=400)
    orders = dynamic_orders(config)
    records = run(config)
    assert set(orders) == {3, 4, 5}
    for record, order in zip(records, orders, strict=True):
        assert (record.grads[4] == 0.0) == (order == 3)
    assert records[-1].loss < records[0].loss / 100


def test_legendre_engine_converges_as_in_the_tutorial() -> None:
    """The tutorial's result: y ≈ 0 + -2.2·P3(0 + 0.255·x) after 2000 steps at lr 5e-6."""
    config = RunConfig(engine="torch-function")
    assert config.lr == 5e-6
    records = run(config)
    a, b, c, d = records[-1].updated
    assert abs(a) < 1e-6 and abs(c) < 1e-6  # sin is odd: the even parts stay at their start, 0
    assert b == pytest.approx(-2.21, abs=0.02)
    assert d == pytest.approx(0.255, abs=0.002)
    assert records[-1].loss < records[0].loss / 40


@pytest.mark.parametrize("engine", AUTOGRAD_ENGINES)
def test_without_zero_grad_the_gradient_is_the_running_sum(engine: str) -> None:
    """Skipping zero_grad: the gradient used at step t is the sum of the true gradients of steps 0..t."""
    config = RunConfig(engine=engine, seed=5, steps=6, zero_grad=False)
    total = np.zeros(len(ENGINES[engine].names(config)))
    for record, order in zip(run(config), dynamic_orders(config), strict=True):
        total += torch_loss_and_grads(engine, record.params, config, order if engine == "dynamic-net" else 3)[1]
        np.testing.assert_allclose(record.grads, total, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("engine", ONE_INPUT_ENGINES)
def test_float32_runs_in_float32(engine: str) -> None:
    """dtype float32 trains in single precision: close to float64 at first, but not equal to it."""
    single = run(RunConfig(engine=engine, seed=3, steps=3, dtype="float32"))
    double = run(RunConfig(engine=engine, seed=3, steps=3))
    assert single[0].loss == pytest.approx(double[0].loss, rel=1e-5)
    assert single[0].loss != double[0].loss
    assert all(math.isfinite(r.loss) for r in single)


def test_noise_is_seeded_and_leaves_the_initial_weights_alone() -> None:
    """Noise changes y reproducibly per seed, and never the starting weights."""
    noisy = make_problem(RunConfig(seed=11, noise=0.5))
    again = make_problem(RunConfig(seed=11, noise=0.5))
    clean = make_problem(RunConfig(seed=11))
    np.testing.assert_array_equal(noisy.y, again.y)
    assert 0.4 < float(np.std(noisy.y - clean.y)) < 0.6
    assert run(RunConfig(seed=11, noise=0.5, steps=1))[0].params == run(RunConfig(seed=11, steps=1))[0].params


def test_a_typed_target_is_what_the_engines_learn() -> None:
    """The target formula sets y, and a cubic target is learned exactly by the cubic model."""
    config = RunConfig(target="x**3 - x", x_min=-1, x_max=1, points=50, reduction="mean", learning_rate=0.3)
    problem = make_problem(config)
    np.testing.assert_allclose(problem.y, problem.x**3 - problem.x)
    final = run(config.model_copy(update={"steps": 4000}))[-1]
    np.testing.assert_allclose(final.updated, (0.0, -1.0, 0.0, 1.0), atol=2e-2)
