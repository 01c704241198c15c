"""The regression problem: the data points, the seeded initial weights and the cubic itself."""

import math
from collections.abc import Callable

import numpy as np
import pytest

from app.engines.problem import CUBIC_PARAMS, cubic, initial_cubic, initial_weights, make_problem
from app.run_config import RunConfig


def test_problem_is_evenly_spaced_sine_points(points_oracle: Callable[[RunConfig], list[float]]) -> None:
    """make_problem gives `points` evenly spaced x on [x_min, x_max], both ends included, and y = sin(x)."""
    config = RunConfig(points=7, x_min=-1.5, x_max=2.0, seed=0)
    problem = make_problem(config)
    expected_x = points_oracle(config)
    assert problem.x.dtype == np.float64 and problem.y.dtype == np.float64
    assert problem.x.tolist() == pytest.approx(expected_x, rel=1e-15, abs=1e-15)
    assert problem.x[0] == -1.5 and problem.x[-1] == 2.0
    assert problem.y.tolist() == pytest.approx([math.sin(x) for x in expected_x], rel=1e-15, abs=1e-15)


def test_lecture_problem_has_2000_points_on_minus_pi_to_pi() -> None:
    """The default config is the lecture's data: 2000 points from -π to π."""
    problem = make_problem(RunConfig(seed=0))
    assert problem.x.size == 2000
    assert problem.x[0] == -math.pi and problem.x[-1] == math.pi


def test_default_target_is_sine() -> None:
    """Without a target formula the learned function is sin, and the problem keeps it to draw the truth."""
    problem = make_problem(RunConfig(seed=0, points=5))
    xs = np.array([-3.0, -0.5, 0.0, 1.0, 2.5])
    assert problem.target.evaluate(xs).tolist() == [math.sin(x) for x in xs.tolist()]


def test_noise_is_seeded_and_leaves_the_initial_weights_alone() -> None:
    """Noise perturbs y around the target with about its standard deviation, repeatably, and not the weights."""
    quiet = RunConfig(seed=3, points=4000)
    noisy = RunConfig(seed=3, points=4000, noise=0.5)
    residual = make_problem(noisy).y - np.sin(make_problem(quiet).x)
    assert float(np.std(residual)) == pytest.approx(0.5, rel=0.05)
    np.testing.assert_array_equal(make_problem(noisy).y, make_problem(noisy).y)
    assert initial_cubic(noisy) == initial_cubic(quiet)


def test_float32_problem() -> None:
    """dtype='float32' gives float32 data of the same values."""
    problem = make_problem(RunConfig(seed=0, points=9, dtype="float32"))
    assert problem.x.dtype == np.float32 and problem.y.dtype == np.float32
    np.testing.assert_allclose(problem.y, np.sin(np.linspace(-math.pi, math.pi, 9)), rtol=1e-6, atol=1e-7)


def test_same_seed_gives_same_initial_weights() -> None:
    """Initial weights depend on the seed only: the same seed repeats them, another seed changes them."""
    assert initial_weights(7) == initial_weights(7)
    assert initial_weights(7) != initial_weights(8)
    assert len(initial_weights(7)) == 4
    assert all(isinstance(w, float) for w in initial_weights(7))


def test_initial_weights_are_standard_normal_draws() -> None:
    """The weights are numpy's standard normal draws for the seed (so every engine starts alike)."""
    expected = np.random.default_rng(123).standard_normal(4).tolist()
    assert list(initial_weights(123)) == expected


def test_initial_cubic_uses_the_config_seed() -> None:
    """initial_cubic draws a, b, c, d from the config's (recorded) seed."""
    config = RunConfig(seed=42)
    assert initial_cubic(config) == initial_weights(42)
    assert CUBIC_PARAMS == ("a", "b", "c", "d")


def test_cubic_matches_polyval() -> None:
    """cubic((a, b, c, d), x) is a + b·x + c·x² + d·x³, as np.polyval computes it."""
    params = (0.3, -1.2, 0.05, 0.4)
    xs = np.linspace(-3.0, 3.0, 11)
    expected = np.polyval(params[::-1], xs)
    np.testing.assert_allclose(cubic(params, xs), expected, rtol=1e-14, atol=1e-14)
