"""A run read back from the store: ended, light until viewed, its steps loaded on first use and cached."""

import asyncio
import contextlib
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

import numpy as np

from app.engines.base import EngineSpec, StepRecord
from app.engines.problem import Drawing
from app.graph.model import GraphNow
from app.run_config import RunConfig
from app.runs.run import ENDED, Run, RunStateError, RunStatus
from app.storage.chunks import check_steps, read_column, reading
from app.storage.frames import FoundGraph, GraphFrame, all_frames, frame_at, load_shapes, nearest, unpack
from app.storage.records import Column
from app.storage.store import RunRecord, RunStore

log = logging.getLogger(__name__)


class HistoryCache:
    """The losses of the few stored runs viewed last (what a viewer's snapshot needs); the rest stays on disk."""

    def __init__(self, store: RunStore, size: int) -> None:
        self.store = store
        self.size = size
        self._loaded: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def losses(self, run_id: str, param_count: int, count: int) -> np.ndarray:
        """The run's stored losses, read from the store unless viewed recently (blocking: never on the loop)."""
        with self._lock:  # held while reading, so two viewers of one run read it once
            loss = self._loaded.get(run_id)
            if loss is None:
                _warn_on_loop(run_id)
                pieces = list(read_column(self.store, run_id, param_count, "loss", 0, count))
                loss = np.concatenate(pieces) if pieces else np.empty(0)
                self._loaded[run_id] = loss
                while len(self._loaded) > self.size:
                    self._loaded.popitem(last=False)
            self._loaded.move_to_end(run_id)
            return loss


def _warn_on_loop(run_id: str, what: str = "steps") -> None:
    # A read from the database stalls every viewer when made on the event loop: loud, so a path that does is found.
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop()
        log.warning("the stored %s of run %s were read on the event loop", what, run_id)


class StoredHistory:
    """A stored run's steps, read as a History is: the count known at once, the numbers read when asked for, a
    chunk at a time (only the losses, which snapshots need, are kept, for the few runs viewed last)."""

    def __init__(self, run_id: str, count: int, param_names: tuple[str, ...], cache: HistoryCache) -> None:
        self.run_id = run_id
        self.count = count
        self.param_names = param_names
        self._cache = cache

    def losses(self, start: int, stop: int) -> list[float]:
        """Losses of steps start..stop-1 as Python floats."""
        loss = self._cache.losses(self.run_id, len(self.param_names), self.count)
        return loss[start : min(stop, self.count)].tolist()  # type: ignore[no-any-return]

    def column(self, column: Column, start: int, stop: int) -> Iterator[np.ndarray]:
        """Steps start..stop-1 (stop at most `count`) of one column, a stored chunk at a time (blocking)."""
        return read_column(self._cache.store, self.run_id, len(self.param_names), column, start, stop)

    def check(self) -> None:
        """Raise DamagedRun unless every stored chunk is whole (reads their sizes only; blocking)."""
        check_steps(self._cache.store, self.run_id, len(self.param_names), self.count)

    def columns(self) -> dict[str, object]:
        """The whole history as columns (built whole in memory: for tests and small runs)."""

        def whole(column: Column) -> np.ndarray:
            pieces = list(self.column(column, 0, self.count))
            return np.concatenate(pieces) if pieces else np.empty((0, len(self.param_names)))

        params, grads = whole("params"), whole("grads")
        return {
            "step": list(range(self.count)),
            "loss": self.losses(0, self.count),
            "params": {name: params[:, i].tolist() for i, name in enumerate(self.param_names)},
            "grads": {name: grads[:, i].tolist() for i, name in enumerate(self.param_names)},
        }

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
        self.class_code = record.class_code
        self.student = record.student
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

    thinned = False  # a stored run's graphs are what they are: no worker thins them any more

    @property
    def ended(self) -> bool:
        """Whether the run is over for good: always, once stored and read back."""
        return self.status in ENDED

    @functools.cached_property
    def _details(self) -> tuple[np.ndarray | None, dict[str, Any] | None, dict[str, Any] | None]:
        _warn_on_loop(self.id, "curve and graph")
        with reading(self.id, "curve and graph"):
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
        with reading(self.id, "graph shapes"):
            return load_shapes(self._store, self.id)

    def graph_at(self, step: int) -> FoundGraph | None:
        """The autograd graph of the framed step nearest at or before `step`, read from the store."""
        latest, shape_of = self.graph_values, self._shapes.get
        with reading(self.id, "graph frames"):
            frame, following = frame_at(self._store, self.id, step)
            return nearest(step, frame, following, latest, shape_of)

    def kept_graphs(self) -> tuple[list[GraphFrame], dict[str, dict[str, Any]]]:
        """The graph frames kept for replay, by step, and every shape they have, by signature."""
        shapes = self._shapes
        with reading(self.id, "graph frames"):
            frames = all_frames(self._store, self.id)
            for frame in frames:
                unpack(frame.data)  # each read whole once here, so a damaged one fails before an export has begun
        return frames, shapes

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

    def pause(self, wait: float = 0.0) -> None:
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
