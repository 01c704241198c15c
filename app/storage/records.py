"""What the store reads and writes: a run's row, its steps as arrays, its latest details."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np

FLOAT = np.dtype("<f8")  # the byte order of every stored number, whatever the machine's
ACTIVE = ("queued", "running", "paused")  # statuses a run cannot keep once the server that ran it is gone
Column = Literal["loss", "params", "grads"]  # what a step holds: its loss, its weights, its gradient


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run's row: what the run list shows, without its steps."""

    id: str
    engine: str
    status: str
    message: str | None
    config: dict[str, Any]
    param_names: tuple[str, ...]
    created_at: datetime
    control_hash: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    steps_done: int = 0
    last_loss: float | None = None
    last_grads: tuple[float, ...] | None = None
    last_params: tuple[float, ...] | None = None  # the weights after the last step's update
    curve: np.ndarray | None = None
    class_code: str | None = None  # the class it was started in, and by which of its students (null outside one)
    student: str | None = None


@dataclass(frozen=True, slots=True)
class Steps:
    """Stored steps as arrays: loss (n,), params and grads (n, number of parameters)."""

    loss: np.ndarray
    params: np.ndarray
    grads: np.ndarray


@dataclass(frozen=True, slots=True)
class Details:
    """What only a viewer of a stored run needs: the latest curve and autograd graph."""

    curve: np.ndarray | None
    graph: dict[str, Any] | None
    graph_values: dict[str, Any] | None


def interrupted_message(status: str, steps_done: int) -> str:
    """Why a run is `interrupted`, in words."""
    return f"the server stopped while this run was {status}, at step {steps_done}"


class DamagedRun(Exception):
    """Part of a stored run (`what`: its steps, curve or graph frames) does not read back as it was written."""

    def __init__(self, run_id: str, what: str, reason: str) -> None:
        super().__init__(f"the stored {what} of run {run_id} are damaged: {reason}")
        self.run_id = run_id
