"""A validated target formula: its text and the numpy function of x it stands for."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
Function = Callable[[Array], Array]


class FormulaError(ValueError):
    """A formula that is not allowed, with a message saying what and where."""


@dataclass(frozen=True)
class Formula:
    """A validated formula: its text and the numpy function of x it stands for."""

    text: str
    # Expects a float64 array and may warn; evaluate() adds the quiet errstate and x's shape.
    function: Function = field(repr=False, compare=False)

    def evaluate(self, x: ArrayLike) -> Array:
        """The formula at every x, as a new float64 array of x's shape; NaN or inf where it is undefined."""
        points = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            values = self.function(points)
        return np.array(np.broadcast_to(values, points.shape), dtype=np.float64)

    def check_finite_on(self, x: ArrayLike) -> Array:
        """The formula's values at x; FormulaError naming the first x where one is NaN or infinite."""
        points = np.asarray(x, dtype=np.float64)
        values = self.evaluate(points)
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.argmax(bad))
            point, value = float(points.flat[first]), float(values.flat[first])
            raise FormulaError(f"the target is not finite at x = {point:.6g}: {self.text} gives {value}")
        return values
