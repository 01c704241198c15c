"""read_back: a stored row reads back as a run only if its engine, config, limits and numbers fit this server."""

from datetime import UTC, datetime

import pytest

from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs.read_back import read_back
from app.storage.records import RunRecord

CUBIC = ("a", "b", "c", "d")


def row(**changes: object) -> RunRecord:
    """A finished numpy run's row, with some fields changed."""
    fields: dict[str, object] = {
        "id": "r1",
        "engine": "numpy",
        "status": "finished",
        "message": None,
        "config": RunConfig(engine="numpy", steps=10, points=20).model_dump(mode="json"),
        "param_names": CUBIC,
        "created_at": datetime(2026, 1, 2, tzinfo=UTC),
        "steps_done": 10,
        "last_loss": 1.0,
        "last_params": (1.0, 2.0, 3.0, 4.0),
        "last_grads": (0.1, 0.2, 0.3, 0.4),
    }
    return RunRecord(**{**fields, **changes})  # type: ignore[arg-type]


def no_limits(config: RunConfig) -> None:
    """Every config is within these limits."""


def at_most_five_steps(config: RunConfig) -> None:
    """A server whose max_steps is 5."""
    if config.steps > 5:
        raise ValueError("steps must be at most 5 (the server's max_steps)")


def test_a_row_that_fits_reads_back_with_its_engine() -> None:
    assert read_back(row(), no_limits, 100) is ENGINES["numpy"]


@pytest.mark.parametrize(
    ("changes", "limits", "words"),
    [
        ({"engine": "numpy-2"}, no_limits, "no engine 'numpy-2'"),
        ({"config": {"engine": "numpy", "points": 1}}, no_limits, "points"),
        ({"config": {"engine": "numpy", "surprise": 1}}, no_limits, "surprise"),
        ({"engine": "torch-autograd"}, no_limits, "config is for the numpy engine"),
        ({}, at_most_five_steps, "over this server's limits: steps must be at most 5"),
        ({"param_names": ("a",)}, no_limits, "['a'] are not the numpy engine's"),
        ({"last_params": (1.0,)}, no_limits, "last_params hold 1 numbers for 4"),
        ({"last_grads": (1.0, 2.0)}, no_limits, "last_grads hold 2 numbers"),
        ({"steps_done": 1000}, no_limits, "1000 steps, more than this server's max_steps (100)"),
    ],
)
def test_a_row_that_does_not_fit_says_why(changes: dict[str, object], limits: object, words: str) -> None:
    with pytest.raises(ValueError) as refused:
        read_back(row(**changes), limits, 100)  # type: ignore[arg-type]
    assert words in str(refused.value)
