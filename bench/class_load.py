"""A load process of bench_class.py: viewers of the students' runs, and the lecturer's class view.

`python bench/class_load.py` reads one JSON line on stdin: `{"ws": "ws://HOST:PORT", "class": CODE or null,
"students_class": CODE or null}`. It opens the class view's WebSocket when given `class` (before the runs start)
and prints `pages 0`. It then reads the runs the students started, a JSON line `[[run_id, group], ...]`, opens a
WebSocket per run (and, for each student, the class's WebSocket for the chart beside the run, when given
`students_class`), prints `ready N`, reads `go T_START T_END`, and after T_END prints one JSON line: per viewer its
group, the frames that arrived in the window and the steps its run took in it as the frames tell them; the class
view's frames and the runs they brought news of; the class frames each student's page got. The pages' REST
traffic comes from a process of its own (page_traffic.py).
"""

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from page_traffic import now
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CONNECT_CONCURRENCY = 64  # handshakes in flight
READY_TIMEOUT = 120.0  # seconds for every viewer to connect
FRAME = b'{"type":"frame"'


@dataclass
class RunLog:
    """What one viewer of a run received: per frame, its arrival and its last step."""

    group: str
    arrivals: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    error: str | None = None


@dataclass
class ClassLog:
    """What the class view received: per class frame, its arrival and the runs with new losses; gaps in losses."""

    arrivals: list[float] = field(default_factory=list)
    news: list[list[str]] = field(default_factory=list)
    held: dict[str, int] = field(default_factory=dict)  # losses held per run, to check each frame's `start`
    gaps: int = 0
    error: str | None = None


def _last_step(message: bytes) -> int:
    """The `step` of a run's frame (the field comes after `loss`, which holds only numbers)."""
    begin = message.index(b'"step":') + len(b'"step":')
    return int(message[begin : message.index(b",", begin)])


async def _read_run(websocket: ClientConnection, log: RunLog) -> None:
    try:
        while True:
            message = await websocket.recv(decode=False)
            arrival = now()
            if isinstance(message, bytes) and message.startswith(FRAME):
                log.arrivals.append(arrival)
                log.steps.append(_last_step(message))
    except ConnectionClosed:
        pass
    except Exception as error:  # a malformed frame must show in the results
        log.error = f"{type(error).__name__}: {error}"


def _hold(log: ClassLog, runs: list[dict[str, Any]]) -> None:
    for run in runs:
        log.held[run["id"]] = len(run["losses"])


async def _count(websocket: ClientConnection, arrivals: list[float]) -> None:
    """A student's class chart beside their run: its messages are only counted (parsing them all would take the
    load process's CPU, not the server's)."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            await websocket.recv(decode=False)
            arrivals.append(now())


async def _read_class(websocket: ClientConnection, log: ClassLog) -> None:
    try:
        async for message in websocket:
            arrival = now()
            parsed = orjson.loads(message)
            if parsed["type"] == "class_snapshot":
                _hold(log, parsed["runs"])
            elif parsed["type"] == "class_frame":
                _hold(log, parsed.get("added", []))
                news = []
                for run_id, update in parsed["runs"].items():
                    if update["start"] != log.held.get(run_id, 0):
                        log.gaps += 1  # a loss missed or sent twice
                    log.held[run_id] = update["start"] + len(update["losses"])
                    if update["losses"]:
                        news.append(run_id)
                log.arrivals.append(arrival)
                log.news.append(news)
    except ConnectionClosed:
        pass
    except Exception as error:
        log.error = f"{type(error).__name__}: {error}"


async def _open(url: str, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        return await connect(url, max_size=None, ping_interval=None, open_timeout=READY_TIMEOUT, close_timeout=1)


def _window(arrivals: list[float], start: float, end: float) -> list[int]:
    return [i for i, arrival in enumerate(arrivals) if start <= arrival < end]


def _run_result(log: RunLog, start: float, end: float) -> dict[str, Any]:
    """Frames in the window, and the steps the run took in it: from the last frame before the window (or the first
    in it) to the last one in it, over the time between them."""
    inside = _window(log.arrivals, start, end)
    before = [i for i, arrival in enumerate(log.arrivals) if arrival < start]
    first = before[-1] if before else (inside[0] if inside else None)
    steps, seconds = 0, 0.0
    if first is not None and inside:
        steps = log.steps[inside[-1]] - log.steps[first]
        seconds = log.arrivals[inside[-1]] - log.arrivals[first]
    return {"group": log.group, "frames": len(inside), "steps": steps, "seconds": round(seconds, 4), "error": log.error}


async def main() -> None:
    """Open the class view, then the viewers of the runs it is given, report ready, wait for the window, print."""
    spec = json.loads(sys.stdin.readline())
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    sockets: list[ClientConnection] = []
    readers: list[asyncio.Task[None]] = []
    class_log = ClassLog()
    try:
        if spec["class"]:  # the lecturer's class view, open before the runs start
            sockets.append(await _open(f"{spec['ws']}/ws/classes/{spec['class']}", gate))
            readers.append(asyncio.create_task(_read_class(sockets[-1], class_log)))
        print("pages 0", flush=True)
        viewers = json.loads(await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), READY_TIMEOUT * 3))
        logs = [RunLog(group) for _, group in viewers]
        urls = [f"{spec['ws']}/ws/runs/{run_id}" for run_id, _ in viewers]

        async def watch(url: str, log: RunLog) -> None:
            """Connect one viewer and read it from then on, as a page does (not once every viewer is in: a socket
            left unread for minutes while a hall connects is one the server has to give up on)."""
            try:
                websocket = await _open(url, gate)
            except Exception as error:  # a server too busy to take the viewer: it sees nothing
                log.error = f"could not connect: {type(error).__name__}: {error}"
                return
            sockets.append(websocket)
            readers.append(asyncio.create_task(_read_run(websocket, log)))

        await asyncio.gather(*(watch(url, log) for url, log in zip(urls, logs, strict=True)))
        beside = spec["students_class"] and sum(group == "student" for _, group in viewers)
        charts: list[list[float]] = [[] for _ in range(beside or 0)]
        for arrivals in charts:  # the student's page (/join/CODE) draws the class beside their run
            sockets.append(await _open(f"{spec['ws']}/ws/classes/{spec['students_class']}", gate))
            readers.append(asyncio.create_task(_count(sockets[-1], arrivals)))
        print(f"ready {len(urls)}", flush=True)
        line = await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), READY_TIMEOUT * 3)
        _, t_start, t_end = line.split()
        start, end = float(t_start), float(t_end)
        await asyncio.sleep(max(0.0, start - now()))
        cpu = time.process_time()
        await asyncio.sleep(max(0.0, end - now()))
        cpu = (time.process_time() - cpu) / (end - start)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*(asyncio.wait_for(ws.close(), 2) for ws in sockets), return_exceptions=True)
    inside = _window(class_log.arrivals, start, end)
    result = {
        "runs": [_run_result(log, start, end) for log in logs],
        "class_frames": len(inside),
        "class_covered": sorted({run_id for i in inside for run_id in class_log.news[i]}),
        "class_gaps": class_log.gaps,
        "class_error": class_log.error,
        "beside": [len(_window(arrivals, start, end)) for arrivals in charts],
        "cpu": cpu,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(), READY_TIMEOUT * 6))
