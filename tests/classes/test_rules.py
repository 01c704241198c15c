"""A class's rules: its settings checked as a run's config, a student's config on top of them, what differs."""

from typing import Any

import pytest
from pydantic import ValidationError

from app.classes.rules import RuleError, class_settings, differing, free_fields, student_config, varying

SETTINGS = class_settings({"engine": "torch-autograd", "points": 16.0, "pace": 30})


def test_class_settings_are_kept_as_json_has_them_and_only_those_given() -> None:
    """A whole number sent as 16.0 is kept as 16; fields left out stay out (they take their defaults per run)."""
    assert SETTINGS == {"engine": "torch-autograd", "points": 16, "pace": 30.0}
    with pytest.raises(ValidationError):
        class_settings({"points": 1})


def test_free_fields_must_be_run_settings() -> None:
    """Unknown names are refused at their index; repeats are kept once; null means all."""
    assert free_fields(None) is None
    assert free_fields(["seed", "seed", "learning_rate"]) == ("seed", "learning_rate")
    with pytest.raises(RuleError) as refused:
        free_fields(["seed", "lr"])
    assert refused.value.loc == ("free", 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 17}, "points"),
        ({"engine": "numpy"}, "engine"),
        ({"seed": 4}, "seed"),  # the class leaves it to be drawn per run
        ({"pace": None}, "pace"),  # full speed is another value than the class's 30 steps/s
        ({"layers": [8]}, "layers"),  # fixed at its default
    ],
)
def test_a_fixed_field_with_another_value_is_refused(body: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleError) as refused:
        student_config(SETTINGS, ("learning_rate",), body)
    assert refused.value.loc == (field,) and refused.value.kind == "fixed"


def test_the_class_value_or_a_free_change_is_taken() -> None:
    """The class's own values (in any JSON spelling), null for a field it leaves unset, and free fields pass."""
    body = {"points": 16.0, "engine": "torch-autograd", "pace": 30, "seed": None, "layers": [16, "tanh"]}
    config = student_config(SETTINGS, ("learning_rate",), {**body, "learning_rate": 5e-6})
    assert (config.points, config.engine, config.pace, config.learning_rate) == (16, "torch-autograd", 30.0, 5e-6)
    assert student_config(SETTINGS, None, {"points": 40}).points == 40


def test_what_differs_and_what_varies() -> None:
    """A run's config against the class's shows the changed and per-run fields; among runs, the lesson's usual
    fields come first."""
    first = student_config(SETTINGS, None, {"learning_rate": 1e-6, "seed": 1}).model_dump(mode="json")
    second = student_config(SETTINGS, None, {"learning_rate": 2e-6, "seed": 2, "noise": 0.5}).model_dump(mode="json")
    assert differing(SETTINGS, first) == {"learning_rate": 1e-6, "seed": 1}
    assert varying([first, second]) == ["learning_rate", "seed", "noise"]
    assert varying([first]) == []
