"""A run read back from the store: ended, light until viewed, its steps loaded on first use and cached."""

import functools
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, cast

import numpy as np

from app.engines.base import EngineSpec, StepRecord
from app.engines.problem import Drawing
from app.graph.model import GraphNow
from app.run_config import RunConfig
from app.runs.history import History
from app.runs.run import ENDED, Run, RunStateError, RunStatus
from app.storage.frames import FoundGraph, GraphFrame, all_frames, frame_at, load_shapes, nearest
from app.storage.store import RunRecord, RunStore


class HistoryCache:
    """The steps of the few stored runs viewed last; the others stay on disk."""

    def __init__(self, store: RunStore, size: int) -> None:
        self.store = store
        self.size = size
        self._loaded: OrderedDict[str, History] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_id: str, param_names: tuple[str, ...]) -> History:
        """The run's stored steps as a History, read from the store unless viewed recently."""
        with self._lock:  # held while reading, so two viewers of one run read it once
            history = self._loaded.get(run_id)
            if history is None:
                steps = self.store.load_history(run_id, len(param_names))
                history = History(0, param_names)
                history.loss, history.params, history.grads = steps.loss, steps.params, steps.grads
                history.count = len(steps.loss)
                self._loaded[run_id] = history
                while len(self._loaded) > self.size:
                    self._loaded.popitem(last=False)
            self._loaded.move_to_end(run_id)
            return history


class StoredHistory:
    """A stored run's steps, as a History reads: the count known at once, the numbers loaded when first read."""

    def __init__(self, run_id: str, count: int, param_names: tuple[str, ...], cache: HistoryCache) -> None:
        self.run_id = run_id
        self.count = count
        self.param_names = param_names
        self._cache = cache

    def _history(self) -> History:
        return self._cache.get(self.run_id, self.param_names)

    @property
    def loss(self) -> np.ndarray:
        """Losses by step."""
        return self._history().loss

    @property
    def params(self) -> np.ndarray:
        """Weights by step, before its update."""
        return self._history().params

    @property
    def grads(self) -> np.ndarray:
        """Gradients by step."""
        return self._history().grads

    def losses(self, start: int, stop: int) -> list[float]:
        """Losses of steps start..stop-1 as Python floats."""
        return self._history().losses(start, min(stop, self.count))

    def columns(self) -> dict[str, object]:
        """The whole history as columns."""
        return self._history().columns()

    def nbytes(self) -> int:
        """Bytes of the recorded steps."""
        return self.count * 8 * (1 + 2 * len(self.param_names))


class StoredRun:
    """An ended run from the database, read the way a live Run is read (messages, feeds, REST)."""

    def __init__(
        self, record: RunRecord, engine: EngineSpec, store: RunStore, cache: HistoryCache, curve_points: int
    ) -> None:
        self.id = record.id
        self.config = RunConfig.model_validate(record.config)
        self.engine = engine
        self.param_names = record.param_names
        self.status = cast(RunStatus, record.status)
        self.message = record.message
        self.control_hash = record.control_hash
        self.presenter: dict[str, object] | None = None
        self.created_at: datetime = record.created_at
        self.started_at = record.started_at
        self.ended_at = record.ended_at
        self.history = StoredHistory(record.id, record.steps_done, record.param_names, cache)
        self.latest: StepRecord | None = None
        if record.steps_done and record.last_loss is not None:
            self.latest = StepRecord(
                step=record.steps_done - 1,
                loss=record.last_loss,
                params=(),  # the weights before the last update are in the history; only those after are shown
                grads=record.last_grads or (),
                updated=record.last_params or (),
            )
        self._store = store
        self._curve_points = curve_points

    @property
    def ended(self) -> bool:
        """Whether the run is over for good: always, once stored and read back."""
        return self.status in ENDED

    @functools.cached_property
    def _details(self) -> tuple[np.ndarray | None, dict[str, Any] | None, dict[str, Any] | None]:
        details = self._store.load_details(self.id)
        return details.curve, details.graph, details.graph_values

    @property
    def curve(self) -> np.ndarray | None:
        """The latest prediction curve, if it fits the drawing grid."""
        curve = self._details[0]
        return curve if curve is not None and len(curve) == len(self.curve_x) else None

    @property
    def graph(self) -> dict[str, Any] | None:
        """The shape of the last autograd graph captured."""
        return self._details[1]

    @property
    def graph_values(self) -> dict[str, Any] | None:
        """The values of the last autograd graph captured."""
        return self._details[2]

    @property
    def graph_now(self) -> GraphNow | None:
        """The last autograd graph captured: its shape and its values."""
        shape = self.graph
        return (shape, self.graph_values) if shape is not None else None

    @functools.cached_property
    def _shapes(self) -> dict[str, dict[str, Any]]:
        return load_shapes(self._store, self.id)

    def graph_at(self, step: int) -> FoundGraph | None:
        """The autograd graph of the framed step nearest at or before `step`, read from the store."""
        frame, following = frame_at(self._store, self.id, step)
        return nearest(step, frame, following, self.graph_values, self._shapes.get)

    def kept_graphs(self) -> tuple[list[GraphFrame], dict[str, dict[str, Any]]]:
        """The graph frames kept for replay, by step, and every shape they have, by signature."""
        return all_frames(self._store, self.id), self._shapes

    @functools.cached_property
    def drawing(self) -> Drawing:
        """The data, the target and the grid, made again from the config (the seed makes them the same)."""
        curve = self._details[0]
        points = len(curve) if curve is not None else self._curve_points
        curve_x = np.linspace(self.config.x_min, self.config.x_max, points)
        return self.engine.drawing(self.config, self.engine.make_problem(self.config), curve_x)

    @property
    def curve_x(self) -> np.ndarray:
        """Where the curve is drawn."""
        return self.drawing.grid

    def _refuse(self, command: str) -> None:
        raise RunStateError(f"cannot {command} a run that is {self.status}")

    def pause(self) -> None:
        """Refused: a stored run has ended."""
        self._refuse("pause")

    def resume(self) -> None:
        """Refused: a stored run has ended."""
        self._refuse("resume")

    def step(self) -> None:
        """Refused: a stored run has ended."""
        self._refuse("step")

    def stop(self) -> None:
        """Refused: a stored run has ended."""
        self._refuse("stop")

    def set_pace(self, pace: float | None) -> None:
        """Refused: a stored run has ended."""
        self._refuse("change the pace of")

    def join(self, timeout: float) -> None:
        """Nothing to wait for."""


# What messages, feeds and routes read: a live run or a stored one.
AnyRun = Run | StoredRun
