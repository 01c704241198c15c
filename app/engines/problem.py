"""The regression problem every engine solves: points of sin(x) and seeded initial weights."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.run_config import RunConfig

Array = NDArray[np.float64]
CUBIC_PARAMS = ("a", "b", "c", "d")


@dataclass(frozen=True)
class Problem:
    """Training inputs x and targets y, as float64 arrays."""

    x: Array
    y: Array


def target(x: Array) -> Array:
    """The function the model learns."""
    return np.sin(x)


def make_problem(config: RunConfig) -> Problem:
    """The lecture's data: evenly spaced points on [x_min, x_max] and their sines."""
    x = np.linspace(config.x_min, config.x_max, config.points)
    return Problem(x=x, y=target(x))


def initial_weights(seed: int, count: int = 4) -> tuple[float, ...]:
    """Standard normal weights drawn once with numpy, so every engine starts from the same point."""
    return tuple(float(w) for w in np.random.default_rng(seed).standard_normal(count))


def initial_cubic(config: RunConfig) -> tuple[float, ...]:
    """The cubic's a, b, c, d before the first step."""
    return initial_weights(config.initial_seed)


def cubic(params: tuple[float, ...], x: Array) -> Array:
    """The cubic a + b·x + c·x² + d·x³ evaluated at x."""
    a, b, c, d = params
    return a + b * x + c * x**2 + d * x**3
