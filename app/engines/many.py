"""What the engines' batched steps share: one record per row, with its curve when its row asked for one."""

from collections.abc import Sequence

import numpy as np

from app.engines.base import StepRecord, Weights
from app.engines.problem import Array, cubic
from app.run_config import RunConfig

Rows = Sequence[tuple[RunConfig, Weights, bool]]  # each run's config, where it stands, whether it wants its curve


def cubic_records(
    rows: Rows,
    before: list[list[float]],
    losses: list[float],
    grads: list[list[float]],
    after: list[list[float]],
    curve_x: Array,
) -> list[StepRecord]:
    """The rows' records from the batch's numbers (a list a row each); the cubic's curves of the rows that want one
    computed together, with `cubic`'s own operations."""
    wanted = [i for i, (_, _, want) in enumerate(rows) if want]
    curves: dict[int, Array] = {}
    if wanted:
        columns = np.array([after[i] for i in wanted], dtype=np.float64).T[:, :, None]  # (4, rows, 1)
        drawn = cubic(tuple(columns), curve_x)
        curves = {i: drawn[k] for k, i in enumerate(wanted)}
    return [
        StepRecord(
            step=weights.step,
            loss=losses[i],
            params=tuple(before[i]),
            grads=tuple(grads[i]),
            updated=tuple(after[i]),
            curve=curves.get(i),
        )
        for i, (_, weights, _) in enumerate(rows)
    ]
