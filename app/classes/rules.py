"""A class's settings and a student's run config: what a class may fix, and a student's config checked against it."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from app.run_config import RunConfig

FIELDS: tuple[str, ...] = tuple(RunConfig.model_fields)
# Each field's value when neither the class nor the student sets it, as JSON has it (None: filled per run, as a
# seed drawn or the engine's learning rate, or unset, as a pace).
DEFAULTS: dict[str, Any] = {
    name: RunConfig.model_fields[name].get_default(call_default_factory=True) for name in FIELDS
}
# The fields a class view colours its runs by first, when they differ among the runs: the settings a lesson varies.
FIRST_VARYING = ("learning_rate", "engine", "zero_grad", "optimizer", "reduction")


class RuleError(ValueError):
    """A class setting or a student's config that breaks the class's rules; `loc` is where in the body."""

    def __init__(self, loc: tuple[str | int, ...], message: str, kind: str = "value_error") -> None:
        super().__init__(message)
        self.loc = loc
        self.kind = kind


def class_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The lecturer's partial config, validated as a run's config is and kept as JSON has it (only the fields
    given); ValidationError as a run's config would raise it."""
    config = RunConfig.model_validate(dict(settings))
    dumped = config.model_dump(mode="json")
    return {name: dumped[name] for name in settings}


def free_fields(free: Sequence[str] | None) -> tuple[str, ...] | None:
    """The names of the fields students may change, checked (None: all of them)."""
    if free is None:
        return None
    for index, name in enumerate(free):
        if name not in FIELDS:
            raise RuleError(("free", index), f"{name[:40]!r} is not a run setting (one of {', '.join(FIELDS)})")
    return tuple(dict.fromkeys(free))


def class_value(settings: Mapping[str, Any], name: str) -> Any:
    """A field's value in the class's runs unless a student changes it: the class's, else the default."""
    return settings[name] if name in settings else _json(DEFAULTS[name])


def _json(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def student_config(settings: Mapping[str, Any], free: Iterable[str] | None, body: Mapping[str, Any]) -> RunConfig:
    """The run config of a student's body on top of the class's settings. RuleError naming the field for a field
    that is no run setting, or one the class fixes set to another value; ValidationError (its locations within
    the body) for a config that is not valid."""
    allowed = set(FIELDS if free is None else free)
    for name in body:
        if name not in FIELDS:
            raise RuleError((name,), "not a run setting", "extra_forbidden")
    config = RunConfig.model_validate({**settings, **body})
    dumped = config.model_dump(mode="json")
    for name, value in body.items():
        if name in allowed:
            continue
        wanted = class_value(settings, name)
        given = None if value is None else dumped[name]
        if given != wanted:
            shown = "unset" if wanted is None else repr(wanted)
            raise RuleError(
                (name,), f"{name} is fixed by the class ({shown}): leave it out or send the class's value", "fixed"
            )
    return config


def differing(settings: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a run's config (as JSON) whose values differ from the class's."""
    return {name: value for name, value in config.items() if value != class_value(settings, name)}


def varying(configs: Iterable[Mapping[str, Any]]) -> list[str]:
    """The names of the fields whose values differ among these configs (as JSON), the lesson's usual ones first."""
    seen: dict[str, Any] = {}
    found: set[str] = set()
    missing = object()
    for config in configs:
        for name in FIELDS:
            value = config.get(name, missing)
            if name not in seen:
                seen[name] = value
            elif value != seen[name]:
                found.add(name)
    first = [name for name in FIRST_VARYING if name in found]
    return first + [name for name in FIELDS if name in found and name not in FIRST_VARYING]


def validation_locations(error: ValidationError) -> list[dict[str, Any]]:
    """A config's validation errors as FastAPI reports a body's, each located under "body"."""
    return [
        {"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"], "input": e.get("input")}
        for e in error.errors(include_url=False)
    ]
