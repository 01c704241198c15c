"""The REST API on a real server: status codes, filled defaults, 404/409/422 naming the field, and history."""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pytest

from app.config import Settings
from app.engines import ENGINES
from app.run_config import ENGINE_DEFAULTS, EngineName, RunConfig

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

WaitUntil = Callable[..., None]
LIMITS = {"max_steps": 5000, "max_points": 3000, "max_active_runs": 30, "curve_points": 20}
SLOW = {"steps": 5000, "points": 4, "pace": 20, "seed": 0}  # runs for minutes unless stopped
TINY = {"steps": 20, "points": 8, "seed": 0}


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """One server with small limits for this module."""
    return serve(Settings(**LIMITS))


def error_locs(response: httpx.Response) -> list[list[str | int]]:
    """The loc of each error in a 422 body."""
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


def test_create_with_empty_body_fills_the_lecture_defaults(client: httpx.Client, rest: RestRuns) -> None:
    """POST {} answers 201 with every default filled in, including a drawn seed that GET then repeats."""
    run = rest.create(client)
    config = run["config"]
    assert config["engine"] == "numpy" and config["steps"] == 2000 and config["points"] == 2000
    assert config["reduction"] == "sum" and config["learning_rate"] == 1e-6
    assert isinstance(config["seed"], int) and config["seed"] >= 0
    assert run["status"] in {"queued", "running", "finished"}
    assert run["param_names"] == ["a", "b", "c", "d"]
    assert client.get(f"/api/runs/{run['id']}").json()["config"]["seed"] == config["seed"]


def test_create_without_any_body(client: httpx.Client) -> None:
    """POST with no body but a JSON content type is the same as an empty one (without one: 415, test_cross_site)."""
    response = client.post("/api/runs", headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["config"]["learning_rate"] == 1e-6


def test_mean_reduction_defaults_to_its_own_learning_rate(client: httpx.Client, rest: RestRuns) -> None:
    """reduction='mean' without a learning rate records 2e-3."""
    assert rest.create(client, reduction="mean", **TINY)["config"]["learning_rate"] == pytest.approx(2e-3, rel=1e-12)


def test_created_run_echoes_the_given_config(client: httpx.Client, rest: RestRuns) -> None:
    """Given fields are recorded as given."""
    body = {"engine": "torch-autograd", "steps": 30, "learning_rate": 1e-4, "seed": 11, "points": 9, "x_min": -1.0}
    config = rest.create(client, **body)["config"]
    assert {key: config[key] for key in body} == body


def test_list_is_newest_first_and_get_one(client: httpx.Client, rest: RestRuns) -> None:
    """GET /api/runs lists the runs newest first; GET /api/runs/{id} answers that run."""
    first, second = rest.create(client, **TINY), rest.create(client, **TINY)
    response = client.get("/api/runs")
    assert response.status_code == 200
    ids = [run["id"] for run in response.json()]
    assert ids.index(second["id"]) < ids.index(first["id"])
    one = client.get(f"/api/runs/{first['id']}")
    assert one.status_code == 200 and one.json()["id"] == first["id"]


def test_the_list_answers_whatever_one_run_asks_for(client: httpx.Client, rest: RestRuns) -> None:
    """A config that passes the request yet whose run cannot be summed up (x_min beyond the default x_max) never
    fails the list for everyone: the list answers, and such a run, if one was made, is listed as unreadable."""
    other = rest.create(client, steps=5, points=20)
    # Refused, or a run that reads badly (its answer dropped): sent on a connection of its own.
    with contextlib.suppress(httpx.TransportError), httpx.Client(base_url=client.base_url, timeout=10) as hostile:
        hostile.post("/api/runs", json={"x_min": 5, "steps": 5, "points": 20})
    listed = client.get("/api/runs")
    assert listed.status_code == 200, listed.text
    assert other["id"] in {run["id"] for run in listed.json()}
    for run in listed.json():
        assert run["status"] != "unreadable" or "x_max" in run["message"], run


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/runs/nope"),
        ("GET", "/api/runs/nope/history"),
        ("POST", "/api/runs/nope/pause"),
        ("POST", "/api/runs/nope/resume"),
        ("POST", "/api/runs/nope/step"),
        ("POST", "/api/runs/nope/stop"),
    ],
)
def test_unknown_id_is_404_on_every_route(client: httpx.Client, method: str, path: str) -> None:
    """Every route of a run answers 404 for an id the server does not know, naming the id."""
    response = client.request(method, path)
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


@pytest.mark.parametrize("command", ["pause", "resume", "step", "stop"])
def test_commands_on_a_finished_run_are_409(client: httpx.Client, rest: RestRuns, command: str) -> None:
    """No command applies to a finished run: 409 with the reason, and the run stays finished."""
    run = rest.create(client, **TINY)
    run_id = run["id"]
    rest.wait_status(client, run_id, "finished")
    response = client.post(f"/api/runs/{run_id}/{command}", headers=rest.steering(run_id))
    assert response.status_code == 409
    assert "finished" in response.json()["detail"]
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "finished"


def test_pause_step_resume_stop(client: httpx.Client, rest: RestRuns, wait_until: WaitUntil) -> None:
    """pause → paused; step → exactly one more step; resume → running; stop → stopped; wrong ones → 409."""
    run_id = rest.create(client, **SLOW)["id"]
    token = rest.steering(run_id)
    rest.wait_status(client, run_id, "running")
    assert client.post(f"/api/runs/{run_id}/resume", headers=token).status_code == 409

    paused = client.post(f"/api/runs/{run_id}/pause", headers=token)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["steps_done"] > 0, 5, "the paused run's step")
    before = client.get(f"/api/runs/{run_id}").json()["steps_done"]
    stepped = client.post(f"/api/runs/{run_id}/step", headers=token)
    assert stepped.status_code == 200 and stepped.json()["status"] == "paused"
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["steps_done"] == before + 1, 5, "one more step")

    resumed = client.post(f"/api/runs/{run_id}/resume", headers=token)
    assert resumed.status_code == 200 and resumed.json()["status"] == "running"
    stopped = client.post(f"/api/runs/{run_id}/stop", headers=token)
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert stopped.json()["ended_at"] is not None
    assert client.post(f"/api/runs/{run_id}/stop", headers=token).status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": -3}, "steps"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": -1e-6}, "learning_rate"),
        ({"learning_rate": "nan"}, "learning_rate"),
        ({"learning_rate": "inf"}, "learning_rate"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"engine": "jax"}, "engine"),
        ({"momentum": 0.9}, "momentum"),
        ({"engine": "numpy", "zero_grad": False}, "zero_grad"),
        ({"engine": "torch-autograd", "no_grad": "false"}, "no_grad"),
        ({"engine": "torch-autograd", "no_grad": 0}, "no_grad"),
        ({"engine": "linear", "degree": 0}, "degree"),
        ({"engine": "linear", "degree": 4}, "degree"),
        ({"engine": "linear", "degree": 1.5}, "degree"),
        ({"engine": "linear", "degree": "2"}, "degree"),
        ({"engine": "torch-autograd", "frozen": ["e"]}, "frozen"),
        ({"engine": "torch-autograd", "frozen": ["c", "c"]}, "frozen"),
        ({"engine": "torch-autograd", "frozen": "c"}, "frozen"),
        ({"steps": 5001}, "steps"),
        ({"points": 3001}, "points"),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(f"{k}={v}" for k, v in value.items()),
)
def test_invalid_body_is_422_naming_the_field(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    """Each invalid value (including one over the server's limits) is a 422 whose loc is ["body", field]."""
    runs_before = len(client.get("/api/runs").json())
    locs = error_locs(client.post("/api/runs", json={**TINY, **body}))
    assert ["body", field] in locs, locs
    assert len(client.get("/api/runs").json()) == runs_before


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [("no_grad", False, "torch.no_grad()"), ("degree", 2, "features"), ("frozen", ["b"], "requires_grad")],
    ids=["no_grad", "degree", "frozen"],
)
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_a_switch_is_422_naming_it_for_every_engine_that_does_not_read_it(
    client: httpx.Client, engine: str, field: str, value: object, words: str
) -> None:
    """Only an engine whose update is written under torch.no_grad() can leave it out, only a linear engine choose
    its features; the rest answer 422 naming the field, and an engine that reads it starts the run."""
    answer = client.post("/api/runs", json={**TINY, "engine": engine, field: value})
    if field in ENGINES[engine].switches:
        assert answer.status_code == 201, answer.text
        assert answer.json()["config"][field] == value
        return
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", field]
    assert words in answer.json()["detail"][0]["msg"]


def test_no_grad_off_runs_and_fails_with_pytorchs_error(client: httpx.Client, wait_until: WaitUntil) -> None:
    """torch-autograd takes no_grad=false; the run ends failed with PyTorch's refusal, its config kept."""
    created = client.post("/api/runs", json={**TINY, "engine": "torch-autograd", "no_grad": False})
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "failed", 30, "the run to fail")
    run = client.get(f"/api/runs/{run_id}").json()
    assert "a leaf Variable that requires grad is being used in an in-place operation" in run["message"]
    assert run["config"]["no_grad"] is False


@pytest.mark.parametrize("x_range", [(1.0, 1.0), (2.0, -2.0)], ids=["equal", "reversed"])
def test_empty_x_range_is_422_naming_a_bound(client: httpx.Client, x_range: tuple[float, float]) -> None:
    """x_min ≥ x_max is a 422 whose loc names x_min or x_max (not just the body)."""
    x_min, x_max = x_range
    locs = error_locs(client.post("/api/runs", json={**TINY, "x_min": x_min, "x_max": x_max}))
    assert any(loc[-1] in {"x_min", "x_max"} for loc in locs), locs


def test_too_many_active_runs_is_422(serve: Callable[..., LiveServer], rest: RestRuns) -> None:
    """With max_active_runs=1 a second run is refused (422, the limit named in the message) until the first ends."""
    server = serve(Settings(**{**LIMITS, "max_active_runs": 1}))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        first = rest.create(client, **SLOW)["id"]
        response = client.post("/api/runs", json=TINY)
        assert error_locs(response) == [["body"]]
        assert "max_active_runs" in response.json()["detail"][0]["msg"]
        assert client.post(f"/api/runs/{first}/stop", headers=rest.steering(first)).json()["status"] == "stopped"
        rest.create(client, **TINY)


def test_history_is_columnar_and_each_loss_matches_its_weights(
    client: httpx.Client,
    rest: RestRuns,
    loss_oracle: Callable[..., float],
    points_oracle: Callable[[RunConfig], list[float]],
) -> None:
    """The history has every step as columns; loss[i] recomputed from params[*][i] matches, and so does RunInfo."""
    created = rest.create(client, steps=50, points=30, learning_rate=1e-4, seed=3)
    info = rest.wait_status(client, created["id"], "finished")
    response = client.get(f"/api/runs/{created['id']}/history")
    assert response.status_code == 200
    history = response.json()
    assert set(history) == {"step", "loss", "params", "grads"}
    assert history["step"] == list(range(50))
    assert set(history["params"]) == set(history["grads"]) == {"a", "b", "c", "d"}
    assert all(len(column) == 50 for column in (*history["params"].values(), *history["grads"].values()))

    xs = points_oracle(RunConfig.model_validate(info["config"]))
    params = np.array([history["params"][name] for name in "abcd"]).T
    grads = np.array([history["grads"][name] for name in "abcd"]).T
    for i, loss in enumerate(history["loss"]):
        assert loss == pytest.approx(loss_oracle(params[i], xs), rel=1e-12), f"step {i}"
    np.testing.assert_allclose(params[1:], params[:-1] - 1e-4 * grads[:-1], rtol=1e-14, atol=1e-15)

    assert info["steps_done"] == 50 and info["step"] == 49 and info["loss"] == history["loss"][-1]
    final = params[-1] - 1e-4 * grads[-1]
    assert [info["params"][name] for name in "abcd"] == pytest.approx(final.tolist(), rel=1e-14)
    assert [info["grads"][name] for name in "abcd"] == grads[-1].tolist()


def test_health_engines_docs_and_openapi(client: httpx.Client) -> None:
    """/healthz, /api/engines, /docs, /openapi.json and the page all answer."""
    assert client.get("/healthz").json() == {"status": "ok"}
    engines = {engine["name"]: engine for engine in client.get("/api/engines").json()}
    assert set(engines) == set(typing.get_args(EngineName))
    networks = {
        "torch-mlp": ["0.weight", "0.bias", "2.weight", "2.bias"],
        "lecture-net": ["0.weight", "0.bias", "2.weight", "2.bias"],
    }
    linear = {"linear": ["b", "w1"], "linear-torch": ["b", "w1"]}  # a line, till the degree adds features
    for name, engine in engines.items():
        assert engine["param_names"][:4] == {**networks, **linear}.get(name, ["a", "b", "c", "d"])
    assert engines["numpy"]["param_names"] == ["a", "b", "c", "d"]
    assert engines["dynamic-net"]["param_names"] == ["a", "b", "c", "d", "e"]
    assert all(engine["description"] and engine["model"] and engine["code"] for engine in engines.values())
    assert engines["numpy"]["stores_grads"] is False and engines["torch-autograd"]["stores_grads"] is True
    assert {name: engine["defaults"] for name, engine in engines.items() if engine["defaults"]} == ENGINE_DEFAULTS
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    schema = client.get("/openapi.json").json()
    assert {"/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/history", "/healthz"} <= set(schema["paths"])
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_page_comes_from_the_settings_templates_dir(serve: Callable[..., LiveServer], tmp_path: Path) -> None:
    """create_app(settings) renders the page from settings.templates_dir, like it serves settings.static_dir."""
    (tmp_path / "index.html").write_text("custom page with {{ engines | length }} engines")
    server = serve(Settings(**LIMITS, templates_dir=tmp_path))
    page = httpx.get(f"{server.http}/", timeout=10)
    assert page.status_code == 200
    assert page.text == f"custom page with {len(ENGINES)} engines"


def test_engines_say_which_line_updates_which_weight(client: httpx.Client) -> None:
    """Each engine's code names, per line, the weights it updates ("all" for an optimizer's step or a loop over
    the parameters), and where torch.nn holds a weight under another name, the leaf that holds it."""
    engines = {engine["name"]: engine for engine in client.get("/api/engines").json()}
    for name, engine in engines.items():
        updates = [line["updates"] for line in engine["code"] if line["updates"]]
        assert updates in (["all"], [[weight] for weight in engine["param_names"]]), name
        assert all(line["phase"] == "update" for line in engine["code"] if line["updates"]), name
    numpy_lines = {line["text"]: line["updates"] for line in engines["numpy"]["code"]}
    assert numpy_lines["b -= learning_rate * grad_b"] == ["b"]
    assert numpy_lines["grad_b = (grad_y_pred * x).sum()"] == []
    assert engines["torch-nn"]["leaves"] == {"a": "0.bias", "b": "0.weight", "c": "0.weight", "d": "0.weight"}
    assert engines["torch-optim"]["leaves"] == engines["torch-nn"]["leaves"]
    assert all(not engines[name]["leaves"] for name in ("numpy", "torch-autograd", "dynamic-net", "torch-mlp"))


@pytest.mark.parametrize("engine", typing.get_args(EngineName))
def test_a_runs_graph_names_the_line_that_built_each_node(client: httpx.Client, rest: RestRuns, engine: str) -> None:
    """Every op node of a run's graph names a line of its engine's code (an index into `code` of
    GET /api/engines) in the forward, loss or, for a hand-derived graph, backward phase; no leaf or constant does."""
    code = next(e["code"] for e in client.get("/api/engines").json() if e["name"] == engine)
    run = rest.finished(client, engine=engine, **TINY)
    answer = client.get(f"/api/runs/{run['id']}/graph", params={"step": TINY["steps"] - 1})
    assert answer.status_code == 200, answer.text
    nodes = answer.json()["shape"]["nodes"]
    assert nodes and all("line" in node for node in nodes)
    for node in nodes:
        if node["kind"] != "op":
            assert node["line"] is None, node
        else:
            assert 0 <= node["line"] < len(code), node
            assert code[node["line"]]["phase"] in {"forward", "loss", "backward"}, (node, code[node["line"]])
