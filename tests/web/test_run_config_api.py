"""A lecture-net run's config over the API: null where the engine reads nothing (target, layers), as created,
as listed, as exported and as imported again from an export made before it was so."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from app.config import Settings

if TYPE_CHECKING:
    from tests.conftest import RestRuns

UNREAD = ("target", "layers")


@pytest.fixture(scope="module")
def client(serve: Callable[..., Any]) -> Iterator[httpx.Client]:
    """A client of a real server started for this module."""
    with httpx.Client(base_url=serve(Settings(max_steps=5000)).http, timeout=10) as client:
        yield client


def test_a_lecture_net_run_returns_null_target_and_layers(client: httpx.Client) -> None:
    """Created, read back and listed, the config says null for what lecture-net does not read."""
    answer = client.post("/api/runs", json={"engine": "lecture-net", "steps": 5, "points": 20, "seed": 1})
    assert answer.status_code == 201, answer.text
    created = answer.json()
    run = client.get(f"/api/runs/{created['id']}").json()
    listed = next(item for item in client.get("/api/runs").json() if item["id"] == created["id"])
    for config in (created["config"], run["config"], listed["config"]):
        assert all(config[name] is None for name in UNREAD), config
        assert config["points"] == 20 and config["seed"] == 1  # what it reads is as sent


def test_a_target_or_layers_sent_with_a_lecture_net_run_are_dropped(client: httpx.Client) -> None:
    """A formula (even one that is not a formula) and layers sent along are ignored, not refused."""
    answer = client.post("/api/runs", json={"engine": "lecture-net", "steps": 5, "target": "x +* 2", "layers": [8]})
    assert answer.status_code == 201, answer.text
    assert all(answer.json()["config"][name] is None for name in UNREAD)


def test_a_one_input_run_still_returns_its_target_and_layers(client: httpx.Client) -> None:
    """The cubic engines and the network keep the formula; a null one is refused, naming the field."""
    run = client.post("/api/runs", json={"engine": "torch-mlp", "steps": 5, "target": "cos(x)"}).json()
    assert run["config"]["target"] == "cos(x)" and run["config"]["layers"] == [16, "tanh"]
    refused = client.post("/api/runs", json={"engine": "numpy", "target": None})
    assert refused.status_code == 422
    assert [problem["loc"] for problem in refused.json()["detail"]] == [["body", "target"]]


def test_an_export_of_a_lecture_net_run_imports_with_nulls(client: httpx.Client, rest: RestRuns) -> None:
    """Exported, the config holds the nulls; imported (also as an older export with the defaults) it holds them."""
    run = rest.finished(client, engine="lecture-net", steps=20, points=50, seed=3)
    exported = client.get(f"/api/runs/{run['id']}/export").json()
    assert all(exported["run"]["config"][name] is None for name in UNREAD)
    older = {**exported, "run": {**exported["run"], "config": {**exported["run"]["config"]}}}
    older["run"]["config"].update(target="sin(x)", layers=[16, "tanh"])  # as exports were written before
    for body in (exported, older):
        answer = client.post("/api/runs/import", content=json.dumps(body), headers={"content-type": "application/json"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["config"] == run["config"]


def test_the_api_schema_says_a_returned_target_and_layers_may_be_null(client: httpx.Client) -> None:
    """/openapi.json: the config a run returns may hold null for both fields."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    returned = next(schema for name, schema in schemas.items() if name.startswith("RunConfig") and "Output" in name)
    for name in UNREAD:
        assert {"type": "null"} in returned["properties"][name]["anyOf"], returned["properties"][name]
