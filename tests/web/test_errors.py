"""Error answers: a 422 quotes at most a short, writable excerpt of the input; a 405 lists every method of its path;
every status a route answers is in the OpenAPI document, with its `{"detail": ...}` model."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from app.config import Settings
from app.web.errors import EXCERPT, excerpt, problem

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """One server for this module."""
    return serve(Settings(max_steps=100_000))


def test_excerpt_is_short_and_writable() -> None:
    """Long strings are cut, lone surrogates escaped, non-finite floats and containers shown as short reprs."""
    assert excerpt("x" * 1000) == "x" * (EXCERPT - 1) + "…"
    assert excerpt("a\ud800b") == "a\\ud800b"
    assert excerpt(math.nan) == "nan" and excerpt(-math.inf) == "-inf"
    assert excerpt(1.5) == 1.5 and excerpt(3) == 3 and excerpt(None) is None and excerpt(True) is True
    assert len(excerpt({"k": ["v" * 10_000] * 10_000})) <= EXCERPT
    assert excerpt(10**30) == str(10**30)
    cleaned = problem(
        {"type": "t", "loc": ("body", "k" * 500), "msg": "m" * 5000, "input": [math.nan], "ctx": {"e": ValueError("x")}}
    )
    assert len(cleaned["loc"][1]) == EXCERPT and len(cleaned["msg"]) <= 300 and cleaned["ctx"] == {"e": "x"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/runs", {"target": "x" * 50_000}),  # a long formula
        ("/api/runs", {"k" * 50_000: 1}),  # an unknown field with a long name
        ("/api/runs", {"layers": ["y" * 50_000] * 1}),  # a list entry
        ("pace", {"other": "z" * 50_000}),  # `pace` missing: the error's input is the whole body
        ("presenter", {"panel": "p" * 50_000, "q" * 1000: 0}),
    ],
)
def test_validation_errors_quote_only_an_excerpt(
    client: httpx.Client, rest: RestRuns, path: str, body: dict[str, object]
) -> None:
    """A 422 about a large input stays small: each quoted input and field name at most an excerpt."""
    run = rest.create(client, steps=100_000, points=4, pace=5)
    url = path if path.startswith("/") else f"/api/runs/{run['id']}/{path}"
    answer = client.post(url, json=body, headers=rest.steering(run["id"]))
    assert answer.status_code == 422, answer.text[:300]
    assert len(answer.content) < 2000
    for error in answer.json()["detail"]:
        assert all(len(str(part)) <= EXCERPT for part in error["loc"])
        assert len(str(error.get("input"))) <= EXCERPT


def test_an_error_detail_quoting_a_long_id_is_cut(client: httpx.Client) -> None:
    """A 404 for a 10,000-character run id quotes only the start of it."""
    answer = client.get(f"/api/runs/{'i' * 10_000}")
    assert answer.status_code == 404 and len(answer.json()["detail"]) <= 300


def test_405_lists_every_method_of_the_path(client: httpx.Client) -> None:
    """Paths served by several routes name them all; a static file names GET and HEAD."""
    for path, allowed in {
        "/api/runs": "GET, POST",
        "/api/runs/abc": "GET, DELETE",
        "/api/runs/abc/pause": "POST",
        "/healthz": "GET",
        "/static/js/api.js": "GET, HEAD",
    }.items():
        answer = client.request("PUT", path)
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, path


def test_every_path_answers_405_with_its_documented_methods(client: httpx.Client) -> None:
    """For each path of /openapi.json, every method it does not document is 405 with Allow naming exactly the
    documented ones (schemathesis's unsupported-method check). /api/runs/import also matches /api/runs/{run_id}
    (a run named "import", which no run id is): its GET and DELETE answer 404 and are not in its Allow."""
    paths = client.get("/openapi.json").json()["paths"]
    methods = {"GET", "POST", "PUT", "PATCH", "DELETE"}
    for template, operations in paths.items():
        path = template.replace("{run_id}", "abc")
        documented = {method.upper() for method in operations}
        for method in sorted(methods - documented):
            answer = client.request(method, path, headers=JSON, content=b"{}")
            if path == "/api/runs/import" and method in {"GET", "DELETE"}:
                assert answer.status_code == 404
                continue
            assert answer.status_code == 405, f"{method} {path}: {answer.status_code}"
            assert set(answer.headers["allow"].split(", ")) == documented, f"{method} {path}"


# What each operation may answer besides success and 422: from the edge (403 foreign origin, 413 body too large,
# 415 not JSON), the route (403 token or key, 404 no run, 409 not now or stored unreadable, 500 stored damaged,
# 503 the database refused an import) and the per-client limits (429).
EXPECTED = {
    ("post", "/api/runs"): {403, 413, 415, 429},
    ("get", "/api/runs/{run_id}"): {404},
    ("get", "/api/runs/{run_id}/history"): {404, 409, 429, 500},
    ("post", "/api/runs/{run_id}/pause"): {403, 404, 409, 413},
    ("post", "/api/runs/{run_id}/resume"): {403, 404, 409, 413},
    ("post", "/api/runs/{run_id}/step"): {403, 404, 409, 413},
    ("post", "/api/runs/{run_id}/stop"): {403, 404, 409, 413},
    ("post", "/api/runs/{run_id}/pace"): {403, 404, 409, 413, 415},
    ("delete", "/api/runs/{run_id}"): {403, 404, 409, 413},
    ("post", "/api/runs/{run_id}/presenter"): {403, 404, 409, 413, 415},
    ("post", "/api/runs/import"): {403, 413, 415, 429, 503},
    ("get", "/api/runs/{run_id}/history.csv"): {404, 409, 429, 500},
    ("get", "/api/runs/{run_id}/export"): {404, 409, 429, 500},
    ("get", "/api/runs/{run_id}/graph"): {404, 409, 500},
    ("get", "/api/runs/{run_id}/qr.svg"): {404, 409},
}


def test_openapi_documents_every_error_status(client: httpx.Client) -> None:
    """Each operation lists the error statuses it can answer, each with the ErrorAnswer model."""
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["ErrorAnswer"]["required"] == ["detail"]
    assert schema["paths"]["/api/runs"]["post"]["requestBody"]["required"] is True  # {} at least: 415 without
    for (method, path), statuses in EXPECTED.items():
        responses = schema["paths"][path][method]["responses"]
        documented = {int(code) for code in responses if code[0] in "45"} - {422}
        assert documented == statuses, f"{method.upper()} {path}"
        for code in statuses:
            content = responses[str(code)]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorAnswer"}, f"{method.upper()} {path} {code}"


def test_making_a_run_links_to_every_operation_on_it(client: httpx.Client) -> None:
    """POST /api/runs and /import link to each run_id operation, with the token for those that take it."""
    paths = client.get("/openapi.json").json()["paths"]
    on_a_run = {
        operation["operationId"]: operation
        for path, operations in paths.items()
        if "{run_id}" in path
        for operation in operations.values()
    }
    for maker in ("/api/runs", "/api/runs/import"):
        links = paths[maker]["post"]["responses"]["201"]["links"]
        assert set(links) == set(on_a_run), maker
        for operation_id, link in links.items():
            assert link["parameters"]["path.run_id"] == "$response.body#/id"
            takes_token = any(p["name"] == "x-control-token" for p in on_a_run[operation_id]["parameters"])
            assert ("header.x-control-token" in link["parameters"]) == takes_token, operation_id


def test_docs_are_served_from_this_server(client: httpx.Client) -> None:
    """/docs loads Swagger UI from /static and starts it from a script file; ReDoc's CDN page is gone."""
    page = client.get("/docs").text
    assert 'src="/static/vendor/swagger-ui/swagger-ui-bundle.js"' in page and 'src="/static/js/docs.js"' in page
    assert 'src="http' not in page and 'href="http' not in page
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404
