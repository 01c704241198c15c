"""Exports give back exactly what the run recorded."""

import csv
import io
import json
import time
from typing import Any

import httpx
import pytest

from app.config import Settings


@pytest.fixture(scope="module")
def client(serve: Any) -> httpx.Client:
    """A client of a real server started for this module."""
    return httpx.Client(base_url=serve(Settings(max_steps=5000)).http, timeout=10)


def finished_run(client: httpx.Client, **config: Any) -> dict[str, Any]:
    """A run created and waited for until it finished, as GET /api/runs/{id} shows it."""
    run = client.post("/api/runs", json={"points": 50, "seed": 2, **config}).json()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info: dict[str, Any] = client.get(f"/api/runs/{run['id']}").json()
        if info["status"] == "finished":
            return info
        time.sleep(0.02)
    raise AssertionError(f"run {run['id']} did not finish")


def test_csv_has_every_step_with_the_exact_numbers(client: httpx.Client) -> None:
    """Each CSV row reads back to the history's own numbers, bit for bit."""
    run = finished_run(client, engine="torch-autograd", steps=40)
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


def test_export_holds_config_history_and_graph(client: httpx.Client) -> None:
    """The one-file export carries the run, its full history and its last captured graph."""
    run = finished_run(client, engine="torch-nn", steps=30)
    exported = json.loads(client.get(f"/api/runs/{run['id']}/export").text)
    assert exported["format"] == "autograd-live-run" and exported["version"] == 1
    assert exported["run"]["config"] == run["config"]
    assert exported["history"] == client.get(f"/api/runs/{run['id']}/history").json()
    assert exported["graph"]["signature"] == exported["graph_values"]["signature"]


def test_an_export_imported_back_is_the_same_run_under_a_new_id(client: httpx.Client, serve: Any) -> None:
    """Export, import into another server: same config, status and every step; it opens like any ended run."""
    run = finished_run(client, engine="torch-autograd", steps=2500)  # three stored chunks
    exported = client.get(f"/api/runs/{run['id']}/export").text

    with httpx.Client(base_url=serve(Settings(max_steps=1000)).http, timeout=10) as elsewhere:
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
    client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    """A file that is not an export, or whose columns do not fit, is a 422 naming what is wrong."""
    run = finished_run(client, steps=5)
    exported = {**json.loads(client.get(f"/api/runs/{run['id']}/export").text), **change}
    answer = client.post("/api/runs/import", json=exported)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][:2] == ["body", field]
