"""One background thread that stores every live run's progress in batches, so training never waits on a disk."""

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.runs.history import GraphFramesState
from app.runs.run import ENDED, Run
from app.storage.frames import save_frames, save_shapes, thin_frames
from app.storage.schema import CHUNK_STEPS
from app.storage.store import ACTIVE, Batch, Chunk, RunRecord, RunStore, interrupted_message

log = logging.getLogger(__name__)

# What of a run's graph frames is stored: the next capture to write, the stride thinned to, the shapes' signatures.
FramesMark = tuple[int, int, frozenset[str]]


@dataclass
class _Tracked:
    """What of one run is already stored."""

    run: Run
    saved: bool = False  # its row exists
    written: int = 0  # steps stored
    row: tuple[Any, ...] = ()  # the changing fields as last written
    graph_values: object = None  # the graph values last written (compared by identity)
    frames: FramesMark = (0, 1, frozenset())


@dataclass
class _Rows:
    """What one flush writes for all its runs together, one statement of each kind."""

    new_chunks: list[Chunk] = field(default_factory=list)
    grown_chunks: list[Chunk] = field(default_factory=list)  # stored before with fewer rows
    changed: list[RunRecord] = field(default_factory=list)  # the runs whose row changed


class Writer:
    """Every `interval` seconds, writes what each watched run recorded since, in one transaction.

    Only this thread touches the database for live runs; a run's worker thread only appends to its History, and
    rows below `count` are final, so reading them here needs no lock. Its kept graph frames are one immutable
    state that the worker replaces whole (GraphFrames), so one read of it is consistent too.
    """

    def __init__(self, store: RunStore, interval: float, on_stored: Callable[[Run], None] | None = None) -> None:
        """`on_stored` is called (in this thread) with each run that has ended once all of it is stored."""
        self.store = store
        self.interval = interval
        self._on_stored = on_stored
        self._tracked: dict[str, _Tracked] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._interrupted: Mapping[str, str] = {}
        self._done = threading.Condition()
        self._started = self._finished = 0
        self._thread = threading.Thread(target=self._loop, name="run-writer", daemon=True)
        self._thread.start()

    def watch(self, run: Run) -> None:
        """Store this run from now until it has ended and all of it is written."""
        with self._lock:
            self._tracked[run.id] = _Tracked(run)

    def sync(self, timeout: float = 10.0) -> None:
        """Block until a flush that began after this call has finished (for tests and shutdown)."""
        with self._done:
            wanted = self._started + 1
            self._wake.set()
            self._done.wait_for(lambda: self._finished >= wanted, timeout)

    def interrupt(self, statuses: Mapping[str, str]) -> None:
        """Store these runs (id: their status when the server stops them) as `interrupted` rather than
        `stopped` from now on; call before stopping them, so no flush in between stores them as stopped."""
        self._interrupted = {**self._interrupted, **statuses}

    def close(self, timeout: float = 30.0) -> None:
        """Write everything left and stop."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            closing = self._closing
            with self._done:
                self._started += 1
                number = self._started
            try:
                self._flush()
            except Exception:  # a database hiccup must not end the writer: the next flush writes it all again
                log.exception("could not store the runs' progress")
            with self._done:
                self._finished = number
                self._done.notify_all()
            if closing:
                return

    def _flush(self) -> None:
        with self._lock:
            tracked = list(self._tracked.values())
        if not tracked:
            return
        with self.store.batch() as batch:
            # Every run's chunks and changed row go in one statement of each kind, after the rest of its news.
            news = _Rows()
            written = [(item, self._write(batch, item, news)) for item in tracked]
            batch.add_chunks(news.new_chunks)
            batch.replace_chunks(news.grown_chunks)
            batch.update_runs(news.changed)
        # Only once committed: after a failed transaction, the next flush writes the same news again.
        with self._lock:
            for item, (after, ended) in written:
                item.saved, item.written, item.row, item.graph_values, item.frames = after
                if ended:
                    self._tracked.pop(item.run.id, None)
        for item, (_, ended) in written:
            if ended and self._on_stored is not None:
                try:
                    self._on_stored(item.run)
                except Exception:  # the run stays in memory as it was: nothing is lost
                    log.exception("could not read run %s back from the store", item.run.id)

    def _write(
        self, batch: Batch, item: _Tracked, news: _Rows
    ) -> tuple[tuple[bool, int, tuple[Any, ...], object, FramesMark], bool]:
        """Write one run's news, its chunks and its changed row left in `news` for the flush to write with every
        other run's: what is then stored, and whether that is all of the run (it has ended)."""
        run = item.run
        status: str = run.status  # read before `latest`: once ended, latest is final
        ended = status in ENDED  # a run the server stops is written `interrupted` as soon as it is told, but all of
        # it is written only once it has ended: steps it took meanwhile are still to come
        message, started_at, ended_at = run.message, run.started_at, run.ended_at
        latest = run.latest
        curve = run.curve
        graph, graph_values = run.graph_now or (None, None)  # one read: a shape and the values of the same step
        frames = run.graph_frames.state  # read after `status`, like `latest`: once ended, final
        count = latest.step + 1 if latest else 0  # rows up to `latest`, which is set after its row
        if run.id in self._interrupted and (status in ACTIVE or status == "stopped"):
            message = interrupted_message(self._interrupted[run.id], count)
            status, ended_at = "interrupted", datetime.now(UTC)
        record = RunRecord(
            id=run.id,
            engine=run.engine.name,
            status=status,
            message=message,
            config=run.config.model_dump(mode="json"),
            param_names=run.param_names,
            created_at=run.created_at,
            control_hash=run.control_hash,
            started_at=started_at,
            ended_at=ended_at,
            steps_done=count,
            last_loss=latest.loss if latest else None,
            last_grads=latest.grads if latest else None,
            last_params=latest.updated if latest else None,
            curve=curve,
            class_code=run.class_code,
            student=run.student,
        )
        if not item.saved:
            batch.save_run(record)
        history = run.history
        for start in range(item.written - item.written % CHUNK_STEPS, count, CHUNK_STEPS):
            rows = slice(start, min(start + CHUNK_STEPS, count))
            steps = (history.loss[rows], history.params[rows], history.grads[rows])
            # A chunk stored before with fewer rows is rewritten, a new one added.
            (news.grown_chunks if start < item.written else news.new_chunks).append((run.id, start, *steps))
        row = (status, message, started_at, ended_at, count, id(curve))
        if item.saved and row != item.row:
            news.changed.append(record)
        if graph is not None and graph_values is not item.graph_values:
            batch.save_graph(run.id, graph, graph_values)
        written_frames = self._write_frames(batch, run.id, frames, item.frames)
        return (True, count, row, graph_values, written_frames), ended

    @staticmethod
    def _write_frames(batch: Batch, run_id: str, frames: GraphFramesState, before: FramesMark) -> FramesMark:
        """Bring the run's stored graph frames level with what it keeps: drop those it thinned out, add its new
        shapes and frames. What is then stored: the next capture to write, the stride, the shapes."""
        captured, stride, shapes = before
        if frames.stride != stride:
            thin_frames(batch, run_id, frames.stride)
        save_shapes(batch, run_id, {s: shape for s, shape in frames.shapes.items() if s not in shapes})
        save_frames(batch, run_id, [frame for frame in frames.frames if frame.seq >= captured])
        return frames.captured, frames.stride, frozenset(frames.shapes)
