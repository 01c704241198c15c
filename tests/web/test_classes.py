"""Classes over the REST API of a real server: opened, listed, joined, runs started in them within their rules and
the per-student limits; unknown codes are 404 everywhere."""

import asyncio
import io
import re
from typing import Any

import httpx
import pytest
import segno
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from app.config import Settings
from app.run_config import RunConfig
from tests.web.conftest import Serve

TINY = {"engine": "numpy", "points": 16, "steps": 40, "seed": 0}
# For every run setting, a valid value other than the class's below (TINY, the rest defaults): the fixed-field
# test goes over all of them, and fails when a setting is added without one.
OTHER: dict[str, Any] = {
    "engine": "torch-autograd",
    "steps": 41,
    "learning_rate": 1e-5,
    "reduction": "mean",
    "seed": 7,
    "pace": 5,
    "points": 17,
    "x_min": -3,
    "x_max": 3,
    "target": "cos(x)",
    "noise": 0.1,
    "dtype": "float32",
    "zero_grad": False,
    "no_grad": False,
    "degree": 2,
    "frozen": ["c"],
    "layers": [8, "relu"],
    "optimizer": "adam",
}
CODE = re.compile(r"[A-HJ-NP-Z2-9]{6}")


@pytest.fixture(scope="module")
def server(serve: Serve) -> Any:
    """A real server for this module."""
    return serve(Settings())


def open_class(client: httpx.Client, **body: Any) -> dict[str, Any]:
    """POST a class, expecting 201."""
    answer = client.post("/api/classes", json={"settings": TINY, **body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def join(client: httpx.Client, code: str, name: str | None = None) -> dict[str, str]:
    """Join a class, expecting 201; the header that carries the student's token."""
    answer = client.post(f"/api/classes/{code}/join", json={"name": name} if name else {})
    assert answer.status_code == 201, answer.text
    return {"X-Student-Token": answer.json()["student_token"]}


def test_a_class_is_opened_joined_and_lists_the_runs_started_in_it(client: httpx.Client) -> None:
    """The class's answer has its code, links and token; a student joins and starts a run from the class's settings
    with the free learning rate changed; the run and the class both say so, under the code in any case."""
    made = open_class(client, title="Lecture 3", free=["learning_rate"])
    code = made["code"]
    assert CODE.fullmatch(code)
    assert made["join_url"].endswith(f"/join/{code}") and made["join_url"].startswith("http")
    assert made["view_url"] == f"/class/{code}"
    assert made["settings"] == TINY and made["free"] == ["learning_rate"] and made["title"] == "Lecture 3"
    assert made["control_token"]

    joined = client.post(f"/api/classes/{code.lower()}/join", json={"name": "  Ada "})
    assert joined.status_code == 201
    student = joined.json()
    assert student["name"] == "Ada" and student["student"] and student["student_token"]
    steer = {"X-Student-Token": student["student_token"]}
    started = client.post(f"/api/classes/{code}/runs", json={"learning_rate": 2e-6}, headers=steer)
    assert started.status_code == 201, started.text
    run = started.json()
    assert run["class_code"] == code and run["student"] == student["student"] and run["control_token"]
    assert {key: run["config"][key] for key in TINY} == TINY and run["config"]["learning_rate"] == 2e-6

    assert client.get(f"/api/runs/{run['id']}").json()["class_code"] == code
    listed = {info["id"]: info for info in client.get("/api/runs").json()}
    assert listed[run["id"]]["student"] == student["student"]
    outside = client.post("/api/runs", json=TINY).json()
    assert outside["class_code"] is None and outside["student"] is None

    detail = client.get(f"/api/classes/{code.lower()}").json()
    assert {key: detail[key] for key in ("code", "title", "settings", "free", "view_url")} == {
        "code": code,
        "title": "Lecture 3",
        "settings": TINY,
        "free": ["learning_rate"],
        "view_url": f"/class/{code}",
    }
    assert detail["join_url"] == made["join_url"]
    [entry] = detail["runs"]
    assert entry["id"] == run["id"] and entry["student"] == student["student"] and entry["name"] == "Ada"
    assert entry["config"] == {"learning_rate": 2e-6}  # only what differs from the class's settings
    assert set(entry) == {"id", "student", "name", "status", "step", "loss", "config", "message"}


def test_every_fixed_field_set_to_another_value_is_refused_naming_it(client: httpx.Client) -> None:
    """A class with no free field: each setting sent with another value is a 422 naming that field ("fixed by the
    class"); the class's own value, or none, is accepted."""
    assert set(OTHER) == set(RunConfig.model_fields)
    code = open_class(client, free=[])["code"]
    steer = join(client, code)
    for field, value in OTHER.items():
        answer = client.post(f"/api/classes/{code}/runs", json={field: value}, headers=steer)
        assert answer.status_code == 422, (field, answer.text)
        [problem] = answer.json()["detail"]
        assert problem["loc"] == ["body", field] and problem["type"] == "fixed", (field, problem)
        assert "fixed by the class" in problem["msg"]
    same = client.post(f"/api/classes/{code}/runs", json={"points": 16, "engine": "numpy"}, headers=steer)
    assert same.status_code == 201, same.text
    assert client.post(f"/api/classes/{code}/runs", json={}, headers=steer).status_code == 201


def test_free_fields_may_change_and_null_frees_them_all(client: httpx.Client) -> None:
    """Every setting may differ when `free` is null; a class freeing some takes those and refuses the others."""
    code = open_class(client)["code"]
    steer = join(client, code)
    body = {"learning_rate": 3e-6, "points": 12, "reduction": "mean", "engine": "torch-autograd", "zero_grad": False}
    answer = client.post(f"/api/classes/{code}/runs", json=body, headers=steer)
    assert answer.status_code == 201, answer.text
    assert {key: answer.json()["config"][key] for key in body} == body

    code = open_class(client, free=["learning_rate", "zero_grad", "engine"])["code"]
    steer = join(client, code)
    answer = client.post(
        f"/api/classes/{code}/runs", json={"engine": "torch-autograd", "zero_grad": False}, headers=steer
    )
    assert answer.status_code == 201, answer.text
    refused = client.post(f"/api/classes/{code}/runs", json={"points": 12}, headers=steer)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "points"]


def test_a_students_bad_config_is_a_422_naming_the_field(client: httpx.Client) -> None:
    """An unknown setting, a value of the wrong type, a value past the server's limits: each names its field."""
    code = open_class(client)["code"]
    steer = join(client, code)
    for body, field in (
        ({"colour": "red"}, "colour"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"steps": 10**8}, "steps"),  # valid as a config, over the server's max_steps
        ({"x_max": -4}, "x_max"),  # valid alone, not beside the class's x_min
    ):
        answer = client.post(f"/api/classes/{code}/runs", json=body, headers=steer)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["body", field], answer.text


def test_bad_class_settings_and_free_fields_are_422_naming_them(client: httpx.Client) -> None:
    """A class is checked as a run's config is, each error located in the body."""
    for body, loc in (
        ({"settings": {"steps": "many"}}, ["body", "settings", "steps"]),
        ({"settings": {"steps": 10**8}}, ["body", "settings", "steps"]),
        ({"settings": {"colour": 1}}, ["body", "settings", "colour"]),
        ({"settings": {"engine": "numpy", "zero_grad": False}}, ["body", "settings", "zero_grad"]),
        ({"settings": {"engine": "torch-nn", "no_grad": False}}, ["body", "settings", "no_grad"]),
        ({"free": ["learning_rate", "colour"]}, ["body", "free", 1]),
        ({"title": "x" * 121}, ["body", "title"]),
        ({"teacher": "me"}, ["body", "teacher"]),
    ):
        answer = client.post("/api/classes", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["loc"] == loc, answer.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/classes/ZZZZZZ"),
        ("GET", "/api/classes/ZZZZZZ/qr.svg"),
        ("POST", "/api/classes/ZZZZZZ/join"),
        ("POST", "/api/classes/ZZZZZZ/runs"),
        ("POST", "/api/classes/ZZZZZZ/presenter"),
    ],
)
def test_unknown_codes_are_404(client: httpx.Client, method: str, path: str) -> None:
    """No class, no answer: every class route says so."""
    answer = client.request(method, path, json={})
    assert answer.status_code == 404
    assert "ZZZZZZ" in answer.json()["detail"]


def test_an_unknown_class_feed_is_closed_4404(server: Any) -> None:
    """The class feed of a code nobody opened closes with 4404, as a run's does."""

    async def watch() -> int | None:
        async with connect(f"{server.ws}/ws/classes/ZZZZZZ") as websocket:
            with pytest.raises(ConnectionClosed):
                await websocket.recv()
            return websocket.close_code

    assert asyncio.run(watch()) == 4404


def test_starting_a_run_needs_a_student_token_of_that_class(client: httpx.Client) -> None:
    """No token, a wrong one, or one of another class: 403, and no run is made."""
    code = open_class(client)["code"]
    other = join(client, open_class(client)["code"])
    before = len(client.get("/api/runs").json())
    for headers in ({}, {"X-Student-Token": "nope"}, other):
        answer = client.post(f"/api/classes/{code}/runs", json={}, headers=headers)
        assert answer.status_code == 403, answer.text
    assert len(client.get("/api/runs").json()) == before
    assert client.get(f"/api/classes/{code}").json()["runs"] == []


def test_the_qr_code_encodes_the_join_link(client: httpx.Client) -> None:
    """The class's QR code is the SVG of its join link."""
    made = open_class(client)
    answer = client.get(f"/api/classes/{made['code']}/qr.svg")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    code = segno.make(made["join_url"], error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False, svgclass="qr-code")
    assert answer.text == svg.getvalue().decode()


def test_per_student_limits_hold_inside_a_class(serve: Serve) -> None:
    """max_runs_per_client counts per student: a student with that many runs going is refused (429), another
    student behind the same address is not."""
    server = serve(Settings(max_runs_per_client=2))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        code = open_class(client, settings={**TINY, "steps": 100_000, "pace": 1})["code"]
        first, second = join(client, code), join(client, code)
        for _ in range(2):
            assert client.post(f"/api/classes/{code}/runs", json={}, headers=first).status_code == 201
        refused = client.post(f"/api/classes/{code}/runs", json={}, headers=first)
        assert refused.status_code == 429 and "Retry-After" in refused.headers
        assert "max_runs_per_client" in refused.json()["detail"]
        assert client.post(f"/api/classes/{code}/runs", json={}, headers=second).status_code == 201
        for run in server.app.state.manager:
            if not run.ended:
                run.stop()


def test_the_create_rate_holds_per_student_inside_a_class(serve: Serve) -> None:
    """A student past create_burst runs started at once is refused (429); another student is not, and neither is
    the address's own limit spent by class runs."""
    server = serve(Settings(create_burst=3, create_rate=1))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        code = open_class(client)["code"]
        first, second = join(client, code), join(client, code)
        for _ in range(3):
            assert client.post(f"/api/classes/{code}/runs", json={}, headers=first).status_code == 201
        refused = client.post(f"/api/classes/{code}/runs", json={}, headers=first)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert client.post(f"/api/classes/{code}/runs", json={}, headers=second).status_code == 201
        assert client.post("/api/runs", json=TINY).status_code == 201  # one class opened, so 2 of 3 left


def test_joins_are_limited_per_address_after_a_burst(serve: Serve) -> None:
    """join_burst joins at once from one address, then 429 with Retry-After."""
    server = serve(Settings(join_burst=5, join_rate=1))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        code = open_class(client)["code"]
        for _ in range(5):
            join(client, code)
        refused = client.post(f"/api/classes/{code}/join", json={})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_a_full_class_refuses_more_students(serve: Serve) -> None:
    """Past max_class_students, a join is a 409 saying why."""
    server = serve(Settings(max_class_students=2))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        code = open_class(client)["code"]
        join(client, code)
        join(client, code)
        refused = client.post(f"/api/classes/{code}/join", json={})
        assert refused.status_code == 409 and "max_class_students" in refused.json()["detail"]


def test_a_lecturer_key_guards_opening_a_class_not_joining_it(serve: Serve) -> None:
    """With lecturer_key set, a class opens only with the key; students join and start runs without it (theirs is
    the student token), and the key may share the class view as the class's token may."""
    server = serve(Settings(lecturer_key="hall-42"))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        assert client.post("/api/classes", json={"settings": TINY}).status_code == 403
        key = {"X-Lecturer-Key": "hall-42"}
        made = client.post("/api/classes", json={"settings": TINY}, headers=key).json()
        code = made["code"]
        steer = join(client, code)
        assert client.post(f"/api/classes/{code}/runs", json={}, headers=steer).status_code == 201
        assert client.post("/api/runs", json=TINY).status_code == 403  # outside a class, the key is still needed
        view = f"/api/classes/{code}/presenter"
        assert client.post(view, json={"run": "x"}).status_code == 403
        assert client.post(view, json={"run": "x"}, headers={"X-Lecturer-Key": "wrong"}).status_code == 403
        assert client.post(view, json={"run": "x"}, headers=key).status_code == 204
        token = {"X-Control-Token": made["control_token"]}
        assert client.post(view, json={"run": "y"}, headers=token).status_code == 204


def test_presenter_states_are_checked(client: httpx.Client) -> None:
    """The class view's shared state is a flat object of short values: anything else is a 422 naming it."""
    made = open_class(client)
    view, token = f"/api/classes/{made['code']}/presenter", {"X-Control-Token": made["control_token"]}
    for state in ({"Run": 1}, {"run": {"deep": 1}}, {"run": "x" * 65}, {f"k{i}": i for i in range(17)}, []):
        assert client.post(view, json=state, headers=token).status_code == 422, state
    state = {"colour_by": "learning_rate", "run": None, "log": True, "zoom": 1.5}
    assert client.post(view, json=state, headers=token).status_code == 204


def test_a_class_feed_opened_by_another_sites_page_is_closed_4403(server: Any, client: httpx.Client) -> None:
    """A page of another site may not follow a class, as it may not follow a run."""
    code = open_class(client)["code"]

    async def watch() -> int | None:
        async with connect(f"{server.ws}/ws/classes/{code}", origin=Origin("http://evil.example")) as websocket:
            with pytest.raises(ConnectionClosed):
                await websocket.recv()
            return websocket.close_code

    assert asyncio.run(watch()) == 4403


def test_a_students_name_is_checked(client: httpx.Client) -> None:
    """An empty, long or non-text name is a 422 naming it; no name gives "Student N"."""
    code = open_class(client)["code"]
    for name in ("", "   ", "x" * 41, 5):
        answer = client.post(f"/api/classes/{code}/join", json={"name": name})
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][:2] == ["body", "name"], name
    assert client.post(f"/api/classes/{code}/join", json={}).json()["name"] == "Student 1"
    assert client.post(f"/api/classes/{code}/join", json={"name": None}).json()["name"] == "Student 2"


def test_a_hall_asking_for_the_class_shares_one_answer(serve: Serve) -> None:
    """Within one class frame interval, every GET of the class is the same answer, made once; a run started in the
    class makes it anew at once."""
    server = serve(Settings(class_frame_rate=0.01))  # one answer a 100 s, unless the class changes
    with httpx.Client(base_url=server.http, timeout=10) as client:
        code = open_class(client)["code"]
        answers = server.app.state.class_answers
        before = answers.makings
        first = [client.get(f"/api/classes/{code}").content for _ in range(20)]
        assert len(set(first)) == 1 and answers.makings == before + 1
        steer = join(client, code)
        run = client.post(f"/api/classes/{code}/runs", json={}, headers=steer).json()
        assert [entry["id"] for entry in client.get(f"/api/classes/{code}").json()["runs"]] == [run["id"]]
        assert answers.makings == before + 2


def test_the_lecturer_stops_any_run_of_the_class(client: httpx.Client) -> None:
    """With the class's control token, a student's run is stopped without its own token; without it, 403; a run
    of another class or none at all is 404; an ended one 409."""
    made = open_class(client, settings={**TINY, "steps": 100_000, "pace": 5})
    code, lecturer = made["code"], {"X-Control-Token": made["control_token"]}
    run = client.post(f"/api/classes/{code}/runs", json={}, headers=join(client, code)).json()
    stop = f"/api/classes/{code}/runs/{run['id']}/stop"
    assert client.post(stop).status_code == 403
    assert client.post(stop, headers={"X-Control-Token": run["control_token"]}).status_code == 403
    stopped = client.post(stop, headers=lecturer)
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert client.post(stop, headers=lecturer).status_code == 409
    outside = client.post("/api/runs", json=TINY).json()
    assert client.post(f"/api/classes/{code}/runs/{outside['id']}/stop", headers=lecturer).status_code == 404
    assert client.post(f"/api/classes/{code}/runs/nope/stop", headers=lecturer).status_code == 404


def test_the_join_link_is_under_public_url_when_set(serve: Serve) -> None:
    """With public_url set, the join link (and its QR code, and the class's answer) use it."""
    server = serve(Settings(public_url="http://hall.example:8000/"))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        made = open_class(client)
        assert made["join_url"] == f"http://hall.example:8000/join/{made['code']}"
        assert client.get(f"/api/classes/{made['code']}").json()["join_url"] == made["join_url"]
