"""A class's WebSocket feed on a real server: several runs train while viewers watch; every run's every loss
reaches each viewer exactly once, in order, equal to its stored history, and every viewer gets the same bytes."""

import asyncio
import json
import sqlite3
import typing
from typing import Annotated, Any

import httpx
import pytest
from pydantic import Field, TypeAdapter
from websockets.asyncio.client import ClientConnection, connect

from app.config import Settings
from app.protocol import ClassFrame, ClassSnapshot, PresenterMessage
from tests.web.conftest import LiveServer, Serve

ENDED = {"finished", "stopped", "failed", "diverged", "interrupted"}
# Every message checked against its TypedDict in app/protocol.py, strictly.
MESSAGE: TypeAdapter[Any] = TypeAdapter(
    Annotated[typing.Union[ClassSnapshot, ClassFrame, PresenterMessage], Field(discriminator="type")]  # noqa: UP007
)
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
        MESSAGE.validate_json(text, strict=True)
        message = json.loads(text)
        shape = {"class_snapshot": ClassSnapshot, "class_frame": ClassFrame}[message["type"]]
        assert shape.__required_keys__ <= set(message) <= shape.__required_keys__ | shape.__optional_keys__
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


def test_a_damaged_run_leaves_the_rest_of_the_class_feed_going(serve: Serve, tmp_path: Any, wait_until: Any) -> None:
    """A class run whose stored losses no longer read back is left out of the feed; the class's other runs are
    sent whole, and the class still lists both."""
    url = f"sqlite:///{tmp_path / 'class.db'}"
    first = serve(Settings(database_url=url, flush_interval=0.05))
    with httpx.Client(base_url=first.http, timeout=10) as client:
        code = client.post("/api/classes", json={"settings": {**SETTINGS, "pace": None}}).json()["code"]
        damaged, healthy = start_runs(client, code, [1e-6, 2e-6])
        for run_id in (damaged, healthy):
            wait_until(lambda r=run_id: client.get(f"/api/runs/{r}").json()["status"] in ENDED, what=f"{run_id} ends")
        first.app.state.manager.flush()
        expected = client.get(f"/api/runs/{healthy}/history").json()["loss"]
    with sqlite3.connect(tmp_path / "class.db") as connection:
        connection.execute("UPDATE chunks SET loss = x'0000' WHERE run_id = ?", (damaged,))
    second = serve(Settings(database_url=url))  # reads the class and its runs from the damaged file

    async def watch() -> dict[str, Any]:
        async with connect(f"{second.ws}/ws/classes/{code}", max_size=None) as websocket:
            return dict(json.loads(await asyncio.wait_for(websocket.recv(), 10)))

    snapshot = asyncio.run(watch())
    assert [(entry["id"], entry["losses"]) for entry in snapshot["runs"]] == [(healthy, expected)]
    with httpx.Client(base_url=second.http, timeout=10) as client:
        assert {entry["id"] for entry in client.get(f"/api/classes/{code}").json()["runs"]} == {damaged, healthy}


def test_one_build_a_tick_serves_every_viewer(server: LiveServer) -> None:
    """While a run trains, the class feed builds one frame a tick however many watch: with twenty more viewers the
    builds still keep pace with the frames one viewer receives, and every viewer receives the same bytes."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        code = client.post("/api/classes", json={"settings": {**SETTINGS, "steps": 100_000, "pace": 1000}}).json()[
            "code"
        ]
        [run_id] = start_runs(client, code, [1e-6])

        async def watch() -> tuple[int, int, list[str], list[list[str]]]:
            first = Follower()
            async with connect(f"{server.ws}/ws/classes/{code}", max_size=None) as websocket:
                await follow(websocket, first, lambda: len(first.texts) >= 3)
                feed = server.app.state.class_hub.feed(code)
                builds, frames = feed.builds, len(first.texts)
                crowd = [Follower() for _ in range(20)]
                sockets = [await connect(f"{server.ws}/ws/classes/{code}", max_size=None) for _ in crowd]
                for other, follower in zip(sockets, crowd, strict=True):
                    await follow(other, follower, lambda f=follower: len(f.texts) >= 5)
                last = {follower.texts[-1] for follower in crowd}
                await follow(websocket, first, lambda: last <= set(first.texts))
                built, received = feed.builds - builds, len(first.texts) - frames
                for other in sockets:
                    await other.close()
            return built, received, first.texts, [follower.texts for follower in crowd]

        built, received, seen, texts = asyncio.run(watch())
        # One build a tick (a tick in which the run made no step builds without sending), not one per viewer: 21
        # are watching, so builds per viewer would be over 20 times the frames.
        assert built <= 2 * received + 3
        joined = "\n".join(seen)
        assert all("\n".join(frames) in joined for frames in texts)  # the same frames, byte for byte
        server.app.state.manager.get(run_id).stop()
