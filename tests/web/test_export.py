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
    return httpx.Client(base_url=serve(Settings(max_steps=1000)).http, timeout=10)


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
