"""Every JSON body is read strictly: NaN and Infinity literals, lone surrogates and deep nesting answer 422
json_invalid naming the body (they used to answer 500), and the answer is short and always valid JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from app.config import Settings
from app.web.strict_json import MAX_DEPTH, depth

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

JSON = {"content-type": "application/json"}
# Each one a body Python's json module reads (NaN, a lone surrogate) or chokes on (nesting past its recursion limit).
BAD_BODIES = {
    "nan": b'{"learning_rate": NaN}',
    "infinity": b'{"pace": Infinity}',
    "minus infinity": b'{"noise": -Infinity}',
    "lone surrogate": b'{"target": "\\ud800"}',
    "deep nesting": b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}",
}


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """One server for this module."""
    return serve(Settings(max_steps=100_000))


@pytest.fixture
def steered(client: httpx.Client, rest: RestRuns) -> Iterator[tuple[str, dict[str, str]]]:
    """A slow run and the header that steers it."""
    run = rest.create(client, steps=100_000, points=4, pace=5)
    yield run["id"], rest.steering(run["id"])


def json_routes(run_id: str) -> list[str]:
    """Every route that reads a JSON body."""
    return ["/api/runs", f"/api/runs/{run_id}/pace", f"/api/runs/{run_id}/presenter", "/api/runs/import"]


@pytest.mark.parametrize("name", BAD_BODIES)
def test_non_strict_json_is_422_on_every_json_route(
    client: httpx.Client, steered: tuple[str, dict[str, str]], name: str
) -> None:
    """Each route answers 422 json_invalid at a position in the body, as valid UTF-8 JSON; no run is made."""
    run_id, steer = steered
    before = len(client.get("/api/runs").json())
    for path in json_routes(run_id):
        answer = client.post(path, content=BAD_BODIES[name], headers=JSON | steer)
        assert answer.status_code == 422, f"{path}: {answer.status_code} {answer.text[:200]}"
        (problem,) = json.loads(answer.content.decode("utf-8"))["detail"]
        assert problem["type"] == "json_invalid" and problem["loc"][0] == "body" and isinstance(problem["loc"][1], int)
        assert len(answer.content) < 400
    assert len(client.get("/api/runs").json()) == before
    assert client.get(f"/api/runs/{run_id}").json()["config"]["pace"] == 5


def test_strict_json_still_takes_ordinary_bodies(client: httpx.Client, steered: tuple[str, dict[str, str]]) -> None:
    """Escaped characters, surrogate pairs, nesting within the limit and a charset parameter all pass."""
    run_id, steer = steered
    answer = client.post(
        f"/api/runs/{run_id}/presenter",
        content=b'{"panel": "fit \\u00e9 \\ud83d\\ude00", "node": null}',
        headers={"content-type": "application/json; charset=utf-8"} | steer,
    )
    assert answer.status_code == 204, answer.text
    assert client.post(f"/api/runs/{run_id}/pace", json={"pace": 7}, headers=steer).json()["config"]["pace"] == 7


def test_depth_counts_nesting() -> None:
    """depth(): scalars 0, each array or object one level."""
    assert depth(3) == 0 and depth([]) == 1 and depth({"a": [1, {"b": []}]}) == 4
    assert depth(json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)) == MAX_DEPTH
