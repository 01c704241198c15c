"""A lecture being taught: which lecture, the scene on screen and the runs it shows. The lecturer's page moves it
(with the session's token); students' pages follow it, each waiting for the next change rather than polling."""

import asyncio
import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass, field, replace

# Sessions kept at once; the oldest untouched goes first past it (a session is an afternoon's state, not a record).
MAX_SESSIONS = 500


def token_hash(token: str) -> str:
    """How a session keeps its token: a hash, compared in constant time."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SceneShown:
    """What a session shows: the scene (from 0), its run and the run beside it, and how many moves led here."""

    index: int = 0
    run: str | None = None
    compare: str | None = None
    version: int = 0


@dataclass
class LectureSession:
    """One lecture being taught, its token's hash and where it stands."""

    id: str
    lecture: str
    token_hash: str
    shown: SceneShown = field(default_factory=SceneShown)
    touched: float = field(default_factory=time.monotonic)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class SessionError(ValueError):
    """A move the session refuses: a wrong token."""


class LectureSessions:
    """The sessions of this server, in memory: on the event loop only (their waits are asyncio's)."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self._sessions: dict[str, LectureSession] = {}
        self._limit = limit

    def create(self, lecture: str) -> tuple[LectureSession, str]:
        """A new session of `lecture` at its first scene, and the token that moves it (given this once)."""
        if len(self._sessions) >= self._limit:
            oldest = min(self._sessions.values(), key=lambda session: session.touched)
            del self._sessions[oldest.id]
        token = secrets.token_urlsafe(18)
        session = LectureSession(secrets.token_urlsafe(9), lecture, token_hash(token))
        self._sessions[session.id] = session
        return session, token

    def get(self, session_id: str) -> LectureSession:
        """The session of that id (KeyError: none)."""
        return self._sessions[session_id]

    def move(self, session_id: str, token: str, index: int, run: str | None, compare: str | None) -> SceneShown:
        """Show scene `index` with these runs; everyone waiting on the session hears of it."""
        session = self.get(session_id)
        if not secrets.compare_digest(token_hash(token), session.token_hash):
            raise SessionError("this session is moved only with its token (the lecturer's page has it)")
        session.shown = replace(session.shown, index=index, run=run, compare=compare, version=session.shown.version + 1)
        session.touched = time.monotonic()
        session.changed.set()
        session.changed = asyncio.Event()
        return session.shown

    async def wait(self, session_id: str, after: int, timeout: float) -> SceneShown:
        """The session's scene once its version is past `after`, or as it is after `timeout` seconds."""
        session = self.get(session_id)
        if session.shown.version <= after:
            with_change = session.changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(with_change.wait(), timeout)
        return session.shown
