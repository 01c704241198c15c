"""A class survives a restart of the real server: its settings, students and runs list again under its code, a
student's token still starts runs in it, and its feed's snapshot holds every stored loss."""

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.storage.test_restart import Server

SETTINGS = {"engine": "torch-autograd", "points": 16, "steps": 60, "seed": 3}
ENDED = ("finished", "stopped", "failed", "diverged", "interrupted")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server to start, end and start again; killed at teardown if still up."""
    server = Server(tmp_path / "data", flush_interval=0.2)
    yield server
    if server.process is not None:
        server.end(signal.SIGKILL)


def snapshot(server: Server, code: str) -> dict[str, Any]:
    """The first message of the class's feed."""
    with connect(f"ws://127.0.0.1:{server.port}/ws/classes/{code}", max_size=None, open_timeout=10) as websocket:
        return dict(json.loads(websocket.recv(timeout=20)))


def test_a_restart_keeps_a_class_and_its_runs(server: Server, wait_until: Any) -> None:
    """Finished runs and one cut off by the restart list under the class as before (the latter `interrupted`), with
    their students' names; the student's token starts another run after the restart; the snapshot's losses are
    the stored histories."""
    client = server.start()
    made = client.post("/api/classes", json={"title": "Lab", "settings": SETTINGS, "free": ["learning_rate", "pace"]})
    code = made.json()["code"]
    token = client.post(f"/api/classes/{code}/join", json={"name": "Ada"}).json()["student_token"]
    steer = {"X-Student-Token": token}
    finished = [
        client.post(f"/api/classes/{code}/runs", json={"learning_rate": rate}, headers=steer).json()["id"]
        for rate in (1e-6, 2e-6)
    ]
    going = client.post(f"/api/classes/{code}/runs", json={"pace": 20, "learning_rate": 3e-6}, headers=steer).json()[
        "id"
    ]
    for run_id in finished:
        wait_until(lambda r=run_id: client.get(f"/api/runs/{r}").json()["status"] == "finished", 20, f"{run_id} ends")
    before = client.get(f"/api/classes/{code}").json()
    server.end(signal.SIGTERM)

    client = server.start()
    after = client.get(f"/api/classes/{code}").json()
    for key in ("code", "title", "settings", "free", "created_at"):
        assert after[key] == before[key]
    assert [run["id"] for run in after["runs"]] == [*finished, going]
    assert all(run["name"] == "Ada" for run in after["runs"])
    statuses = {run["id"]: run["status"] for run in after["runs"]}
    assert statuses == {finished[0]: "finished", finished[1]: "finished", going: "interrupted"}
    assert client.get(f"/api/runs/{going}").json()["class_code"] == code

    seen = snapshot(server, code)
    losses = {run["id"]: run["losses"] for run in seen["runs"]}
    assert set(losses) == {*finished, going}
    for run_id in losses:
        assert losses[run_id] == client.get(f"/api/runs/{run_id}/history").json()["loss"]

    again = client.post(f"/api/classes/{code}/runs", json={}, headers=steer)
    assert again.status_code == 201, again.text
    assert again.json()["class_code"] == code
    assert [run["id"] for run in client.get(f"/api/classes/{code}").json()["runs"]][-1] == again.json()["id"]
    server.end(signal.SIGTERM)
