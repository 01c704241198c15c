"""One viewer's outbox: written through at once while its socket keeps up, merged while it is behind, so a viewer
never holds up the run or the others."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass

import orjson

from app.engines.base import StepRecord
from app.runs import messages
from app.runs.stored import AnyRun


def dumps(message: object) -> str:
    """A message as JSON text (orjson: fast, and never writes NaN as a bare token; numpy arrays as lists)."""
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY).decode()


# Bytes past which a message for one socket alone is compressed all the same (a frame with its graph's values).
COMPRESS_ALONE = 8192


class Encoded:
    """A message serialized once for every viewer: its JSON as UTF-8 bytes, as text, and as the transport frames
    it (kept by the transport, one per way of framing, so each too is made once). `shared`: whether several
    sockets get it. A small message for one socket goes out uncompressed (per-message deflate lets each message
    choose): compressing a run's frame for its one viewer costs the event loop as much as the rest of the frame,
    for a kilobyte saved, and a class of watched runs sends thousands a second."""

    __slots__ = ("_text", "compress", "data", "frames")

    def __init__(self, message: object, shared: bool = True) -> None:
        self.data = orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)
        self.compress = shared or len(self.data) > COMPRESS_ALONE
        self.frames: dict[Hashable, bytes] = {}
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The JSON as a str, decoded on first use (only a socket sent the ordinary way needs it)."""
        if self._text is None:
            self._text = self.data.decode()
        return self._text


# Writes a message to the viewer's socket at once, or returns False when the socket cannot take it now.
WriteNow = Callable[[Encoded], bool]


@dataclass(slots=True)
class PendingFrame:
    """A frame waiting to be sent; `message` is the shared serialization, None once merged with a newer one."""

    start: int
    record: StepRecord
    rate: float
    message: Encoded | None


@dataclass(slots=True)
class PendingMessage:
    """A message (snapshot, status, presenter), ready or still being made; `final` ends the stream."""

    message: Encoded | asyncio.Future[Encoded]
    final: bool = False
    kind: str | None = None  # a newer message of the same kind replaces a waiting one (the lecturer's view)


def _leave_unread(making: asyncio.Future[Encoded]) -> None:
    # Marks a failure as seen, so a message no one waits for any more is not reported as an error never read.
    if not making.cancelled():
        making.exception()


class Viewer:
    """What one socket has yet to send; at most one frame waits at a time, however slow the socket.

    With `write_now`, a message goes straight to the socket from the publishing task whenever nothing waits
    before it: no task to wake per viewer and frame. Everything else waits here for `messages()`.
    """

    def __init__(self, run: AnyRun, write_now: WriteNow | None = None) -> None:
        self.run = run
        self._write_now = write_now
        self._items: deque[PendingFrame | PendingMessage] = deque()
        self._ready = asyncio.Event()
        self._sending = False  # the sender holds a message it has not finished sending

    def _written(self, message: Encoded) -> bool:
        return self._write_now is not None and not self._items and not self._sending and self._write_now(message)

    def offer_frame(self, start: int, record: StepRecord, rate: float, message: Encoded) -> None:
        """Send a frame, or queue it, or merge it into the one still waiting (keeping that one's first step)."""
        if self._written(message):
            return
        last = self._items[-1] if self._items else None
        if isinstance(last, PendingFrame):
            self._items[-1] = PendingFrame(last.start, record, rate, None)
        else:
            self._items.append(PendingFrame(start, record, rate, message))
        self._ready.set()

    def offer(self, message: Encoded, final: bool = False, kind: str | None = None) -> None:
        """Send a snapshot, status or presenter message, or queue it; one of a `kind` still waiting is replaced.
        The final one always waits for the sender, which closes the socket after it."""
        if not final and self._written(message):
            return
        if kind is not None:
            for i, item in enumerate(self._items):
                if isinstance(item, PendingMessage) and item.kind == kind:
                    self._items[i] = PendingMessage(message, final, kind)
                    return
        self._items.append(PendingMessage(message, final, kind))
        self._ready.set()

    def offer_later(self, making: asyncio.Future[Encoded]) -> None:
        """Queue a message still being made (a large snapshot, built off the event loop); what comes after it
        waits behind it. If it fails, the sender raises its error; a viewer gone by then leaves it unread."""
        making.add_done_callback(_leave_unread)
        self._items.append(PendingMessage(making))
        self._ready.set()

    def fail(self, error: Exception) -> None:
        """End the stream with an error: the sender raises it once what waits before it is sent."""
        failed: asyncio.Future[Encoded] = asyncio.get_running_loop().create_future()
        failed.set_exception(error)
        self.offer_later(failed)

    async def messages(self) -> AsyncIterator[Encoded]:
        """The messages to send the ordinary way, in order, ending after the final status."""
        while True:
            if not self._items:
                self._ready.clear()
                await self._ready.wait()
                continue
            item = self._items.popleft()
            self._sending = True
            try:
                if isinstance(item, PendingMessage):
                    message = item.message
                    yield message if isinstance(message, Encoded) else await message
                    if item.final:
                        return
                elif item.message is not None:
                    yield item.message
                else:  # only a viewer that fell behind costs per-viewer work (and gets the graph's shape again)
                    yield Encoded(messages.frame(self.run, item.start, item.record, item.rate, with_graph=True))
            finally:
                self._sending = False
