"""The REST traffic of one open page, as static/js makes it, for the benchmarks whose viewers stand for pages.

What a page following a live run asks for (static/js/main.js and the views it wires):
- on opening: the page itself (`GET /`), `GET /api/engines`, `GET /api/targets`, `GET /api/runs`, and, for the
  followed run, the share box's `GET /api/runs/{id}/share` and its `qr.svg`;
- every RUNS_REFRESH s while the tab is shown (views/run_list_refresh.js): `GET /api/runs`, sending the last
  list's ETag as If-None-Match (api.js listRuns), so an unchanged list is a 304 with no body;
- once its run has ended: `GET /api/runs/{id}/history` for the replay (the benchmarks' windows end before).
Static files are left out: a browser keeps them. A run's frames come over its WebSocket, not here.
"""

import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx

RUNS_REFRESH = 5.0  # seconds: RUNS_REFRESH_MS of static/js/views/run_list_refresh.js
POOL = 64  # connections a load process keeps to the server for all its pages
KEEP_ALIVE = 3.0  # seconds an idle connection is kept


def now() -> float:
    """CLOCK_MONOTONIC, the clock every process of the benchmarks shares (Linux)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass
class RestLog:
    """Every request one load process's pages made: when it was sent, how long the answer took, its status."""

    sent: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def window(self, start: float, end: float) -> tuple[list[float], int, int]:
        """The answer times of requests sent in [start, end), how many were 304s, and how many failed (no answer
        or a status of 400 and above)."""
        picked = [i for i, sent in enumerate(self.sent) if start <= sent < end]
        seconds = [self.seconds[i] for i in picked]
        unchanged = sum(self.statuses[i] == 304 for i in picked)
        failed = sum(self.statuses[i] == 0 or self.statuses[i] >= 400 for i in picked)
        return seconds, unchanged, failed


def client(base: str) -> httpx.AsyncClient:
    """One HTTP client for a load process's pages (browsers each have their own; a pool is what a load process can
    afford, and a connection's setup is not what is measured)."""
    # Idle connections are let go before uvicorn's keep-alive timeout (5 s) would close them under a request.
    limits = httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL, keepalive_expiry=KEEP_ALIVE)
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=30)


async def _get(http: httpx.AsyncClient, log: RestLog, path: str, headers: dict[str, str]) -> httpx.Response | None:
    sent = now()
    try:
        response = await http.get(path, headers=headers)
        await response.aread()
    except httpx.HTTPError as error:
        log.sent.append(sent)
        log.seconds.append(now() - sent)
        log.statuses.append(0)
        log.errors.append(f"{path}: {type(error).__name__}: {error}"[:200])
        return None
    log.sent.append(sent)
    log.seconds.append(now() - sent)
    log.statuses.append(response.status_code)
    return response


class Page:
    """One open page following `run_id` (None: the page with no run), asking what a real one asks."""

    def __init__(self, http: httpx.AsyncClient, log: RestLog, run_id: str | None, runs_api: str = "/api/runs") -> None:
        self.http = http
        self.log = log
        self.run_id = run_id
        self.runs_api = runs_api
        self.etag: str | None = None

    async def open(self) -> None:
        """What a page asks for as it opens (and for its run, if it follows one)."""
        paths = ["/", "/api/engines", "/api/targets"]
        await asyncio.gather(*(_get(self.http, self.log, path, {}) for path in paths), self.list_runs())
        if self.run_id is not None:
            await self.follow(self.run_id)

    async def follow(self, run_id: str) -> None:
        """What a page asks for once it follows a run: the share box's link and QR code."""
        self.run_id = run_id
        paths = [f"{self.runs_api}/{run_id}/share", f"{self.runs_api}/{run_id}/qr.svg"]
        await asyncio.gather(*(_get(self.http, self.log, path, {}) for path in paths))

    async def list_runs(self) -> None:
        """`GET /api/runs` as api.js listRuns asks it: with the last list's ETag."""
        headers = {"If-None-Match": self.etag} if self.etag else {}
        response = await _get(self.http, self.log, self.runs_api, headers)
        if response is not None and response.status_code == 200:
            self.etag = response.headers.get("etag")

    async def refresh(self, until: float) -> None:
        """Ask for the run list every RUNS_REFRESH s until `until`, from a random phase (pages open at random)."""
        await asyncio.sleep(random.uniform(0, RUNS_REFRESH))
        while now() < until:
            await self.list_runs()
            await asyncio.sleep(RUNS_REFRESH)
