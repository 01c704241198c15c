"""A run whose stored data was damaged in the database file answers a clear JSON error; every other run works."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from app.config import Settings, default_database_url
from app.runs.stored import StoredRun

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

RUN = {"engine": "numpy", "steps": 2100, "points": 16, "seed": 1}  # three chunks, graphs kept
READS = ("history", "history.csv", "export", "graph?step=50")

# How each part of a run is damaged (an SQL update on the real file, the run's id bound as ?), what the answer
# names as damaged, and which reads go through that part.
DAMAGE = {
    "loss too short": ("UPDATE chunks SET loss = x'0000' WHERE run_id = ? AND start = 1024", "steps", READS[:3]),
    "params cut": (
        "UPDATE chunks SET params = substr(params, 1, 100) WHERE run_id = ? AND start = 0",
        "steps",
        READS[:3],
    ),
    "grads too long": ("UPDATE chunks SET grads = grads || x'00' WHERE run_id = ? AND start = 0", "steps", READS[:3]),
    "a chunk missing": ("DELETE FROM chunks WHERE run_id = ? AND start = 1024", "steps", READS[:3]),
    "fewer steps in a chunk": ("UPDATE chunks SET count = 5 WHERE run_id = ? AND start = 0", "steps", READS[:3]),
    "graph frame not zlib": ("UPDATE graph_frames SET data = x'0102' WHERE run_id = ?", "graph frames", READS[2:]),
    "curve of half a float": ("UPDATE runs SET curve = x'01020304' WHERE id = ?", "curve and graph", READS[2:3]),
}


@pytest.fixture(scope="module")
def server(serve: Any, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """A real server on a database file of this module's own, flushing often."""
    url = default_database_url(tmp_path_factory.mktemp("damaged"))
    return serve(Settings(max_steps=10_000, flush_interval=0.05, database_url=url))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def healthy(server: LiveServer) -> str:
    """A stored run that no test damages."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run_id: str = client.post("/api/runs", json={**RUN, "seed": 2}).json()["id"]
        while client.get(f"/api/runs/{run_id}").json()["status"] != "finished":
            time.sleep(0.05)
    server.app.state.manager.flush()
    return run_id


def stored_run(server: LiveServer, client: httpx.Client, rest: RestRuns) -> str:
    """A finished run of three chunks with kept graphs, all of it stored and read back from the store."""
    run_id = rest.wait_status(client, rest.create(client, **RUN)["id"], "finished", timeout=60)["id"]
    server.app.state.manager.flush()
    assert isinstance(server.app.state.manager.get(run_id), StoredRun)
    return run_id


def damage(server: LiveServer, statement: str, run_id: str) -> None:
    """Change the database file from another connection, as a disk or a hand edit would."""
    path = Path(server.app.state.settings.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as connection:
        assert connection.execute(statement, (run_id,)).rowcount >= 1


@pytest.mark.parametrize("case", DAMAGE)
def test_a_damaged_run_answers_a_clear_error_and_the_others_work(
    server: LiveServer, client: httpx.Client, rest: RestRuns, healthy: str, case: str
) -> None:
    """Each read through the damaged part answers 500 with a detail naming the run and what of it is damaged;
    the same reads of an undamaged run, and the run list, still answer."""
    statement, what, reads = DAMAGE[case]
    damaged = stored_run(server, client, rest)
    damage(server, statement, damaged)
    for read in reads:
        answer = client.get(f"/api/runs/{damaged}/{read}")
        assert answer.status_code == 500, (read, answer.text)
        assert answer.headers["content-type"] == "application/json"
        detail = answer.json()["detail"]
        assert detail.startswith(f"the stored {what} of run {damaged} are damaged: "), detail
        assert "\n" not in detail and len(detail) < 300
    for read in READS:
        assert client.get(f"/api/runs/{healthy}/{read}").status_code == 200, read
    assert client.get(f"/api/runs/{damaged}").status_code == 200
    assert {damaged, healthy} <= {run["id"] for run in client.get("/api/runs").json()}


def test_the_damaged_answer_is_in_the_openapi_document(client: httpx.Client) -> None:
    """Every route that reads a run's stored steps or graphs documents its 500."""
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("history", "history.csv", "export", "graph"):
        assert "damaged" in paths[f"/api/runs/{{run_id}}/{path}"]["get"]["responses"]["500"]["description"]
