"""The class feeds of this server: one per class that has viewers, made when the first comes, gone with the last."""

import contextlib
from collections.abc import AsyncIterator

from app.classes.feed import ClassFeed, FindRun, Prepare
from app.classes.registry import ClassRegistry, Classroom
from app.classes.viewer import ClassViewer
from app.runs.viewer import Encoded, WriteNow


def _as_it_is(message: Encoded) -> Encoded:
    return message


class ClassHub:
    """The feeds of the classes that have viewers."""

    def __init__(self, registry: ClassRegistry, find: FindRun, frame_rate: float, prepare: Prepare = _as_it_is) -> None:
        """`prepare` frames each message ahead of time, off the event loop (app.web.class_framing.preframe)."""
        self.registry = registry
        self.find = find
        self.prepare = prepare
        self.interval = 1.0 / frame_rate
        self._feeds: dict[str, ClassFeed] = {}

    def feed(self, code: str) -> ClassFeed | None:
        """The feed of a class that has viewers now."""
        return self._feeds.get(code)

    @contextlib.asynccontextmanager
    async def subscribe(self, room: Classroom, write_now: WriteNow | None = None) -> AsyncIterator[ClassViewer]:
        """A viewer of the class for the duration of the block; `write_now` sends straight to its socket."""
        feed = self._feeds.get(room.code)
        if feed is None:
            feed = self._feeds[room.code] = ClassFeed(room, self.registry, self.find, self.interval, self.prepare)
        viewer = feed.join(write_now)
        try:
            yield viewer
        finally:
            feed.leave(viewer)
            if not feed.watched and self._feeds.get(room.code) is feed:
                del self._feeds[room.code]  # its ticker ends by itself after its current tick

    async def close(self) -> None:
        """Stop every feed."""
        for feed in list(self._feeds.values()):
            await feed.close()
