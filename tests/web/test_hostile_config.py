"""Run configs sent to a real server as an attacker would: every limit answers before anything is made, a bad
run never reaches the list, and a run that cannot learn says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from app.config import Settings

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """One server with the default limits."""
    return serve(Settings())


def fields_named(response: httpx.Response) -> list[str]:
    """The body fields a 422 names."""
    assert response.status_code == 422, response.text
    return [error["loc"][1] for error in response.json()["detail"] if len(error["loc"]) > 1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 100_000_000, "target": "sin(x)"}, "points"),
        ({"points": 2134345221}, "points"),
        ({"points": 1e15}, "points"),
        ({"x_min": 5}, "x_max"),
        ({"steps": 10**12}, "steps"),
        ({"engine": "torch-mlp", "layers": [256] * 8, "points": 100_000}, "layers"),
        ({"pace": 1e-300}, "pace"),
        ({"target": "1/(199*x-1)", "x_min": 0, "x_max": 1}, "target"),
        ({"steps": "100"}, "steps"),
        ({"noise": False}, "noise"),
    ],
    ids=lambda value: "-".join(f"{k}={v!r}"[:30] for k, v in value.items()) if isinstance(value, dict) else value,
)
def test_a_refused_config_names_its_field_and_makes_no_run(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    """Each is a 422 naming its field; no run is created, and the run list still answers for everyone."""
    before = client.get("/api/runs")
    assert before.status_code == 200
    assert field in fields_named(client.post("/api/runs", json=body))
    after = client.get("/api/runs")
    assert after.status_code == 200
    assert [run["id"] for run in after.json()] == [run["id"] for run in before.json()]


@pytest.mark.parametrize("pace", [5e-324, 1e-300, 0.0, -1.0, 1e7])
def test_a_pace_out_of_range_is_refused_and_the_run_goes_on(client: httpx.Client, rest: RestRuns, pace: float) -> None:
    """A pace command out of range is a 422 naming pace; the run keeps going, neither failed nor changed."""
    run = rest.create(client, steps=100_000, points=4, pace=50, seed=0)
    answer = client.post(f"/api/runs/{run['id']}/pace", json={"pace": pace}, headers=rest.steering(run["id"]))
    assert "pace" in fields_named(answer)
    info = rest.wait_for(client, run["id"], lambda info: info["steps_done"] > 2, what="the run to go on")
    assert info["status"] == "running"
    assert info["config"]["pace"] == 50


def test_the_slowest_pace_keeps_the_run_alive(client: httpx.Client, rest: RestRuns) -> None:
    """At the slowest pace allowed the run waits, alive and steerable: it stops at once when told."""
    run = rest.create(client, steps=1000, points=4, pace=0.1, seed=0)
    rest.wait_status(client, run["id"], "running")
    stopped = client.post(f"/api/runs/{run['id']}/stop", headers=rest.steering(run["id"]))
    assert stopped.json()["status"] == "stopped"


def test_a_loss_not_finite_before_any_update_blames_the_data_not_the_rate(client: httpx.Client, rest: RestRuns) -> None:
    """Targets so large their squares overflow make step 0's loss infinite: the run ends diverged, saying no
    learning rate can help (a smaller rate would change nothing), and records no step."""
    run = rest.create(client, target="1e200*x", steps=50, seed=0)
    info = rest.wait_ended(client, run["id"])
    assert info["status"] == "diverged"
    assert "first step" in info["message"] and "no learning rate can help" in info["message"]
    assert "try" not in info["message"].split("no learning rate")[0]
    assert info["steps_done"] == 0


def test_one_client_gets_a_429_past_its_share_of_runs(serve: Callable[..., LiveServer], rest: RestRuns) -> None:
    """Past max_runs_per_client runs going, a client is told 429 with Retry-After; the other runs are untouched."""
    server = serve(Settings(max_runs_per_client=2))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        ids = [rest.create(client, steps=100_000, points=4, pace=20, seed=0)["id"] for _ in range(2)]
        refused = client.post("/api/runs", json={"steps": 10, "points": 4})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "max_runs_per_client" in refused.json()["detail"]
        assert len(client.get("/api/runs").json()) == 2
        for run_id in ids:
            client.post(f"/api/runs/{run_id}/stop", headers=rest.steering(run_id))
        assert client.post("/api/runs", json={"steps": 10, "points": 4}).status_code == 201


def test_the_openapi_document_carries_this_servers_limits(serve: Callable[..., LiveServer]) -> None:
    """steps and points are bounded in /openapi.json by the server's own max_steps and max_points."""
    server = serve(Settings(max_steps=777, max_points=333))
    schema = httpx.get(f"{server.http}/openapi.json").json()
    config = schema["components"]["schemas"]["RunConfig-Input"]["properties"]
    assert (config["steps"]["maximum"], config["points"]["maximum"]) == (777, 333)
    body = schema["paths"]["/api/runs/import"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    imported = body["properties"]["run"]["properties"]["config"]["properties"]
    assert (imported["steps"]["maximum"], imported["points"]["maximum"]) == (777, 333)


def test_every_bound_in_the_openapi_document_is_one_json_schema_knows(client: httpx.Client) -> None:
    """Bounds appear as minimum/maximum (exclusive or not), never as pydantic's own ge/gt/le/lt keys, which schema
    readers ignore: a client would then take a seed of -1 or a pace of 0 for valid."""
    raw: list[str] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            raw.extend(f"{path}/{key}" for key in node if key in {"ge", "gt", "le", "lt"})
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}/{index}")

    schema = client.get("/openapi.json").json()
    walk(schema, "")
    assert raw == []
    seed = schema["components"]["schemas"]["RunConfig-Input"]["properties"]["seed"]["anyOf"][0]
    assert seed == {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}
