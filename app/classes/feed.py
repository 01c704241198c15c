"""A class's feed: every tick, one class frame with every run's new losses, built and serialized once (off the
event loop) for all the class's viewers, whatever their number."""

import asyncio
import contextlib
import logging
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from app.classes.entries import class_info, student_name
from app.classes.registry import ClassRegistry, Classroom
from app.classes.rules import differing, varying
from app.classes.viewer import ClassViewer
from app.runs.run import ENDED
from app.runs.stored import AnyRun
from app.runs.viewer import Encoded, WriteNow

log = logging.getLogger(__name__)

SLICE = 100  # viewers offered a message between two turns of the event loop
FindRun = Callable[[str], AnyRun | None]  # a run by id, None if it is gone (blocking: may read the store)
Prepare = Callable[[Encoded], Encoded]  # frames a message for the sockets ahead of time (in the building thread)


class Serialized(Encoded):
    """A message whose JSON was put together from parts already serialized."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.compress = True
        self.frames = {}
        self._text = None


@dataclass(slots=True)
class Mark:
    """What the class's viewers have of one run: its losses so far, its status and message as last sent."""

    student: str | None
    config: dict[str, Any]  # the run's whole config, as JSON
    status: str
    message: str | None
    losses: array  # type: ignore[type-arg]  # float64, every loss sent
    done: bool = False  # ended and every loss sent: nothing more will come
    json: bytes | None = None  # once done, its snapshot entry serialized


class ClassFeed:
    """Turns a class's runs' progress into class frames for its viewers, while it has any."""

    def __init__(
        self, room: Classroom, registry: ClassRegistry, find: FindRun, interval: float, prepare: Prepare
    ) -> None:
        self.room = room
        self.prepare = prepare
        self.registry = registry
        self.find = find
        self.interval = interval
        self.viewers: set[ClassViewer] = set()
        self._joining: list[ClassViewer] = []  # given the next snapshot, then frames
        self._marks: dict[str, Mark] = {}
        self._skipped: set[str] = set()  # runs that could not be read: left out from then on
        self._varying: list[str] = []
        self._counted = 0  # runs that `_varying` was worked out over
        self._presenter = room.presenter
        self._lock = threading.Lock()  # one build at a time (builds run in a worker thread)
        self._task: asyncio.Task[None] | None = None
        self.builds = 0  # class frames built (for tests: one per tick, whatever the number of viewers)

    def join(self, write_now: WriteNow | None = None) -> ClassViewer:
        """A new viewer: sent the snapshot of the next tick, then every frame after it."""
        viewer = ClassViewer(write_now)
        self._joining.append(viewer)
        if self._task is None:
            self._task = asyncio.create_task(self._tick(), name=f"class-feed-{self.room.code}")
        return viewer

    def leave(self, viewer: ClassViewer) -> None:
        """Forget a viewer whose socket is gone."""
        viewer.gone = True
        self.viewers.discard(viewer)
        with contextlib.suppress(ValueError):
            self._joining.remove(viewer)

    @property
    def watched(self) -> bool:
        """Whether anyone views the class or waits to."""
        return bool(self.viewers or self._joining)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        try:
            while self.watched:
                joining, self._joining = self._joining, []
                frame, snapshot = await asyncio.to_thread(self._build, bool(joining))
                await self._deliver(frame, snapshot, joining)
                due = max(due + self.interval, loop.time())
                await asyncio.sleep(due - loop.time())
        except Exception as error:
            log.error("class %s: its feed failed", self.room.code, exc_info=error)
            for viewer in [*self.viewers, *self._joining]:
                viewer.fail(RuntimeError(f"the feed of class {self.room.code} failed: {error!r}"))
        finally:
            self._task = None

    async def _deliver(
        self, frame: tuple[Encoded, dict[str, Any]] | None, snapshot: Encoded | None, joining: list[ClassViewer]
    ) -> None:
        """Offer the frame to the viewers that had the snapshot before it, the snapshot to those who joined (the
        frame's news is in it), and the lecturer's view to all when it changed."""
        offers: list[Callable[[ClassViewer], None]] = []
        if frame is not None:
            message, body = frame
            offers.append(lambda viewer: viewer.offer_frame(message, body))
        presenter = self.room.presenter
        view: Encoded | None = None
        if presenter is not self._presenter:
            self._presenter = presenter
            view = Encoded({"type": "presenter", "state": presenter})
            offers.append(lambda viewer: viewer.offer(view, kind="presenter"))
        viewers = list(self.viewers)
        for start in range(0, len(viewers), SLICE):
            if start:
                await asyncio.sleep(0)
            for viewer in viewers[start : start + SLICE]:
                for offer in offers:
                    offer(viewer)
        if snapshot is not None:
            for viewer in joining:
                if viewer.gone:  # left while its snapshot was being made
                    continue
                viewer.offer(snapshot)
                if view is not None:  # the snapshot may show the lecturer's view from before this change
                    viewer.offer(view, kind="presenter")
                self.viewers.add(viewer)

    def _build(self, with_snapshot: bool) -> tuple[tuple[Encoded, dict[str, Any]] | None, Encoded | None]:
        """What is new in the class since the last frame, as one serialized class frame (None if nothing is), and
        with `with_snapshot` the whole class as it then stands (blocking: reads stored runs; runs in a thread)."""
        with self._lock:
            first = self.builds == 0  # the first build's news is all in the snapshot its joiners get
            runs: dict[str, dict[str, Any]] = {}
            added: list[dict[str, Any]] = []
            removed: list[str] = []
            ids = self.registry.run_ids(self.room)
            for run_id in ids:
                if run_id in self._skipped:
                    continue
                try:
                    self._visit(run_id, first, runs, added, removed)
                except Exception:  # one run that cannot be read (damaged in the store) must not end the class's feed
                    log.warning("class %s: run %s cannot be read; its feed goes on without it", self.room.code, run_id)
                    self._skipped.add(run_id)
            self.builds += 1
            body: dict[str, Any] = {"type": "class_frame", "runs": runs, "added": added}
            if removed:
                body["removed"] = removed
            # Only runs joining or leaving the feed change what varies among them (a config is read once, with
            # its run's first losses): not worth the work on the other ticks.
            changed = first or added or removed or len(self._marks) != self._counted
            self._counted = len(self._marks)
            now_varying = varying(mark.config for mark in self._marks.values()) if changed else self._varying
            if now_varying != self._varying:
                self._varying = now_varying
                body["varying"] = now_varying
            news_at_all = bool(runs or added or removed) or "varying" in body
            frame = (self.prepare(Encoded(body)), body) if news_at_all and not first else None
            snapshot = self.prepare(Serialized(self._snapshot())) if with_snapshot else None
            return frame, snapshot

    def _visit(
        self, run_id: str, first: bool, runs: dict[str, dict[str, Any]], added: list[dict[str, Any]], removed: list[str]
    ) -> None:
        """Add one run's news to the frame being built: new losses and changes, or the whole run if it is new to
        this feed (in the snapshot only, on the first build), or its removal if it is gone."""
        mark = self._marks.get(run_id)
        if mark is not None and mark.done:
            return
        run = self.find(run_id)
        if run is None:
            if mark is not None:
                del self._marks[run_id]
                removed.append(run_id)
            self.registry.forget_run(self.room, run_id)
            return
        if mark is None:
            mark = self._mark(run)
            self._marks[run_id] = mark
            if not first:
                added.append(self._entry(run_id, mark))
            return
        news = self._news(run, mark)
        if news is not None:
            runs[run_id] = news

    @staticmethod
    def _mark(run: AnyRun) -> Mark:
        status, message = run.status, run.message  # read before the count: once ended, the count is final
        count = run.history.count
        losses = array("d", run.history.losses(0, count))
        config = run.config.model_dump(mode="json")
        return Mark(run.student, config, status, message, losses, done=status in ENDED)

    @staticmethod
    def _news(run: AnyRun, mark: Mark) -> dict[str, Any] | None:
        """A run's news since the last frame (its new losses, from `start` on; status and message if changed)."""
        status, message = run.status, run.message
        count = run.history.count
        start = len(mark.losses)
        news: dict[str, Any] = {"start": start, "losses": []}
        if count > start:
            losses = run.history.losses(start, count)
            mark.losses.extend(losses)
            news["losses"] = losses
        if status != mark.status:
            mark.status = news["status"] = status
        if message != mark.message:
            mark.message = news["message"] = message
        mark.done = status in ENDED
        return news if len(news) > 2 or news["losses"] else None

    def _entry(self, run_id: str, mark: Mark) -> dict[str, Any]:
        """A run as the snapshot and `added` show it, with every loss so far."""
        return {
            "id": run_id,
            "student": mark.student,
            "name": student_name(self.room, mark.student),
            "status": mark.status,
            "config": differing(self.room.record.settings, mark.config),
            "message": mark.message,
            "losses": mark.losses.tolist(),
        }

    def _snapshot(self) -> bytes:
        """The class_snapshot message as JSON: an ended run's entry is serialized once and reused by every later
        snapshot, so a class whose runs have ended is sent to a newcomer for the cost of joining bytes."""
        head = orjson.dumps(
            {
                "type": "class_snapshot",
                "class": class_info(self.room),
                "varying": self._varying,
                "presenter": self.room.presenter,
            }
        )
        entries = b",".join(self._entry_json(run_id, mark) for run_id, mark in self._marks.items())
        return head[:-1] + b',"runs":[' + entries + b"]}"

    def _entry_json(self, run_id: str, mark: Mark) -> bytes:
        if mark.json is not None:
            return mark.json
        data = orjson.dumps(self._entry(run_id, mark))
        if mark.done:  # nothing of it changes any more
            mark.json = data
        return data

    async def close(self) -> None:
        """Stop ticking (at shutdown, or once nobody watches)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
