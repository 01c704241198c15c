"""Whether a stored run's row reads back as a run on this server: its engine, config, limits and parameters."""

from collections.abc import Callable

from pydantic import ValidationError

from app.engines import ENGINES
from app.engines.base import EngineSpec
from app.run_config import RunConfig
from app.runs.unreadable import describe
from app.storage.records import RunRecord


def read_back(record: RunRecord, check_limits: Callable[[RunConfig], None], max_steps: int) -> EngineSpec:
    """The record's engine, if everything in the record fits this server and that engine; ValueError saying what
    does not otherwise (`check_limits`: the check a new run passes, raising a ValueError)."""
    engine = ENGINES.get(record.engine)
    if engine is None:
        raise ValueError(f"this server has no engine {record.engine!r}")
    try:
        config = RunConfig.model_validate(record.config)
    except ValidationError as error:
        raise ValueError(f"its config is not valid on this server: {describe(error)}") from None
    if config.engine != record.engine:
        raise ValueError(f"its config is for the {config.engine} engine, not {record.engine}")
    try:
        check_limits(config)
    except ValueError as error:
        raise ValueError(f"its config is over this server's limits: {error}") from None
    names = engine.names(config)
    if record.param_names != names:
        raise ValueError(f"its parameters {list(record.param_names)} are not the {engine.name} engine's {list(names)}")
    for field, values in (("last_params", record.last_params), ("last_grads", record.last_grads)):
        if values is not None and len(values) != len(names):
            raise ValueError(f"its {field} hold {len(values)} numbers for {len(names)} parameters")
    if record.steps_done > max_steps:
        raise ValueError(f"it holds {record.steps_done} steps, more than this server's max_steps ({max_steps})")
    return engine
