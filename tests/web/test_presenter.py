"""The lecturer's view reaches every viewer of the run: followers move with the presenter."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from app.config import Settings


@pytest.fixture(scope="module")
def server(serve: Callable[..., Any]) -> Any:
    """A real server for this module."""
    return serve(Settings(max_steps=1_000_000))


def test_viewers_receive_what_the_presenter_shows(server: Any) -> None:
    """Presenter states posted with the token arrive at a viewer in order; a later viewer's snapshot has the last."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 1_000_000, "pace": 100, "points": 8}).json()
        steer = {"X-Control-Token": run["control_token"]}
        states = [{"panel": "graph", "step": 3, "node": "n4", "mode": "backward"}, {"panel": "loss"}]

        async def follow() -> list[dict[str, Any]]:
            seen: list[dict[str, Any]] = []
            async with connect(f"{server.ws}/ws/runs/{run['id']}") as websocket:
                assert json.loads(await websocket.recv())["presenter"] is None
                for state in states:
                    answer = await asyncio.to_thread(
                        client.post, f"/api/runs/{run['id']}/presenter", json=state, headers=steer
                    )
                    assert answer.status_code == 204
                    while True:
                        message = json.loads(await asyncio.wait_for(websocket.recv(), 5))
                        if message["type"] == "presenter":
                            seen.append(message["state"])
                            break
            return seen

        seen = asyncio.run(follow())
        full = [{"panel": None, "step": None, "node": None, "mode": None, **state} for state in states]
        assert seen == full

        async def join() -> dict[str, Any]:
            async with connect(f"{server.ws}/ws/runs/{run['id']}", max_size=None) as websocket:
                return dict(json.loads(await websocket.recv()))

        assert asyncio.run(join())["presenter"] == full[-1]
        client.post(f"/api/runs/{run['id']}/stop", headers=steer)


def test_only_the_runs_creator_presents_and_bad_states_are_422(server: Any) -> None:
    """Without the token: 403; an unknown field or a negative step: 422 naming it."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 1_000_000, "pace": 100, "points": 8}).json()
        steer = {"X-Control-Token": run["control_token"]}
        path = f"/api/runs/{run['id']}/presenter"
        assert client.post(path, json={"panel": "fit"}).status_code == 403
        for body, field in (({"step": -1}, "step"), ({"volume": 11}, "volume"), ({"mode": "sideways"}, "mode")):
            answer = client.post(path, json=body, headers=steer)
            assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", field]
        client.post(f"/api/runs/{run['id']}/stop", headers=steer)
