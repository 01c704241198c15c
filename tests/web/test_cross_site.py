"""What another site's page could make a visitor's browser send: a state change from a foreign Origin is 403 and
changes nothing; a body not declared JSON is 415 and makes no run. The server's own pages and allowed_origins work."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from app.config import Settings

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

EXTRA_ORIGIN = "http://lecture.example:8080"
FOREIGN = ["http://evil.example", "null", "http://127.0.0.1.evil.example", "https://lecture.example:8080"]


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """A server that also lets one other site's pages steer it."""
    return serve(Settings(max_steps=100_000, allowed_origins=[EXTRA_ORIGIN]))


def commands(run_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    """Every state-changing route, with a body it would take."""
    base = f"/api/runs/{run_id}"
    return [
        ("POST", "/api/runs", {"steps": 5}),
        ("POST", "/api/runs/import", {}),
        ("POST", f"{base}/pause", None),
        ("POST", f"{base}/resume", None),
        ("POST", f"{base}/step", None),
        ("POST", f"{base}/pace", {"pace": 1}),
        ("POST", f"{base}/presenter", {"panel": "loss"}),
        ("POST", f"{base}/stop", None),
        ("DELETE", base, None),
    ]


@pytest.mark.parametrize("origin", FOREIGN)
def test_a_foreign_origin_changes_nothing(client: httpx.Client, rest: RestRuns, origin: str) -> None:
    """Every state-changing route answers 403 to another site's Origin, even with the run's token."""
    run = rest.create(client, steps=100_000, points=4, pace=5)
    before = client.get("/api/runs").json()
    for method, path, body in commands(run["id"]):
        headers = {"Origin": origin, **rest.steering(run["id"])}
        answer = client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, f"{method} {path}: {answer.status_code} {answer.text}"
        assert "allowed_origins" in answer.json()["detail"]
    after = client.get("/api/runs").json()
    assert [r["id"] for r in after] == [r["id"] for r in before]
    now = client.get(f"/api/runs/{run['id']}").json()
    assert now["status"] == "running" and now["config"]["pace"] == 5


def test_the_servers_own_origin_and_an_allowed_one_work(
    server: LiveServer, client: httpx.Client, rest: RestRuns
) -> None:
    """The page's own origin (the Host it asked) and an allowed_origins entry steer as a script does."""
    for origin in (server.http, f"http://localhost:{server.port}", EXTRA_ORIGIN):
        headers = {"Origin": origin}
        if origin.startswith("http://localhost"):
            headers["Host"] = f"localhost:{server.port}"
        created = client.post("/api/runs", json={"steps": 100_000, "points": 4, "pace": 5}, headers=headers)
        assert created.status_code == 201, f"{origin}: {created.text}"
        steer = {"X-Control-Token": created.json()["control_token"], **headers}
        run_path = f"/api/runs/{created.json()['id']}"
        assert client.post(f"{run_path}/pace", json={"pace": 9}, headers=steer).json()["config"]["pace"] == 9
        assert client.post(f"{run_path}/stop", headers=steer).json()["status"] == "stopped"
        assert client.delete(run_path, headers=steer).status_code == 204


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"steps": 5}'),
        ("text/plain;charset=UTF-8", b""),
        ("application/x-www-form-urlencoded", b"steps=5"),
        ("multipart/form-data; boundary=x", b"--x--\r\n"),
        (None, b""),  # a form with no fields, or fetch(url, {method: "POST"})
        (None, b'{"steps": 5}'),
    ],
)
def test_a_body_not_declared_json_is_415(client: httpx.Client, content_type: str | None, body: bytes) -> None:
    """The bodies a page may send cross-site without asking first make no run: 415, naming the header to send."""
    before = len(client.get("/api/runs").json())
    headers = {} if content_type is None else {"content-type": content_type}
    answer = client.post("/api/runs", content=body, headers=headers)
    assert answer.status_code == 415, answer.text
    assert "Content-Type: application/json" in answer.json()["detail"]
    assert len(client.get("/api/runs").json()) == before


@pytest.mark.parametrize("what", ["pace", "presenter"])
def test_run_commands_with_a_body_need_json(client: httpx.Client, rest: RestRuns, what: str) -> None:
    """/pace and /presenter refuse a text/plain body (415) and leave the run as it was."""
    run = rest.create(client, steps=100_000, points=4, pace=5)
    headers = {"content-type": "text/plain", **rest.steering(run["id"])}
    answer = client.post(f"/api/runs/{run['id']}/{what}", content=b'{"pace": 1, "panel": "loss"}', headers=headers)
    assert answer.status_code == 415
    assert client.get(f"/api/runs/{run['id']}").json()["config"]["pace"] == 5


def test_body_less_commands_need_no_content_type(client: httpx.Client, rest: RestRuns) -> None:
    """pause, resume, step, stop and delete take no body: the control token header is what they need."""
    run = rest.create(client, steps=100_000, points=4, pace=5)
    steer = rest.steering(run["id"])
    for command in ("pause", "step", "resume", "stop"):
        assert client.post(f"/api/runs/{run['id']}/{command}", headers=steer).status_code == 200, command
    assert client.delete(f"/api/runs/{run['id']}", headers=steer).status_code == 204
