"""Who steers a run: the holder of its control token; who starts runs: anyone, or the lecturer when keyed."""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.config import Settings

Serve = Callable[..., Any]
COMMANDS = ["pause", "resume", "step", "stop"]


@pytest.fixture(scope="module")
def client(serve: Serve) -> httpx.Client:
    """A client of a real server started for this module."""
    return httpx.Client(base_url=serve(Settings(max_steps=1_000_000)).http, timeout=10)


def slow_run(client: httpx.Client) -> dict[str, Any]:
    """A run that goes on long enough to be steered."""
    answer = client.post("/api/runs", json={"steps": 1_000_000, "pace": 50, "points": 8})
    assert answer.status_code == 201
    return answer.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_commands_without_the_token_are_403_and_change_nothing(
    client: httpx.Client, command: str, token: str | None
) -> None:
    """No token, or a wrong one: 403 with a message saying what is needed, and the run goes on as it was."""
    run = slow_run(client)
    headers = {} if token is None else {"X-Control-Token": token}
    answer = client.post(f"/api/runs/{run['id']}/{command}", headers=headers)
    assert answer.status_code == 403
    assert "X-Control-Token" in answer.json()["detail"]
    assert client.get(f"/api/runs/{run['id']}").json()["status"] in {"queued", "running"}
    client.post(f"/api/runs/{run['id']}/stop", headers={"X-Control-Token": run["control_token"]})


def test_the_token_is_given_once_and_steers(client: httpx.Client) -> None:
    """The token comes with the creation only (not in the run's info or list), and with it every command works."""
    run = slow_run(client)
    token = run["control_token"]
    assert len(token) >= 20
    assert "control_token" not in client.get(f"/api/runs/{run['id']}").json()
    assert all("control_token" not in listed for listed in client.get("/api/runs").json())
    steer = {"X-Control-Token": token}
    assert client.post(f"/api/runs/{run['id']}/pause", headers=steer).json()["status"] == "paused"
    assert client.post(f"/api/runs/{run['id']}/step", headers=steer).status_code == 200
    assert client.post(f"/api/runs/{run['id']}/resume", headers=steer).status_code == 200
    assert client.post(f"/api/runs/{run['id']}/stop", headers=steer).json()["status"] == "stopped"
    other = slow_run(client)  # one run's token steers no other run
    assert client.post(f"/api/runs/{other['id']}/stop", headers=steer).status_code == 403
    client.post(f"/api/runs/{other['id']}/stop", headers={"X-Control-Token": other["control_token"]})


def test_delete_needs_the_token_and_an_ended_run(client: httpx.Client) -> None:
    """Deleting: 403 without the token, 409 while the run goes on, then 204 and the run is gone (404)."""
    run = slow_run(client)
    steer = {"X-Control-Token": run["control_token"]}
    assert client.delete(f"/api/runs/{run['id']}").status_code == 403
    assert client.delete(f"/api/runs/{run['id']}", headers=steer).status_code == 409
    client.post(f"/api/runs/{run['id']}/stop", headers=steer)
    assert client.delete(f"/api/runs/{run['id']}", headers=steer).status_code == 204
    assert client.get(f"/api/runs/{run['id']}").status_code == 404
    assert run["id"] not in {listed["id"] for listed in client.get("/api/runs").json()}
    assert client.delete(f"/api/runs/{run['id']}", headers=steer).status_code == 404


def test_a_lecturer_key_guards_starting_runs(serve: Serve) -> None:
    """With lecturer_key set, a run starts only with that key; without it, 403 and no run is made."""
    server = serve(Settings(lecturer_key="hall-42"))
    with httpx.Client(base_url=server.http, timeout=10) as keyed:
        for headers in ({}, {"X-Lecturer-Key": "guess"}):
            refused = keyed.post("/api/runs", json={"steps": 3}, headers=headers)
            assert refused.status_code == 403 and "lecturer" in refused.json()["detail"]
        assert keyed.get("/api/runs").json() == []
        assert keyed.post("/api/runs", json={"steps": 3}, headers={"X-Lecturer-Key": "hall-42"}).status_code == 201


def test_pace_changes_with_the_token(client: httpx.Client) -> None:
    """A run slowed to 5 steps a second takes about that many; null lets it run free; 403 without the token."""
    run = slow_run(client)
    steer = {"X-Control-Token": run["control_token"]}
    path = f"/api/runs/{run['id']}/pace"
    assert client.post(path, json={"pace": 5}).status_code == 403
    assert client.post(path, json={"pace": -1}, headers=steer).status_code == 422
    assert client.post(path, json={"pace": 5}, headers=steer).json()["config"]["pace"] == 5
    before = client.get(f"/api/runs/{run['id']}").json()["steps_done"]
    time.sleep(1.0)
    slow = client.get(f"/api/runs/{run['id']}").json()["steps_done"] - before
    assert slow <= 10  # 5 a second, with room for the step under way and a busy machine's jitter
    assert client.post(path, json={"pace": None}, headers=steer).json()["config"]["pace"] is None
    deadline = time.monotonic() + 10
    while client.get(f"/api/runs/{run['id']}").json()["steps_done"] < before + slow + 1000:
        assert time.monotonic() < deadline, "the run did not speed up"
        time.sleep(0.05)
    client.post(f"/api/runs/{run['id']}/stop", headers=steer)


@pytest.mark.parametrize("command", [*COMMANDS, "pace"])
def test_the_lecturer_key_steers_and_stops_any_run(serve: Serve, command: str) -> None:
    """With lecturer_key set, the key steers every run (a student's left running, say) without its token; a wrong
    key is a 403 like no key, and the run goes on."""
    server = serve(Settings(lecturer_key="hall-42"))
    lecturer = {"X-Lecturer-Key": "hall-42"}
    with httpx.Client(base_url=server.http, timeout=10) as keyed:
        run = keyed.post("/api/runs", json={"steps": 1_000_000, "pace": 50, "points": 8}, headers=lecturer).json()
        path = f"/api/runs/{run['id']}"
        body = {"pace": 5} if command == "pace" else None
        if command in {"resume", "step"}:
            assert keyed.post(f"{path}/pause", headers=lecturer).json()["status"] == "paused"
        refused = keyed.post(f"{path}/{command}", json=body, headers={"X-Lecturer-Key": "guess"})
        assert refused.status_code == 403 and "X-Lecturer-Key" in refused.json()["detail"]
        answer = keyed.post(f"{path}/{command}", json=body, headers=lecturer)
        assert answer.status_code == 200, answer.text
        expected = {"pause": "paused", "resume": "running", "step": "paused", "stop": "stopped", "pace": "running"}
        assert answer.json()["status"] == expected[command]
        keyed.post(f"{path}/stop", headers=lecturer)
