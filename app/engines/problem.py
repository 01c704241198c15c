"""The regression problem every engine solves: points of sin(x) and seeded initial weights."""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from app.formula import Formula, compile_formula
from app.run_config import RunConfig

Array = NDArray[np.floating]
CUBIC_PARAMS = ("a", "b", "c", "d")
# y = a + b x + c x² + d x³: the power of x each weight multiplies.
CUBIC_POWERS: dict[str, tuple[int, ...]] = {name: (power,) for power, name in enumerate(CUBIC_PARAMS)}


DATA_POINTS_DRAWN = 500
View = Literal["fit", "outputs"]


@dataclass(frozen=True)
class Problem:
    """Training inputs x and targets y in the run's dtype, and the noiseless target as a function of x."""

    x: Array
    y: Array
    target: Formula | None = None  # None where the targets are no formula of one x (several outputs)


@dataclass(frozen=True)
class Drawing:
    """What the page draws around the model's curve: the grid it is computed on, the truth there, the data."""

    grid: Array  # where the engine evaluates its curve
    truth: Array  # the noiseless target on the grid
    data_x: Array  # training points to scatter (a subsample)
    data_y: Array
    view: View = "fit"  # "fit": y against x; "outputs": each prediction against its target
    x_label: str = "x"
    y_label: str = "y"


def make_problem(config: RunConfig) -> Problem:
    """The lecture's data: evenly spaced points on [x_min, x_max], their targets, and seeded noise."""
    x = np.linspace(config.x_min, config.x_max, config.points)
    target = compile_formula(config.target)
    y = target.evaluate(x)
    if config.noise > 0:  # a stream of its own, so noise never shifts the initial weights
        y = y + config.noise * np.random.default_rng([config.initial_seed, 1]).standard_normal(x.size)
    return Problem(x=x.astype(config.dtype), y=y.astype(config.dtype), target=target)


def data_key(config: RunConfig) -> tuple[object, ...]:
    """What make_problem makes a run's data from: runs with equal keys train on equal x and y."""
    noise_seed = config.initial_seed if config.noise > 0 else None
    return (config.points, config.x_min, config.x_max, config.target, config.noise, noise_seed, config.dtype)


def make_drawing(config: RunConfig, problem: Problem, grid: Array) -> Drawing:
    """The fit of y against x: the target on the grid and at most DATA_POINTS_DRAWN evenly spaced data points."""
    assert problem.target is not None
    shown = np.linspace(0, problem.x.size - 1, min(problem.x.size, DATA_POINTS_DRAWN)).round().astype(int)
    return Drawing(grid=grid, truth=problem.target.evaluate(grid), data_x=problem.x[shown], data_y=problem.y[shown])


def initial_weights(seed: int, count: int = 4) -> tuple[float, ...]:
    """Standard normal weights drawn once with numpy, so every engine starts from the same point."""
    return tuple(float(w) for w in np.random.default_rng(seed).standard_normal(count))


def initial_cubic(config: RunConfig) -> tuple[float, ...]:
    """The cubic's a, b, c, d before the first step."""
    return initial_weights(config.initial_seed)


def cubic(params: tuple[float, ...], x: Array) -> Array:
    """The cubic a + b·x + c·x² + d·x³ evaluated at x."""
    a, b, c, d = params
    curve: Array = a + b * x + c * x**2 + d * x**3
    return curve
