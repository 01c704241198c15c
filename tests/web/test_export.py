"""Exports give back exactly what the run recorded."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from app.config import Settings

if TYPE_CHECKING:
    from tests.conftest import RestRuns


@pytest.fixture(scope="module")
def client(serve: Any) -> httpx.Client:
    """A client of a real server started for this module."""
    return httpx.Client(base_url=serve(Settings(max_steps=5000)).http, timeout=10)


@pytest.fixture
def rest(rest: RestRuns) -> RestRuns:
    """Runs of 50 points from seed 2 unless a test says otherwise."""
    return rest.with_defaults(points=50, seed=2)


def test_csv_has_every_step_with_the_exact_numbers(client: httpx.Client, rest: RestRuns) -> None:
    """Each CSV row reads back to the history's own numbers, bit for bit."""
    run = rest.finished(client, engine="torch-autograd", steps=40)
    history = client.get(f"/api/runs/{run['id']}/history").json()
    answer = client.get(f"/api/runs/{run['id']}/history.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert f"run-{run['id']}-history.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 40
    for i, row in enumerate(rows):
        assert int(row["step"]) == history["step"][i]
        assert float(row["loss"]) == history["loss"][i]
        for name in "abcd":
            assert float(row[name]) == history["params"][name][i]
            assert float(row[f"grad_{name}"]) == history["grads"][name][i]


def test_export_holds_config_history_and_graph(client: httpx.Client, rest: RestRuns) -> None:
    """The one-file export carries the run, its full history and its last captured graph."""
    run = rest.finished(client, engine="torch-nn", steps=30)
    exported = json.loads(client.get(f"/api/runs/{run['id']}/export").text)
    assert exported["format"] == "autograd-live-run" and exported["version"] == 1
    assert exported["run"]["config"] == run["config"]
    assert exported["history"] == client.get(f"/api/runs/{run['id']}/history").json()
    assert exported["graph"]["signature"] == exported["graph_values"]["signature"]


def test_an_export_imported_back_is_the_same_run_under_a_new_id(
    client: httpx.Client, rest: RestRuns, serve: Any
) -> None:
    """Export, import into another server: same config, status and every step; it opens like any ended run."""
    run = rest.finished(client, engine="torch-autograd", steps=2500)  # three stored chunks
    exported = client.get(f"/api/runs/{run['id']}/export").text

    with httpx.Client(base_url=serve(Settings(max_steps=2500)).http, timeout=10) as elsewhere:
        answer = elsewhere.post("/api/runs/import", content=exported, headers={"content-type": "application/json"})
        assert answer.status_code == 201, answer.text
        imported = answer.json()
        assert imported["id"] != run["id"]
        for key in ("engine", "status", "config", "steps_done", "loss", "grads", "param_names"):
            assert imported[key] == run[key], key
        assert elsewhere.get(f"/api/runs/{imported['id']}/history").json() == json.loads(exported)["history"]
        assert imported["id"] in {listed["id"] for listed in elsewhere.get("/api/runs").json()}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "something-else"}, "format"),
        ({"version": 99}, "version"),
        ({"history": {"loss": [1.0, 2.0], "params": {}, "grads": {}}}, "history"),
    ],
)
def test_what_is_no_export_is_refused_naming_the_field(
    client: httpx.Client, rest: RestRuns, change: dict[str, Any], field: str
) -> None:
    """A file that is not an export, or whose columns do not fit, is a 422 naming what is wrong."""
    run = rest.finished(client, steps=5)
    exported = {**json.loads(client.get(f"/api/runs/{run['id']}/export").text), **change}
    answer = client.post("/api/runs/import", json=exported)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][:2] == ["body", field]


def graph_answers(client: httpx.Client, run_id: str, steps: range) -> list[bytes]:
    """The raw answers of GET /api/runs/{id}/graph at each step, without the step asked for (ids differ)."""
    answers = []
    for step in steps:
        answer = client.get(f"/api/runs/{run_id}/graph", params={"step": step})
        assert answer.status_code == 200, answer.text
        answers.append(answer.content)
    return answers


def test_an_imported_run_replays_the_graphs_of_the_original_byte_for_byte(client: httpx.Client, rest: RestRuns) -> None:
    """The export carries the kept graphs and their shapes: the imported run answers every step as the original
    does, the dynamic net with the shape each step had."""
    run = rest.finished(client, engine="dynamic-net", steps=400, pace=300)
    exported = json.loads(client.get(f"/api/runs/{run['id']}/export").text)
    frames = exported["graph_frames"]
    assert len(frames) >= 4 and [f["step"] for f in frames] == sorted(f["step"] for f in frames)
    assert {f["signature"] for f in frames} <= exported["graph_shapes"].keys()
    assert len({f["signature"] for f in frames}) >= 2
    imported = client.post("/api/runs/import", json=exported)
    assert imported.status_code == 201, imported.text
    steps = range(0, 400, 7)
    assert graph_answers(client, imported.json()["id"], steps) == graph_answers(client, run["id"], steps)


def test_an_import_keeps_at_most_the_servers_max_stored_frames_spread_evenly(
    client: httpx.Client, rest: RestRuns, serve: Any
) -> None:
    run = rest.finished(client, engine="torch-autograd", steps=600, pace=1200)
    exported = json.loads(client.get(f"/api/runs/{run['id']}/export").text)
    frames = exported["graph_frames"]
    assert len(frames) > 8
    with httpx.Client(base_url=serve(Settings(max_stored_frames=4)).http, timeout=10) as elsewhere:
        answer = elsewhere.post("/api/runs/import", json=exported)
        assert answer.status_code == 201, answer.text
        kept = json.loads(elsewhere.get(f"/api/runs/{answer.json()['id']}/export").text)["graph_frames"]
    stride = 1
    while -(-len(frames) // stride) > 4:
        stride *= 2
    assert kept == frames[::stride] and len(kept) <= 4


def test_an_export_made_before_graph_frames_still_imports_with_its_last_graph(
    client: httpx.Client, rest: RestRuns
) -> None:
    run = rest.finished(client, engine="torch-autograd", steps=300, pace=1000)
    exported = json.loads(client.get(f"/api/runs/{run['id']}/export").text)
    del exported["graph_frames"], exported["graph_shapes"]
    answer = client.post("/api/runs/import", json=exported)
    assert answer.status_code == 201, answer.text
    run_id = answer.json()["id"]
    last = client.get(f"/api/runs/{run_id}/graph", params={"step": 299})
    assert last.status_code == 200 and last.json()["values"] == exported["graph_values"]
    assert client.get(f"/api/runs/{run_id}/graph", params={"step": 100}).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e["graph_frames"][1].update(step=10_000), "graph_frames"),
        (lambda e: e["graph_frames"].reverse(), "graph_frames"),
        (lambda e: e["graph_frames"][0].update(signature="unknown"), "graph_frames"),
        (lambda e: e["graph_shapes"].update(other=e["graph"]), "graph_shapes"),
    ],
)
def test_graph_frames_that_do_not_fit_the_run_are_refused_naming_the_field(
    client: httpx.Client, rest: RestRuns, change: Callable[[dict[str, Any]], None], field: str
) -> None:
    run = rest.finished(client, engine="torch-autograd", steps=200, pace=1000)
    exported = json.loads(client.get(f"/api/runs/{run['id']}/export").text)
    assert len(exported["graph_frames"]) >= 2
    change(exported)
    answer = client.post("/api/runs/import", json=exported)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][:2] == ["body", field]
