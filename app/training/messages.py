"""What passes between the web process and a training worker: the bus's payloads, plain picklable records."""

from dataclasses import dataclass
from typing import Any, Literal

from app.engines.base import StepRecord

CommandName = Literal["pause", "resume", "step", "stop", "pace", "watch"]


@dataclass(frozen=True, slots=True)
class Start:
    """Train a run from its first step: its config as JSON-able fields, whether it starts paused, how often its
    steps become frames while watched."""

    run_id: str
    engine: str  # the engine's name in ENGINES (the config's own, or a stand-in a test registers)
    config: dict[str, Any]
    curve_points: int
    detail_interval: float
    paused: bool = False
    watched: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    """A command for one run; `seq` counts the run's commands, so a report made before it is known to be older."""

    run_id: str
    name: CommandName
    seq: int
    value: Any = None


@dataclass(frozen=True, slots=True)
class Stepped:
    """One step a run took: its record, and when the step became a frame, its graph's shape (only when the shape
    changed since the run's last one) and values, keyed by the shape's signature."""

    run_id: str
    record: StepRecord
    signature: str | None = None
    shape: dict[str, Any] | None = None
    values: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A run's status as the worker has it after applying `seq` of its commands; `cost` is its measured seconds
    of CPU per step (None until it has stepped)."""

    run_id: str
    status: str
    seq: int
    message: str | None = None
    cost: float | None = None
    thinned: bool = False  # whether its graph is captured less often than its frames (the worker is short of time)


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Stop every run (each ends `stopped`), report it, and end the worker."""


Inbound = Start | Command | Shutdown
Outbound = Stepped | StatusReport
