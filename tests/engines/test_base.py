"""The engine generator protocol, the same for every engine: send True for a curve, params before, updated after."""

import typing

import numpy as np
import pytest

from app.engines import ENGINES
from app.engines.problem import make_problem
from app.run_config import EngineName, RunConfig

CURVE_X = np.linspace(-2.0, 2.0, 9)
CUBIC_ENGINES = sorted(name for name, spec in ENGINES.items() if spec.model == "y = a + b x + c x² + d x³")


@pytest.mark.parametrize("engine", list(ENGINES))
def test_sending_true_asks_for_the_curve_at_the_updated_weights(engine: str) -> None:
    """The first record and any record after send(True) carry the model at `updated`; send(False) gives none."""
    spec = ENGINES[engine]
    config = RunConfig(engine=engine, seed=0, steps=6, points=30)
    problem = spec.make_problem(config)
    grid = spec.drawing(config, problem, CURVE_X).grid  # CURVE_X, or the engine's own (lecture-net: its targets)
    stream = spec.train(config, problem, grid)
    received = [next(stream)]
    for ask in (False, True, False, False, True):
        received.append(stream.send(ask))
    with pytest.raises(StopIteration):
        stream.send(True)

    assert [r.curve is not None for r in received] == [True, False, True, False, False, True]
    for record in received:
        if record.curve is None:
            continue
        assert record.curve.shape == grid.shape and np.isfinite(record.curve).all()
        if spec.predict is not None:  # networks record layer norms, from which no curve can be recomputed
            np.testing.assert_allclose(record.curve, spec.predict(record.updated, CURVE_X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("engine", CUBIC_ENGINES)
def test_cubic_engines_curve_is_the_cubic(engine: str) -> None:
    """For the cubic engines the drawn curve is a + b·x + c·x² + d·x³ at `updated`, as np.polyval computes it."""
    config = RunConfig(engine=engine, seed=0, steps=2, points=30)
    for record in ENGINES[engine].train(config, make_problem(config), CURVE_X):
        if record.curve is not None:
            expected = np.polyval(record.updated[::-1], CURVE_X)
            np.testing.assert_allclose(record.curve, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_params_are_before_and_updated_after_the_step(engine: str) -> None:
    """`params` start at the initial weights and are the weights before each update; `updated` those after it."""
    spec = ENGINES[engine]
    config = RunConfig(engine=engine, seed=1, steps=4, points=30, learning_rate=1e-3)
    weights = spec.initial_params(config)
    for t, record in enumerate(spec.train(config, spec.make_problem(config), CURVE_X)):
        assert record.step == t
        assert record.params == pytest.approx(weights, rel=1e-12)
        assert record.updated != record.params
        weights = record.updated


@pytest.mark.parametrize("engine", ["numpy", "torch-autograd"])
def test_updated_is_params_minus_learning_rate_times_gradient(engine: str) -> None:
    """For the lecture's two engines, updated = params - lr·grads at every step."""
    config = RunConfig(engine=engine, seed=1, steps=4, points=30, learning_rate=1e-3)
    for record in ENGINES[engine].train(config, make_problem(config), CURVE_X):
        expected = [p - 1e-3 * g for p, g in zip(record.params, record.grads, strict=True)]
        assert list(record.updated) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_engine_yields_exactly_the_configured_steps(engine: str) -> None:
    """A stream ends after `steps` records, each with plain Python floats."""
    config = RunConfig(engine=engine, seed=0, steps=7, points=10)
    received = list(ENGINES[engine].train(config, ENGINES[engine].make_problem(config), CURVE_X))
    assert len(received) == 7
    for record in received:
        assert type(record.loss) is float
        assert all(type(v) is float for v in (*record.params, *record.grads, *record.updated))


def test_every_configurable_engine_is_registered() -> None:
    """The engines a RunConfig may name are exactly the registered ones, each under its own name, from a on."""
    assert set(ENGINES) == set(typing.get_args(EngineName))
    assert {"numpy", "torch-autograd"} <= set(CUBIC_ENGINES)
    for name, spec in ENGINES.items():
        config = RunConfig(engine=name, seed=0)
        assert spec.name == name
        assert spec.description and spec.model
        assert len(spec.initial_params(config)) == len(spec.names(config))
        if spec.predict is not None:  # the polynomial models; networks name their layers instead
            names = spec.names(config)
            # the cubic's a + b x + ..., or the linear models' b + w1 x + ... (the slides' two notations)
            assert names[:4] == ("a", "b", "c", "d") or names == ("b", "w1", "w2", "w3")[: len(names)]


@pytest.mark.parametrize("name", sorted(name for name, spec in ENGINES.items() if spec.powers is not None))
def test_an_engines_powers_are_its_model(name: str) -> None:
    """Where an engine says its model is a sum of weights times powers of x, that sum is its own predict: the
    page redraws past fits from the powers alone."""
    spec = ENGINES[name]
    assert spec.powers is not None and spec.predict is not None
    config = RunConfig(engine=name, seed=3, degree=3) if "degree" in spec.switches else RunConfig(engine=name, seed=3)
    names = spec.names(config)
    params = tuple(0.3 * (i + 1) * (-1) ** i for i in range(len(names)))
    x = np.linspace(-2.0, 2.0, 9)
    summed = sum(w * sum(x**p for p in spec.powers[n]) for n, w in zip(names, params, strict=True))
    np.testing.assert_allclose(spec.predict(params, x), summed, rtol=1e-12)
