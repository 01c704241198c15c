"""GET /api/classes/{code}'s answer, made once per class frame interval and shared by every page that asks."""

import threading
import time
from collections.abc import Callable

import orjson

from app.classes.entries import class_info, run_summary
from app.classes.registry import ClassRegistry, Classroom
from app.runs.stored import AnyRun

FindRun = Callable[[str], AnyRun | None]


class ClassAnswers:
    """A class with its runs' summaries as JSON bytes, remade at most once per `interval` (and when a run is
    added), so a hall of pages asking costs one answer's making, not one per page."""

    def __init__(self, registry: ClassRegistry, find: FindRun, interval: float) -> None:
        self.registry = registry
        self.find = find
        self.interval = interval
        # (code, join link: it depends on the address a page asked at) → (when, the class's version, the answer)
        self._made: dict[tuple[str, str], tuple[float, int, bytes]] = {}
        self._lock = threading.Lock()  # one making at a time: pages asking together wait for it, then share it
        self.makings = 0

    def answer(self, room: Classroom, join_url: str) -> bytes:
        """The class and its runs as JSON (blocking: may read stored runs; call off the event loop)."""
        with self._lock:
            key = (room.code, join_url)
            made = self._made.get(key)
            now = time.monotonic()
            if made is None or now - made[0] >= self.interval or made[1] != room.version:
                version = room.version
                body = self._make(room, join_url)
                made = self._made[key] = (now, version, body)
            return made[2]

    def _make(self, room: Classroom, join_url: str) -> bytes:
        self.makings += 1
        summaries = []
        for run_id in self.registry.run_ids(room):
            run = self.find(run_id)
            if run is not None:
                summaries.append(run_summary(room, run))
        info = class_info(room) | {"join_url": join_url, "view_url": f"/class/{room.code}", "runs": summaries}
        return orjson.dumps(info)
