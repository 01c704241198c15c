"""A class's WebSocket feed on a real server: several runs train while viewers watch; every run's every loss
reaches each viewer exactly once, in order, equal to its stored history, and every viewer gets the same bytes."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.config import Settings
from tests.web.conftest import LiveServer, Serve

ENDED = {"finished", "stopped", "failed", "diverged", "interrupted"}
SETTINGS = {"engine": "torch-autograd", "points": 16, "steps": 300, "pace": 400, "seed": 1}


@pytest.fixture(scope="module")
def server(serve: Serve) -> LiveServer:
    """A real server whose class feed ticks fast, so the test sees many frames."""
    return serve(Settings(max_running_runs=8, class_frame_rate=20))


class Follower:
    """One viewer's view of the class, rebuilt from the messages as a page would: every frame's `start` must
    continue exactly where the run's losses so far end."""

    def __init__(self) -> None:
        self.losses: dict[str, list[float]] = {}
        self.status: dict[str, str] = {}
        self.texts: list[str] = []
        self.varying: list[str] = []
        self.snapshot: dict[str, Any] = {}

    def apply(self, text: str) -> None:
        message = json.loads(text)
        if message["type"] == "class_snapshot":
            assert not self.texts, "the snapshot comes first, once"
            self.snapshot = message
            self.varying = message["varying"]
            for entry in message["runs"]:
                self._add(entry)
        else:
            assert message["type"] == "class_frame", message
            self.texts.append(text)
            for entry in message["added"]:
                self._add(entry)
            for run_id, news in message["runs"].items():
                assert news["start"] == len(self.losses[run_id]), (run_id, news["start"], len(self.losses[run_id]))
                self.losses[run_id].extend(news["losses"])
                self.status[run_id] = news.get("status", self.status[run_id])
            self.varying = message.get("varying", self.varying)

    def _add(self, entry: dict[str, Any]) -> None:
        assert entry["id"] not in self.losses, "a run is added once"
        self.losses[entry["id"]] = list(entry["losses"])
        self.status[entry["id"]] = entry["status"]

    def done(self, ids: set[str], steps: int) -> bool:
        """Whether every one of these runs has ended and all its losses arrived."""
        return ids <= set(self.losses) and all(self.status[i] in ENDED and len(self.losses[i]) == steps for i in ids)


async def follow(websocket: ClientConnection, follower: Follower, until: Any) -> None:
    while not until():
        follower.apply(str(await asyncio.wait_for(websocket.recv(), 20)))


def start_runs(client: httpx.Client, code: str, rates: list[float]) -> list[str]:
    """One student per rate, each starting a run with it."""
    ids = []
    for rate in rates:
        token = client.post(f"/api/classes/{code}/join", json={}).json()["student_token"]
        answer = client.post(
            f"/api/classes/{code}/runs", json={"learning_rate": rate}, headers={"X-Student-Token": token}
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def test_every_runs_losses_arrive_exactly_once_and_match_the_history(server: LiveServer) -> None:
    """Viewers that joined before any run, and one that joined in the middle, each end with every run's losses
    equal to GET /history, every frame continuing where the last ended; the viewers present throughout got the
    very same frames; the learning rate is named as what varies."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        made = client.post("/api/classes", json={"settings": SETTINGS, "free": ["learning_rate"]}).json()
        code = made["code"]

        async def watch() -> tuple[list[Follower], set[str]]:
            early = [Follower() for _ in range(3)]
            late = Follower()
            sockets = [await connect(f"{server.ws}/ws/classes/{code}", max_size=None) for _ in early]
            for websocket, follower in zip(sockets, early, strict=True):
                follower.apply(str(await asyncio.wait_for(websocket.recv(), 10)))
                assert follower.snapshot["runs"] == []
                assert follower.snapshot["class"]["code"] == code
            ids = set(await asyncio.to_thread(start_runs, client, code, [1e-6, 2e-6, 3e-6]))
            await follow(sockets[0], early[0], lambda: any(len(losses) > 20 for losses in early[0].losses.values()))
            ids |= set(await asyncio.to_thread(start_runs, client, code, [4e-6, 5e-6]))
            async with connect(f"{server.ws}/ws/classes/{code}", max_size=None) as websocket:
                await follow(websocket, late, lambda: late.done(ids, SETTINGS["steps"]))
            for websocket, follower in zip(sockets, early, strict=True):
                await follow(websocket, follower, lambda f=follower: f.done(ids, SETTINGS["steps"]))
                await websocket.close()
            return [*early, late], ids

        followers, ids = asyncio.run(watch())
        histories = {run_id: client.get(f"/api/runs/{run_id}/history").json()["loss"] for run_id in ids}
        for follower in followers:
            assert {run_id: follower.losses[run_id] for run_id in ids} == histories
            assert follower.varying[0] == "learning_rate"
        early = followers[:3]
        assert early[0].texts[: len(early[1].texts)] == early[1].texts[: len(early[0].texts)]
        assert early[1].texts[: len(early[2].texts)] == early[2].texts[: len(early[1].texts)]
        listed = client.get(f"/api/classes/{code}").json()["runs"]
        assert {entry["id"] for entry in listed} == ids
        assert all(entry["status"] == "finished" and entry["step"] == SETTINGS["steps"] - 1 for entry in listed)


def test_a_viewer_of_an_ended_class_gets_it_whole_in_the_snapshot(server: LiveServer, wait_until: Any) -> None:
    """Once its runs have ended (and are read back from the store), a new viewer's snapshot holds every loss."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        code = client.post("/api/classes", json={"settings": {**SETTINGS, "pace": None}}).json()["code"]
        ids = start_runs(client, code, [1e-6, 2e-6])
        for run_id in ids:
            wait_until(lambda r=run_id: client.get(f"/api/runs/{r}").json()["status"] in ENDED, what=f"{run_id} ends")
        server.app.state.manager.flush()

        async def watch() -> dict[str, Any]:
            async with connect(f"{server.ws}/ws/classes/{code}", max_size=None) as websocket:
                return dict(json.loads(await asyncio.wait_for(websocket.recv(), 10)))

        snapshot = asyncio.run(watch())
        runs = {entry["id"]: entry for entry in snapshot["runs"]}
        assert set(runs) == set(ids)
        for run_id in ids:
            assert runs[run_id]["losses"] == client.get(f"/api/runs/{run_id}/history").json()["loss"]
            assert runs[run_id]["status"] == "finished"
            assert runs[run_id]["config"] == {"learning_rate": runs[run_id]["config"]["learning_rate"]}


def test_the_lecturers_view_reaches_the_class_viewers(server: LiveServer) -> None:
    """A state posted with the class's control token arrives as a presenter message; a later viewer has it in its
    snapshot."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        made = client.post("/api/classes", json={"settings": SETTINGS}).json()
        code, token = made["code"], {"X-Control-Token": made["control_token"]}

        async def watch() -> tuple[dict[str, Any], dict[str, Any]]:
            async with connect(f"{server.ws}/ws/classes/{code}") as websocket:
                first = json.loads(await asyncio.wait_for(websocket.recv(), 10))
                assert first["presenter"] is None
                state = {"colour_by": "learning_rate", "run": None}
                path = f"/api/classes/{code}/presenter"
                answer = await asyncio.to_thread(client.post, path, json=state, headers=token)
                assert answer.status_code == 204
                while True:
                    message = json.loads(await asyncio.wait_for(websocket.recv(), 10))
                    if message["type"] == "presenter":
                        break
            async with connect(f"{server.ws}/ws/classes/{code}") as websocket:
                later = json.loads(await asyncio.wait_for(websocket.recv(), 10))
            return message, later

        message, later = asyncio.run(watch())
        assert message == {"type": "presenter", "state": {"colour_by": "learning_rate", "run": None}}
        assert later["presenter"] == message["state"]
