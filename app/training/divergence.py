"""When a run's weights have run away: a number that is no longer finite, or a loss grown far past the first."""

import math

import numpy as np

from app.engines.base import StepRecord

# A loss this many times the first one (or 1.0, if larger) means the weights are running away.
DIVERGENCE_FACTOR = 1e10


def finite(record: StepRecord) -> bool:
    """Whether the step's loss, gradients, updated weights and drawn curve are all finite numbers."""
    # One sum is NaN or infinite as soon as any term is (or overflows, which is divergence too).
    numbers = math.isfinite(record.loss + sum(record.grads) + sum(record.updated))
    return numbers and (record.curve is None or bool(np.isfinite(record.curve).all()))


def ran_away(loss: float, first_loss: float) -> bool:
    """Whether the loss has grown far past the run's first one."""
    return loss > DIVERGENCE_FACTOR * max(first_loss, 1.0)


def divergence_message(record: StepRecord, first_loss: float | None, rate: float) -> str:
    """What a diverged run says: how far the loss grew, by which step, and a learning rate to try instead."""
    if first_loss is None and not math.isfinite(record.loss + sum(record.grads)):
        # Step 0 is computed with the initial weights, before any update: no learning rate changes it.
        return (
            "The loss or its gradient is not a finite number at the very first step, before any update, so no "
            "learning rate can help: the targets or the data are too large to square and add up in this "
            "precision. Try a target with smaller values, fewer points, the mean instead of the sum, or float64."
        )
    start = "" if first_loss is None else f"from {first_loss:.4g} "
    grown = f"{record.loss:.4g}" if math.isfinite(record.loss) else "beyond any finite number"
    return (
        f"The loss grew {start}to {grown} by step {record.step}: the learning rate {rate:g} is too large "
        f"for this problem; try {rate / 10:g}."
    )
