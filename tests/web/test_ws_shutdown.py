"""A server stopped with SIGTERM (`python -m app` in a subprocess): the viewers of runs still going get their last
frame and the final status, `interrupted` as the store keeps it, before their sockets close."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.config import default_database_url
from app.storage.store import RunStore
from tests.conftest import RestRuns, wait_until_impl
from tests.web.test_ws import Watched, check_order, losses_received, run_async, validated

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    """`python -m app` running in a subprocess, and where its runs are stored."""

    process: subprocess.Popen[str]
    port: int
    database_url: str

    @property
    def http(self) -> str:
        """Base URL for REST."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        """Base URL for WebSockets."""
        return f"ws://127.0.0.1:{self.port}"


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The app as its command line serves it, on a free port with a fresh data directory."""
    port = free_port()
    env = {**os.environ, "AUTOGRAD_LIVE_DATA_DIR": str(tmp_path), "AUTOGRAD_LIVE_DATABASE_URL": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Served(process, port, default_database_url(tmp_path))

    def healthy() -> bool:
        assert process.poll() is None, process.communicate()[0]
        try:
            return httpx.get(f"{server.http}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until_impl(healthy, 60, "the server to start")
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_ends_every_viewers_stream_with_the_interrupted_status(served: Served) -> None:
    """Viewers of a paced run and of a paused one, when the server gets SIGTERM: each gets the run's losses up to
    where it stopped, exactly once, then one final status `interrupted` with the message the store keeps, then
    the close (1012: the server is going away). The server exits cleanly."""
    rest = RestRuns()
    with httpx.Client(base_url=served.http, timeout=10) as client:
        running = rest.create(client, steps=100_000, pace=40, points=10, seed=1)["id"]
        paused = rest.create(client, steps=100_000, pace=40, points=10, seed=2)["id"]
        rest.wait_for(client, paused, lambda info: info["steps_done"] >= 3, what="a few steps")
        assert client.post(f"/api/runs/{paused}/pause", headers=rest.steering(paused)).status_code == 200
        rest.wait_status(client, paused, "paused")

    async def view(run_id: str, frames_before: int, ready: asyncio.Event) -> Watched:
        watched = Watched()
        async with connect(f"{served.ws}/ws/runs/{run_id}", max_size=None) as websocket:
            try:
                async for text in websocket:
                    watched.messages.append(validated(str(text)))
                    if len(watched.messages) > frames_before:
                        ready.set()
            except ConnectionClosed:
                pass
        watched.close_code, watched.close_reason = websocket.close_code, websocket.close_reason
        return watched

    async def scenario() -> tuple[Watched, Watched]:
        both = [asyncio.Event(), asyncio.Event()]
        viewers = asyncio.gather(view(running, 3, both[0]), view(paused, 0, both[1]))
        await asyncio.gather(*(ready.wait() for ready in both))
        served.process.send_signal(signal.SIGTERM)
        return tuple(await viewers)  # type: ignore[return-value]

    views = run_async(scenario())
    output, _ = served.process.communicate(timeout=30)
    assert served.process.returncode in (0, -signal.SIGTERM), output  # uvicorn ends by raising the signal again
    assert "Traceback" not in output and "ERROR" not in output, output

    store = RunStore.open(served.database_url)
    try:
        for run_id, watched, was in zip((running, paused), views, ("running", "paused"), strict=True):
            record = store.load_run(run_id)
            assert record is not None and record.status == "interrupted"
            assert record.message is not None and f"while this run was {was}" in record.message
            check_order(watched.messages)
            final = {"type": "status", "status": "interrupted", "message": record.message, "final": True}
            assert watched.messages[-1] == final
            losses = losses_received(watched.messages)
            assert losses == store.load_history(run_id, 4).loss.tolist()
            assert len(losses) == record.steps_done
            assert watched.close_code == 1012
    finally:
        store.close()
