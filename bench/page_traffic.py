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
import json
import random
import subprocess
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# The pages' own load process: `python bench/page_traffic.py`, apart from the WebSocket viewers' processes, so
# that the time a page waits for its answer is not the time a process reading thousands of frames a second keeps
# it waiting. It reads `{"http": BASE, "pages": N}` on stdin, opens N pages and prints `pages N`; reads a JSON
# list of the runs they follow (one per page, at most N) and prints `ready N`; reads `go T_START T_END`, asks for
# the run list as pages do until T_END, and prints one JSON line of the requests sent in the window.

READY_TIMEOUT = 360.0  # seconds to wait for each next line from the benchmark


async def _line() -> str:
    return await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), READY_TIMEOUT)


async def pages_worker() -> None:
    """Open the pages, follow their runs, keep asking during the window, print what it cost them."""
    spec = json.loads(await _line())
    log = RestLog()
    http = client(spec["http"])
    pages = [Page(http, log, None) for _ in range(spec["pages"])]
    refreshing: list[asyncio.Task[None]] = []
    try:
        # A hall's pages open over a while, not all in one instant: as many at once as the pool has connections, so
        # none waits out its timeout for one.
        opening = asyncio.Semaphore(POOL)

        async def gently(step: Awaitable[None]) -> None:
            async with opening:
                await step

        await asyncio.gather(*(gently(page.open()) for page in pages))
        print(f"pages {len(pages)}", flush=True)
        runs = json.loads(await _line())
        await asyncio.gather(*(gently(page.follow(run_id)) for page, run_id in zip(pages, runs, strict=False)))
        print(f"ready {len(runs)}", flush=True)
        _, t_start, t_end = (await _line()).split()
        start, end = float(t_start), float(t_end)
        refreshing = [asyncio.create_task(page.refresh(end)) for page in pages]
        await asyncio.sleep(max(0.0, start - now()))
        cpu = time.process_time()
        await asyncio.sleep(max(0.0, end - now()))
        cpu = (time.process_time() - cpu) / (end - start)
    finally:
        for task in refreshing:
            task.cancel()
        await http.aclose()
    seconds, unchanged, failed = log.window(start, end)
    result = {"rest": [round(x, 5) for x in seconds], "unchanged": unchanged, "failed": failed, "cpu": cpu}
    print(json.dumps(result | {"errors": log.errors[:3]}), flush=True)


class PagesProcess:
    """The benchmark's side of a pages worker (at niceness `nice`, as the viewers' processes)."""

    def __init__(self, base: str, pages: int, nice: int) -> None:
        command = [*(["nice", "-n", str(nice)] if nice else []), sys.executable, str(Path(__file__))]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.send(json.dumps({"http": base, "pages": pages}))

    def send(self, line: str) -> None:
        """One line to the worker."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, word: str) -> None:
        """Wait for the worker's next report; raise unless it is `word`."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != word:
            raise RuntimeError(f"the pages' load process failed ({line})")

    def result(self) -> dict[str, Any]:
        """Its figures, once the window has ended."""
        out, _ = self.process.communicate(timeout=120)
        return dict(json.loads(out.splitlines()[-1]))

    def close(self) -> None:
        """Kill it if it is still there."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


if __name__ == "__main__":
    asyncio.run(pages_worker())
