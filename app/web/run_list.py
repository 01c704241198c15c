"""The run list as `GET /api/runs` answers it: built once per change (at most once a second while runs only step),
encoded and gzip-compressed once, and revalidated by its ETag, so one more page asking costs next to nothing."""

import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.runs.manager import RunManager
from app.runs.stored import AnyRun
from app.runs.unreadable import UnreadableRun

Listed = AnyRun | UnreadableRun

# Seconds the step counts and losses of moving runs may lag in the list: a page asks every few seconds anyway, and
# a hall of pages then costs one build a second, not one per request. A status change shows at once.
STEP_REFRESH = 1.0
GZIP_LEVEL = 6  # the usual trade: most of the size gone for a few ms, once per build


@dataclass(frozen=True)
class RunListing:
    """One build of the list: its JSON, compressed too, its ETag, and what tells whether it is still current."""

    body: bytes
    gzipped: bytes
    etag: str
    generation: int  # the manager's, when built
    live: tuple[Listed, ...]  # the runs not yet ended: only they can change without the generation moving
    statuses: tuple[tuple[str, str | None], ...]  # their status and message, when built
    steps: tuple[int, ...]  # their steps recorded, when built
    built: float


def _statuses(live: tuple[Listed, ...]) -> tuple[tuple[str, str | None], ...]:
    return tuple((run.status, run.message) for run in live)


def _steps(live: tuple[Listed, ...]) -> tuple[int, ...]:
    return tuple(run.history.count for run in live if not isinstance(run, UnreadableRun))


class RunList:
    """Keeps the current build of the run list; `encode` writes one run as its JSON object."""

    def __init__(self, manager: RunManager, encode: Callable[[Listed], bytes]) -> None:
        self._manager = manager
        self._encode = encode
        self._ended: dict[str, tuple[Listed, bytes]] = {}  # an ended run's JSON, made once: it no longer changes
        self._current: RunListing | None = None
        self._lock = threading.Lock()  # one build at a time: a hall asking at once waits for it, then shares it

    def cached(self) -> RunListing | None:
        """The current build if it is still good (cheap: reads only the moving runs' status and step), else None."""
        current = self._current
        if current is None or current.generation != self._manager.generation:
            return None
        if _statuses(current.live) != current.statuses:
            return None
        if time.monotonic() - current.built >= STEP_REFRESH and _steps(current.live) != current.steps:
            return None
        return current

    def current(self) -> RunListing:
        """The current build, made anew if stale (blocking for the length of one build: call it off the loop)."""
        with self._lock:
            return self.cached() or self._build()

    def _build(self) -> RunListing:
        # The generation and the moving runs' state are read before the runs are encoded: a change while encoding
        # then makes the next request build again, never keeps a stale list.
        # Only a run that had ended before its JSON was made may keep that JSON: one ending meanwhile may be
        # written as still running.
        generation = self._manager.generation
        runs = self._manager.listing()
        ended = [run.ended for run in runs]
        live = tuple(run for run, over in zip(runs, ended, strict=True) if not over)
        statuses, steps = _statuses(live), _steps(live)
        parts = [self._encoded(run) for run in runs]
        self._ended = {run.id: (run, part) for run, part, over in zip(runs, parts, ended, strict=True) if over}
        body = b"[" + b",".join(parts) + b"]"
        etag = 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        gzipped = gzip.compress(body, GZIP_LEVEL, mtime=0)
        self._current = RunListing(body, gzipped, etag, generation, live, statuses, steps, time.monotonic())
        return self._current

    def _encoded(self, run: Listed) -> bytes:
        kept = self._ended.get(run.id)
        if kept is not None and kept[0] is run:
            return kept[1]
        return self._encode(run)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for it; `*` matches)."""
    if not if_none_match:
        return False
    tag = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header takes gzip (named without `q=0`)."""
    for coding in (accept_encoding or "").lower().split(","):
        name, _, params = coding.partition(";")
        if name.strip() in ("gzip", "x-gzip"):
            quality = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False
