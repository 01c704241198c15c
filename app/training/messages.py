"""What passes between the web process and a training worker: the bus's payloads, plain picklable records."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from app.engines.base import StepRecord

# `hold`: the server takes a running run off its worker's time (it falls behind) and it waits, queued; `admit`: it
# goes on. Either is the admission's, never a user's.
CommandName = Literal["pause", "resume", "step", "stop", "pace", "watch", "hold", "admit"]


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
    seq: int = 0  # the run's commands so far (a run paused and resumed while it waited has had some)


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
class Graphed:
    """The graph of one framed step: its shape only when it changed since the run's previous graph."""

    step: int
    signature: str
    shape: dict[str, Any] | None
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StepBatch:
    """A run's steps since its last batch, as columns (a full-speed run takes thousands a second: one message, and
    one copy into the run's history, for all of them), with the last step whole and the graphs captured. A batch
    of one step (a paced run's) has no columns: its `last` is all of it, and goes between processes in a sixth of
    the time three arrays take."""

    run_id: str
    loss: np.ndarray | None  # (n,); None: one step, `last`
    params: np.ndarray | None  # (n, weights): the weights each step started from
    grads: np.ndarray | None  # (n, weights)
    last: StepRecord  # the last step, its weights after the update and its curve (if it has one) included
    curve: np.ndarray | None  # the newest prediction curve among the steps (None: none carried one)
    graphs: tuple[Graphed, ...] = ()

    def __reduce__(self) -> tuple[type["StepBatch"], tuple[Any, ...]]:
        """Pickled as its fields in order: a class of paced runs sends thousands a second, and a dataclass's own
        way (its fields by name, read back one by one in Python) takes a third longer each way."""
        return StepBatch, (self.run_id, self.loss, self.params, self.grads, self.last, self.curve, self.graphs)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The steps' losses (n,), weights and gradients (n, weights), one row a step."""
        if self.loss is None or self.params is None or self.grads is None:
            last = self.last
            return np.array([last.loss]), np.array([last.params]), np.array([last.grads])
        return self.loss, self.params, self.grads


def batch(steps: Sequence[Stepped]) -> StepBatch:
    """One run's steps (in order, at least one) as one batch."""
    graphs = tuple(
        Graphed(step.record.step, step.signature, step.shape, step.values)
        for step in steps
        if step.signature is not None and step.values is not None
    )
    if len(steps) == 1:
        record = steps[0].record
        return StepBatch(steps[0].run_id, None, None, None, record, record.curve, graphs)
    records = [step.record for step in steps]
    curve = next((record.curve for record in reversed(records) if record.curve is not None), None)
    return StepBatch(
        steps[0].run_id,
        np.array([record.loss for record in records], dtype=np.float64),
        np.array([record.params for record in records], dtype=np.float64),
        np.array([record.grads for record in records], dtype=np.float64),
        records[-1],
        curve,
        graphs,
    )


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
class WorkerReport:
    """How the worker keeps up: the share of its paced steps in the last interval that ran late (past their due
    time by more than a frame), however the time was lost (its runs, its captures, or a machine that gave it none)."""

    late: float
    paced_steps: int


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Stop every run (each ends `stopped`), report it, and end the worker."""


Inbound = Start | Command | Shutdown
RunReport = StepBatch | StatusReport  # what a worker says of one run
Outbound = RunReport | WorkerReport
