"""The lecture routes on a real server: the list (a broken file in it, with its line), one lecture, the check of a
file, and a session a follower waits on while the lecturer's page moves it."""

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.web.conftest import LiveServer, Serve

BROKEN = 'title = "Broken"\n\n[[scene]]\npart = "One"\ntitle = "Two"\ntext = "..."\n[scene.run]\nengine = "nump"\n'
OWN = 'title = "My own"\n\n[[scene]]\npart = "One"\ntitle = "A line"\ntext = "..."\n[scene.run]\nengine = "linear"\n'


@pytest.fixture(scope="module")
def server(serve: Serve, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """A real server whose lectures directory holds a lecture of its own and a broken one."""
    lectures = tmp_path_factory.mktemp("lectures")
    (lectures / "broken.toml").write_text(BROKEN)
    (lectures / "mine.toml").write_text(OWN)
    return serve(Settings(data_dir=Path(tmp_path_factory.mktemp("data")), lectures_dir=lectures, max_steps=5000))


def test_the_list_has_the_shipped_lecture_a_lecturers_own_and_a_broken_file_with_its_line(
    client: httpx.Client,
) -> None:
    listed = {entry["name"]: entry for entry in client.get("/api/lectures").json()}
    assert listed["pytorch"]["scenes"] == 22 and listed["pytorch"]["error"] is None
    assert listed["mine"] == {"name": "mine", "title": "My own", "scenes": 1, "error": None, "line": None}
    assert listed["broken"]["line"] == 8 and listed["broken"]["error"].startswith("line 8: scene 1, run: engine: ")


def test_a_lecture_is_served_with_its_scenes_as_written(client: httpx.Client) -> None:
    lecture = client.get("/api/lectures/pytorch").json()
    first = lecture["scenes"][0]
    assert first["title"] == "Linear regression" and first["run"]["engine"] == "linear"
    assert "seed" not in first["run"]  # the server draws it when the scene's run starts
    assert client.get("/api/lectures/nothing").status_code == 404
    broken = client.get("/api/lectures/broken")
    assert broken.status_code == 409 and "broken.toml: line 8" in broken.json()["detail"]


def test_a_file_is_checked_before_it_is_put_in_place(client: httpx.Client) -> None:
    assert client.post("/api/lecture-check", json={"text": OWN}).json()["title"] == "My own"
    answer = client.post("/api/lecture-check", json={"text": BROKEN.replace('"Two"', "Two")})
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "text"] and problem["ctx"]["line"] == 5
    assert problem["msg"].startswith("line 5: ")


def start_run(client: httpx.Client, **config: Any) -> str:
    """A run of the lecture's scene, started as the lecturer's page starts it."""
    answer = client.post("/api/runs", json={"steps": 50, "points": 20, **config})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_a_follower_waiting_on_a_session_hears_the_lecturers_move(client: httpx.Client, server: LiveServer) -> None:
    created = client.post("/api/lectures/pytorch/sessions")
    assert created.status_code == 201, created.text
    session, token = created.json()["id"], created.json()["token"]
    assert client.get(f"/api/lecture-sessions/{session}").json()["version"] == 0

    heard: list[dict[str, Any]] = []
    with httpx.Client(base_url=server.http, timeout=30) as follower:
        waiting = threading.Thread(
            target=lambda: heard.append(follower.get(f"/api/lecture-sessions/{session}", params={"after": 0}).json())
        )
        waiting.start()
        run = start_run(client, engine="linear")
        moved = client.post(
            f"/api/lecture-sessions/{session}/scene", json={"index": 1, "run": run}, headers={"X-Control-Token": token}
        )
        assert moved.status_code == 200, moved.text
        waiting.join(10)
    assert heard and heard[0]["index"] == 1 and heard[0]["run"] == run and heard[0]["version"] == 1


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        ({"index": 1}, {}, 403, None),
        ({"index": 1}, {"X-Control-Token": "wrong"}, 403, None),
        ({"index": 22}, None, 422, "index"),
        ({"index": -1}, None, 422, "index"),
        ({"index": 0, "run": "no-such-run"}, None, 422, "run"),
        ({"index": 0, "compare": "no-such-run"}, None, 422, "compare"),
        ({"index": 0, "colour": "red"}, None, 422, "colour"),
    ],
    ids=["no-token", "wrong-token", "past-the-end", "negative", "unknown-run", "unknown-compare", "unknown-field"],
)
def test_a_move_the_session_cannot_take_is_refused_and_changes_nothing(
    client: httpx.Client, body: dict[str, Any], headers: dict[str, str] | None, status: int, field: str | None
) -> None:
    created = client.post("/api/lectures/pytorch/sessions").json()
    sent = headers if headers is not None else {"X-Control-Token": created["token"]}
    answer = client.post(f"/api/lecture-sessions/{created['id']}/scene", json=body, headers=sent)
    assert answer.status_code == status, answer.text
    if field is not None:
        assert answer.json()["detail"][0]["loc"] == ["body", field]
    assert client.get(f"/api/lecture-sessions/{created['id']}").json()["version"] == 0


def test_unknown_sessions_and_lectures_are_404(client: httpx.Client) -> None:
    assert client.get("/api/lecture-sessions/nope").status_code == 404
    assert client.post("/api/lecture-sessions/nope/scene", json={"index": 0}).status_code == 404
    assert client.post("/api/lectures/nothing/sessions").status_code == 404
    assert client.post("/api/lectures/broken/sessions").status_code == 409
    assert client.get("/api/lecture-sessions/nope", params={"after": "x"}).status_code == 422
