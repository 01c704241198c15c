"""One viewer's outbox: frames merge while the viewer is behind, so it never holds up the run or others."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson

from app.engines.base import StepRecord
from app.runs import messages
from app.runs.stored import AnyRun


def dumps(message: object) -> str:
    """A message as JSON text (orjson: fast, and never writes NaN as a bare token)."""
    return orjson.dumps(message).decode()


@dataclass(slots=True)
class PendingFrame:
    """A frame waiting to be sent; `text` is the shared serialization, None once merged with a newer one."""

    start: int
    record: StepRecord
    rate: float
    text: str | None


@dataclass(slots=True)
class PendingText:
    """A ready message (snapshot, status, presenter); `final` ends the stream."""

    text: str
    final: bool = False
    kind: str | None = None  # a newer message of the same kind replaces a waiting one (the lecturer's view)


class Viewer:
    """Holds what one socket has yet to send; at most one frame waits at a time, however slow the socket."""

    def __init__(self, run: AnyRun) -> None:
        self.run = run
        self._items: deque[PendingFrame | PendingText] = deque()
        self._ready = asyncio.Event()

    def offer_frame(self, start: int, record: StepRecord, rate: float, text: str) -> None:
        """Queue a frame, or merge it into the one still waiting (keeping that one's first step)."""
        last = self._items[-1] if self._items else None
        if isinstance(last, PendingFrame):
            self._items[-1] = PendingFrame(last.start, record, rate, None)
        else:
            self._items.append(PendingFrame(start, record, rate, text))
        self._ready.set()

    def offer_text(self, text: str, final: bool = False, kind: str | None = None) -> None:
        """Queue a snapshot, status or presenter message; one of a `kind` still waiting is replaced."""
        if kind is not None:
            for i, item in enumerate(self._items):
                if isinstance(item, PendingText) and item.kind == kind:
                    self._items[i] = PendingText(text, final, kind)
                    return
        self._items.append(PendingText(text, final, kind))
        self._ready.set()

    async def messages(self) -> AsyncIterator[str]:
        """The texts to send, in order, ending after the final status."""
        while True:
            if not self._items:
                self._ready.clear()
                await self._ready.wait()
                continue
            item = self._items.popleft()
            if isinstance(item, PendingText):
                yield item.text
                if item.final:
                    return
            elif item.text is not None:
                yield item.text
            else:  # only a viewer that fell behind costs per-viewer work (and gets the graph's shape again)
                yield dumps(messages.frame(self.run, item.start, item.record, item.rate, with_graph=True))
