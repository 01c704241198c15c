"""One class viewer's outbox: written through at once while its socket keeps up; while it is behind, the class
frames waiting for it are merged into one, so every loss still arrives exactly once and the wait stays short."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from app.runs.viewer import Encoded, WriteNow


@dataclass(slots=True)
class Pending:
    """A message waiting to be sent: shared bytes, or (a merged class frame) its body to serialize when sent."""

    message: Encoded | None
    body: dict[str, Any] | None = None  # a class frame's body, kept so a newer one can be merged into it
    kind: str | None = None  # a newer message of the same kind replaces a waiting one (the lecturer's view)


def merge(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """Two successive class frames as one: each run's losses joined (start stays the older one's), its latest
    status and message, the runs added by either (news of a run added in the older one folded into its entry)."""
    runs = {run_id: dict(entry) for run_id, entry in older["runs"].items()}
    added = [dict(entry) for entry in older.get("added", ())]
    by_id = {entry["id"]: entry for entry in added}
    for run_id, news in newer["runs"].items():
        target = runs.get(run_id)
        if target is None and run_id in by_id:
            target = by_id[run_id]
        if target is None:
            runs[run_id] = dict(news)
            continue
        target["losses"] = [*target["losses"], *news["losses"]]
        for key in ("status", "message"):
            if key in news:
                target[key] = news[key]
    added.extend(newer.get("added", ()))
    merged: dict[str, Any] = {"type": "class_frame", "runs": runs, "added": added}
    removed = [*older.get("removed", ()), *newer.get("removed", ())]
    if removed:
        merged["removed"] = removed
        gone = set(removed)
        merged["runs"] = {run_id: entry for run_id, entry in runs.items() if run_id not in gone}
        merged["added"] = [entry for entry in added if entry["id"] not in gone]
    if "varying" in newer or "varying" in older:
        merged["varying"] = newer.get("varying", older.get("varying"))
    return merged


class ClassViewer:
    """What one socket of a class feed has yet to send; at most one class frame waits, however slow the socket."""

    def __init__(self, write_now: WriteNow | None = None) -> None:
        self._write_now = write_now
        self._items: deque[Pending] = deque()
        self._ready = asyncio.Event()
        self._sending = False
        self.failure: Exception | None = None
        self.gone = False  # its socket is gone: the feed offers it nothing more

    def _written(self, message: Encoded) -> bool:
        return self._write_now is not None and not self._items and not self._sending and self._write_now(message)

    def offer_frame(self, message: Encoded, body: dict[str, Any]) -> None:
        """Send a class frame, or queue it, or merge it into the one still waiting."""
        if self._written(message):
            return
        last = self._items[-1] if self._items else None
        if last is not None and last.body is not None:
            self._items[-1] = Pending(None, merge(last.body, body))
        else:
            self._items.append(Pending(message, body))
        self._ready.set()

    def offer(self, message: Encoded, kind: str | None = None) -> None:
        """Send a snapshot or presenter message, or queue it; one of a `kind` still waiting is replaced."""
        if self._written(message):
            return
        if kind is not None:
            for i, item in enumerate(self._items):
                if item.kind == kind:
                    self._items[i] = Pending(message, kind=kind)
                    return
        self._items.append(Pending(message, kind=kind))
        self._ready.set()

    def fail(self, error: Exception) -> None:
        """End the stream with an error once what waits before it is sent."""
        self.failure = error
        self._ready.set()

    async def messages(self) -> AsyncIterator[Encoded]:
        """The messages to send the ordinary way, in order; raises the feed's failure, if it fails."""
        while True:
            if not self._items:
                if self.failure is not None:
                    raise self.failure
                self._ready.clear()
                await self._ready.wait()
                continue
            item = self._items.popleft()
            self._sending = True
            try:
                # Only a viewer that fell behind costs work of its own: its merged frame, serialized for it alone.
                yield item.message if item.message is not None else Encoded(item.body)
            finally:
                self._sending = False
