"""Per-client rate limits on what costs the server most: starting runs and reading whole histories."""

import math
import threading
import time
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, status
from starlette.requests import HTTPConnection

from app.config import Settings
from app.web.clients import client_id

Kind = Literal["create", "read"]
PRUNE_EVERY = 1024  # takes between two sweeps of the clients whose buckets have filled up again


class TokenBucket:
    """Up to `burst` requests at once, refilled at `per_minute`; one per client and kind."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self._tokens: dict[str, tuple[float, float]] = {}  # client → (tokens, when counted)
        self._lock = threading.Lock()
        self._takes = 0

    def take(self, client: str, now: float | None = None) -> float:
        """Spend one token of `client`'s: 0.0 if there was one, else the seconds until there will be."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._tokens.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            self._takes += 1
            if self._takes % PRUNE_EVERY == 0:
                self._prune(now)
            if tokens >= 1.0:
                self._tokens[client] = (tokens - 1.0, now)
                return 0.0
            self._tokens[client] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        # A client whose bucket is full again is the same as one never seen: forget it, so memory stays bounded.
        full = [c for c, (tokens, then) in self._tokens.items() if tokens + (now - then) * self.rate >= self.burst]
        for client in full:
            del self._tokens[client]


class RateLimits:
    """The buckets of one app, made from its settings."""

    def __init__(self, settings: Settings) -> None:
        self.buckets: dict[Kind, TokenBucket] = {
            "create": TokenBucket(settings.create_rate, settings.create_burst),
            "read": TokenBucket(settings.read_rate, settings.read_burst),
        }


def too_many(message: str, retry_after: float) -> HTTPException:
    """A 429 with Retry-After in whole seconds (at least one)."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, message, headers={"Retry-After": str(max(1, math.ceil(retry_after)))}
    )


def _limiter(kind: Kind, what: str) -> object:
    def check(connection: HTTPConnection) -> None:
        limits: RateLimits = connection.app.state.rate_limits
        wait = limits.buckets[kind].take(client_id(connection))
        if wait > 0:
            bucket = limits.buckets[kind]
            raise too_many(
                f"too many {what} from this address ({bucket.burst} at once, then {bucket.rate * 60:g} a minute): "
                f"try again in {max(1, math.ceil(wait))} s",
                wait,
            )

    return Depends(check)


# Dependencies for the routes they guard.
LimitCreate = Annotated[None, _limiter("create", "runs started")]
LimitRead = Annotated[None, _limiter("read", "whole-run reads (history, CSV, export)")]
