"""The real server restarted: `python -m app` killed or stopped, started again on the same database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.sync.client import connect

if TYPE_CHECKING:
    from tests.conftest import RestRuns

ROOT = Path(__file__).resolve().parents[2]
WaitUntil = Callable[..., None]


class Server:
    """`python -m app` on a free port, storing its runs under one data directory."""

    def __init__(self, data_dir: Path, flush_interval: float) -> None:
        self.data_dir = data_dir
        self.flush_interval = flush_interval
        self.process: subprocess.Popen[bytes] | None = None
        self.client: httpx.Client | None = None
        self.port = 0

    def start(self) -> httpx.Client:
        """Start the server and wait until it answers."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {
            **os.environ,
            "AUTOGRAD_LIVE_DATA_DIR": str(self.data_dir),
            "AUTOGRAD_LIVE_FLUSH_INTERVAL": str(self.flush_interval),
        }
        env.pop("AUTOGRAD_LIVE_DATABASE_URL", None)
        with (self.data_dir.parent / f"server-{time.monotonic_ns()}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "--port", str(self.port)], cwd=ROOT, env=env, stdout=log, stderr=log
            )
        client = self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "the server exited at start"
            assert time.monotonic() < deadline, "the server did not come up"
            try:
                if client.get("/healthz").status_code == 200:
                    return client
            except httpx.TransportError:
                time.sleep(0.1)

    def end(self, how: signal.Signals) -> None:
        """Send the signal and wait for the process to be gone."""
        assert self.process is not None and self.client is not None
        self.client.close()
        self.process.send_signal(how)
        assert self.process.wait(30) is not None
        self.process = None

    def watch(self, run_id: str) -> list[dict[str, Any]]:
        """Every message of the run's WebSocket until the server closes it."""
        with connect(f"ws://127.0.0.1:{self.port}/ws/runs/{run_id}", max_size=None, open_timeout=10) as websocket:
            return [json.loads(text) for text in websocket]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server to start, end and start again; killed at teardown if still up."""
    server = Server(tmp_path / "data", flush_interval=0.2)
    yield server
    if server.process is not None:
        server.end(signal.SIGKILL)


@pytest.fixture
def rest(rest: RestRuns) -> RestRuns:
    """Runs of 64 points from seed 1 unless a test says otherwise."""
    return rest.with_defaults(points=64, seed=1)


def steady(client: httpx.Client, run_id: str) -> bool:
    """Whether the run made no step in the last 50 ms."""
    before = client.get(f"/api/runs/{run_id}").json()["steps_done"]
    time.sleep(0.05)
    return bool(client.get(f"/api/runs/{run_id}").json()["steps_done"] == before)


def test_a_killed_server_loses_only_its_last_batch(server: Server, rest: RestRuns) -> None:
    """SIGKILL mid-run: after a restart the finished run is whole and streams as before; the running run is
    interrupted with every step stored before the kill's last flush, bit for bit (exact JSON floats)."""
    client = server.start()
    done = rest.create(client, engine="torch-autograd", steps=3000)["id"]
    rest.wait_status(client, done, "finished", timeout=20)
    done_info = client.get(f"/api/runs/{done}").json()
    done_history = client.get(f"/api/runs/{done}/history").json()
    going = rest.create(client, steps=1_000_000, pace=500)["id"]
    rest.wait_for(client, going, lambda info: info["steps_done"] > 1500, timeout=20)
    before = client.get(f"/api/runs/{going}/history").json()
    time.sleep(3 * server.flush_interval)  # so the steps fetched are surely flushed, while more are made
    server.end(signal.SIGKILL)

    client = server.start()
    assert client.get(f"/api/runs/{done}").json() == done_info
    assert client.get(f"/api/runs/{done}/history").json() == done_history
    messages = server.watch(done)
    assert [m["type"] for m in messages] == ["snapshot", "status"]
    assert messages[0]["loss"] == done_history["loss"]
    numbers = ("status", "steps_done", "step", "loss", "params", "grads", "config")
    assert {key: messages[0]["run"][key] for key in numbers} == {key: done_info[key] for key in numbers}
    assert messages[0]["graph"] is not None and len(messages[0]["curve"]) == len(messages[0]["curve_x"])
    assert messages[1] == {"type": "status", "status": "finished", "message": None, "final": True}

    info = client.get(f"/api/runs/{going}").json()
    after = client.get(f"/api/runs/{going}/history").json()
    kept = len(before["step"])
    assert info["status"] == "interrupted"
    assert info["message"] == f"the server stopped while this run was running, at step {info['steps_done']}"
    assert len(after["step"]) == info["steps_done"] >= kept
    assert info["steps_done"] < kept + 3 * server.flush_interval * 500 + 500  # at most what the server made
    assert after["loss"][:kept] == before["loss"]
    for column in ("params", "grads"):
        assert {name: values[:kept] for name, values in after[column].items()} == before[column]
    messages = server.watch(going)
    assert messages[-1] == {"type": "status", "status": "interrupted", "message": info["message"], "final": True}
    assert [run["id"] for run in client.get("/api/runs").json()] == [going, done]
    server.end(signal.SIGTERM)


def test_a_stopped_server_loses_nothing(server: Server, rest: RestRuns, wait_until: WaitUntil) -> None:
    """SIGTERM while a run is paused: every step comes back, and the run is interrupted where it was paused."""
    server.flush_interval = 10  # nothing but the final flush at shutdown can store the steps
    client = server.start()
    run_id = rest.create(client, engine="torch-optim", optimizer="adam", steps=1_000_000, pace=1000)["id"]
    rest.wait_for(client, run_id, lambda info: info["steps_done"] > 300, timeout=20)
    client.post(f"/api/runs/{run_id}/pause", headers=rest.steering(run_id))
    rest.wait_status(client, run_id, "paused", timeout=20)
    wait_until(lambda: steady(client, run_id), 10, "the step under way when paused to be recorded")
    before_info = client.get(f"/api/runs/{run_id}").json()
    before = client.get(f"/api/runs/{run_id}/history").json()
    server.end(signal.SIGTERM)

    client = server.start()
    info = client.get(f"/api/runs/{run_id}").json()
    assert client.get(f"/api/runs/{run_id}/history").json() == before
    assert info["status"] == "interrupted"
    assert info["message"] == f"the server stopped while this run was paused, at step {len(before['step'])}"
    unchanged = ("step", "steps_done", "loss", "params", "grads", "config", "created_at", "started_at")
    assert {key: info[key] for key in unchanged} == {key: before_info[key] for key in unchanged}
    assert client.post(f"/api/runs/{run_id}/resume", headers=rest.steering(run_id)).status_code == 409
    server.end(signal.SIGTERM)


def test_a_restarted_server_replays_the_same_graph_at_every_step(server: Server, rest: RestRuns) -> None:
    """The graph a replay shows at a step, read from memory before and from the database after a restart, is the
    same answer byte for byte; the dynamic net's with the shape it had at that step."""
    client = server.start()
    run_id = rest.create(client, engine="dynamic-net", steps=500, pace=250)["id"]
    rest.wait_status(client, run_id, "finished", timeout=20)
    steps = range(0, 500, 11)
    before = [client.get(f"/api/runs/{run_id}/graph", params={"step": step}) for step in steps]
    assert all(answer.status_code == 200 for answer in before)
    kept = {answer.json()["step"] for answer in before}
    shapes = {answer.json()["shape"]["signature"] for answer in before}
    assert len(kept) >= 5 and len(shapes) >= 2, "too few graphs kept to tell one step from another"
    for answer in before:
        assert answer.json()["values"]["signature"] == answer.json()["shape"]["signature"]
    server.end(signal.SIGTERM)

    client = server.start()
    after = [client.get(f"/api/runs/{run_id}/graph", params={"step": step}) for step in steps]
    assert [answer.content for answer in after] == [answer.content for answer in before]
    server.end(signal.SIGTERM)
