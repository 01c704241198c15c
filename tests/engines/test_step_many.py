"""The engines' batched steps (numpy, torch-tensors, torch-autograd) against each engine's own generator: every
record equal, bit for bit."""

import dataclasses

import numpy as np
import pytest

from app.engines import ENGINES
from app.engines.base import StepRecord, Weights
from app.engines.problem import make_problem
from app.run_config import RunConfig

BATCHED = [name for name, spec in ENGINES.items() if spec.batching is not None]
STEPS = 60
CURVE_X = np.linspace(-3, 3, 9)


def numbers(record: StepRecord) -> np.ndarray:
    """A record's step, loss, weights, gradients and updated weights as one array (NaN equal to NaN)."""
    return np.array((record.step, record.loss, *record.params, *record.grads, *record.updated))


def test_the_lectures_numpy_tensors_and_autograd_engines_step_in_batches() -> None:
    """The engines a class starts with by default (numpy), and the lecture's tensors and autograd ones that follow
    it, take batched steps."""
    assert {"numpy", "torch-tensors", "torch-autograd"} <= set(BATCHED)


def configs(engine: str, dtype: str) -> list[RunConfig]:
    """A class's runs on the same data: learning rates from timid to diverging, both losses, zero_grad on and off."""
    rates = np.geomspace(1e-7, 1e-3, 24)
    return [
        RunConfig(
            engine=engine,
            steps=STEPS,
            seed=i,
            dtype=dtype,
            learning_rate=float(rate),
            reduction="mean" if i % 2 else "sum",
            zero_grad=i % 3 != 0,
        )
        for i, rate in enumerate(rates)
    ]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a diverging run overflows, alone or not
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("engine", BATCHED)
def test_a_batch_of_runs_steps_each_as_its_own_generator_would(engine: str, dtype: str) -> None:
    """Runs stepped together, step after step, give the records each run's generator gives alone: losses,
    gradients (piled up without zero_grad), updated weights and curves equal to the last bit, a diverging run
    included (its NaNs touch no other row)."""
    runs = configs(engine, dtype)
    problem = make_problem(runs[0])
    spec = ENGINES[engine]
    alone = [[(r, r.curve) for r in _detailed(spec.train(config, problem, CURVE_X))] for config in runs]
    standing = [Weights(0, spec.initial_params(config)) for config in runs]
    assert spec.batching is not None
    diverged = 0
    for t in range(STEPS):
        rows = [(config, weights, True) for config, weights in zip(runs, standing, strict=True)]
        together = spec.batching.step_many(problem, rows, CURVE_X)
        for own, record in zip(alone, together, strict=True):
            expected, curve = own[t]
            np.testing.assert_array_equal(numbers(record), numbers(expected))
            assert record.curve is not None and curve is not None
            np.testing.assert_array_equal(record.curve, curve)
        standing = [
            Weights(t + 1, record.updated, record.grads if spec.stores_grads and not config.zero_grad else None)
            for config, record in zip(runs, together, strict=True)
        ]
        diverged = sum(not np.isfinite(record.loss) for record in together)
    assert 0 < diverged < len(runs), "the rates should make some runs, not all, diverge"


def _detailed(stream: object) -> list[StepRecord]:
    """Every record of a generator asked for its curve at every step."""
    records = [next(stream)]  # type: ignore[call-overload]
    records += [stream.send(True) for _ in range(STEPS - 1)]  # type: ignore[attr-defined]
    return records


@pytest.mark.parametrize("engine", BATCHED)
def test_a_run_resumed_from_where_it_stands_goes_on_as_if_never_stopped(engine: str) -> None:
    """The generator started from a run's weights after step k (its piled-up gradients too) yields the records the
    uninterrupted generator yields from step k on."""
    config = RunConfig(engine=engine, steps=STEPS, seed=3, zero_grad=False, learning_rate=1e-7)
    problem = make_problem(config)
    spec = ENGINES[engine]
    whole = list(spec.train(config, problem, CURVE_X))
    k = 20
    standing = Weights(k, whole[k - 1].updated, whole[k - 1].grads if spec.stores_grads else None)
    assert spec.batching is not None
    resumed = list(spec.batching.resume(config, problem, CURVE_X, standing))
    assert len(resumed) == STEPS - k
    for record, expected in zip(resumed, whole[k:], strict=True):
        np.testing.assert_array_equal(numbers(record), numbers(expected))


@pytest.mark.parametrize("engine", BATCHED)
def test_rows_asking_for_no_curve_get_none(engine: str) -> None:
    """A record carries its curve only when its row asked for one."""
    config = RunConfig(engine=engine, steps=5, seed=1)
    problem = make_problem(config)
    spec = ENGINES[engine]
    assert spec.batching is not None
    start = Weights(0, spec.initial_params(config))
    wants = [True, False, True]
    records = spec.batching.step_many(problem, [(config, start, want) for want in wants], CURVE_X)
    assert [record.curve is not None for record in records] == wants
    assert dataclasses.replace(records[0], curve=None) == dataclasses.replace(records[1], curve=None)
