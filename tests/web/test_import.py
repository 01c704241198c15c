"""Importing an exported run: one strict model of the format, the limits and key of a new run, one transaction,
a control token; every malformed field a 422 naming it, with nothing written."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from app.config import Settings
from app.engines import ENGINES
from app.web.export_model import ExportedRun
from tests.conftest import ENDED
from tests.conftest import wait_until_impl as wait_until

Export = dict[str, Any]
TABLES = ("runs", "chunks", "graphs", "graph_frames", "graph_shapes")


def sqlite_url(path: Path) -> str:
    """The database URL of a SQLite file."""
    return f"sqlite:///{path}"


def rows(path: Path) -> dict[str, set[str]]:
    """Which runs each table of the database file holds rows of, read by SQL on the file itself (the runs that
    ended before may still be getting their last frames written: their ids are there already)."""
    with sqlite3.connect(path) as db:
        found = {"runs": {row[0] for row in db.execute("SELECT id FROM runs")}}
        for table in TABLES[1:]:
            found[table] = {row[0] for row in db.execute(f"SELECT DISTINCT run_id FROM {table}")}
    return found


def finished(client: httpx.Client, **config: Any) -> dict[str, Any]:
    """Create a run and wait until it has ended; its RunInfo with its control token."""
    created = client.post("/api/runs", json={"points": 40, "seed": 1, **config})
    assert created.status_code == 201, created.text
    run: dict[str, Any] = created.json()

    def ended() -> bool:
        run.update(client.get(f"/api/runs/{run['id']}").json())
        return run["status"] in ENDED

    wait_until(ended, 30, f"run {run['id']} to end")
    assert run["status"] == "finished", run
    return run


def export_of(client: httpx.Client, run_id: str) -> Export:
    """The run's export file, parsed."""
    answer = client.get(f"/api/runs/{run_id}/export")
    assert answer.status_code == 200, answer.text
    exported: Export = json.loads(answer.text)
    return exported


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's database file, read directly by the tests."""
    return tmp_path_factory.mktemp("import") / "runs.db"


@pytest.fixture(scope="module")
def client(serve: Any, database: Path) -> Iterator[httpx.Client]:
    """A client of a real server that stores its runs in the module's database file."""
    server = serve(Settings(database_url=sqlite_url(database), max_steps=5000, max_points=1000))
    with httpx.Client(base_url=server.http, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def exported(client: httpx.Client) -> Export:
    """The export of a finished torch-autograd run with a few graph frames kept for replay."""
    run = finished(client, engine="torch-autograd", steps=150, pace=600)
    exported = export_of(client, run["id"])
    assert len(exported["graph_frames"]) >= 2
    return exported


def post(client: httpx.Client, body: Export | bytes, **headers: str) -> httpx.Response:
    """POST a file to the import route as JSON."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post("/api/runs/import", content=content, headers={"content-type": "application/json", **headers})


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_every_engines_export_fits_the_model_and_imports_back_the_same(client: httpx.Client, engine: str) -> None:
    """The model is the format export writes: each engine's export validates, and imported then exported again
    it is the same file but for the run's id and what a new import is given."""
    run = finished(client, engine=engine, steps=12, pace=200)
    text = client.get(f"/api/runs/{run['id']}/export").content
    ExportedRun.model_validate(orjson.loads(text))
    answer = post(client, text)
    assert answer.status_code == 201, answer.text
    again = export_of(client, answer.json()["id"])
    original = json.loads(text)
    assert again["run"] == {**original["run"], "id": answer.json()["id"]}
    for part in ("format", "version", "history", "graph", "graph_values", "graph_frames", "graph_shapes"):
        assert again[part] == original[part], part


def change(path: tuple[str | int, ...], value: Any) -> Callable[[Export], None]:
    """Set the field at `path` to `value`."""

    def apply(body: Export) -> None:
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def remove(path: tuple[str | int, ...]) -> Callable[[Export], None]:
    """Take the field at `path` out."""

    def apply(body: Export) -> None:
        target = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return apply


MALFORMED: list[tuple[Callable[[Export], None], list[str | int]]] = [
    (change(("format",), "something-else"), ["format"]),
    (change(("version",), 2), ["version"]),
    (change(("surprise",), 1), ["surprise"]),
    (remove(("run",)), ["run"]),
    (change(("run", "created_at"), "2026-12-06T10:00:00"), ["run", "created_at"]),  # no time zone
    (change(("run", "created_at"), "yesterday"), ["run", "created_at"]),
    (change(("run", "created_at"), 1765000000), ["run", "created_at"]),
    (remove(("run", "created_at")), ["run", "created_at"]),
    (change(("run", "started_at"), "2026-12-06"), ["run", "started_at"]),
    (change(("run", "ended_at"), 5), ["run", "ended_at"]),
    (remove(("run", "params")), ["run", "params"]),
    (change(("run", "params", "a"), "1.5"), ["run", "params", "a"]),
    (change(("run", "params", "b"), True), ["run", "params", "b"]),
    (change(("run", "params"), {"a": 1.0}), ["run", "params"]),
    (change(("run", "grads", "c"), None), ["run", "grads", "c"]),
    (change(("run", "param_names"), ["a"]), ["run", "param_names"]),
    (change(("run", "status"), "running"), ["run", "status"]),
    (change(("run", "engine"), "numpy"), ["run", "engine"]),
    (change(("run", "steps_done"), 3), ["run", "steps_done"]),
    (change(("run", "step"), "149"), ["run", "step"]),
    (change(("run", "loss"), None), ["run", "loss"]),
    (change(("run", "message"), 7), ["run", "message"]),
    (change(("run", "config", "engine"), "torch-autograd-2"), ["run", "config", "engine"]),
    (change(("run", "config", "points"), 1), ["run", "config", "points"]),
    (change(("run", "config", "learning_rate"), -1), ["run", "config", "learning_rate"]),
    (change(("history", "loss", 3), "1.0"), ["history", "loss", 3]),
    (change(("history", "step"), list(range(1, 151))), ["history", "step"]),
    (remove(("history", "params", "d")), ["history", "params"]),
    (change(("history", "grads", "b"), [0.0]), ["history", "grads", "b"]),
    (change(("history", "params", "a", 0), None), ["history", "params", "a", 0]),
    (remove(("graph", "nodes")), ["graph", "nodes"]),
    (change(("graph", "edges", 0), ["n0", "n1"]), ["graph", "edges", 0, 2]),  # the input index missing
    (change(("graph_values", "signature"), "0000000000000000"), ["graph_values", "signature"]),
    (change(("graph_values", "step"), 10_000), ["graph_values", "step"]),
    (remove(("graph_frames", 0, "signature")), ["graph_frames", 0, "signature"]),
    (remove(("graph_frames", 1, "step")), ["graph_frames", 1, "step"]),
    (change(("graph_frames", 1, "step"), -1), ["graph_frames", 1, "step"]),
    (change(("graph_frames", 1, "step"), 10_000), ["graph_frames", 1, "step"]),
    (change(("graph_frames", 0, "signature"), "unknown"), ["graph_frames", 0, "signature"]),
    (change(("graph_frames",), {"0": {}}), ["graph_frames"]),
    (change(("graph_shapes", "other"), None), ["graph_shapes", "other"]),
]


@pytest.mark.parametrize(
    ("spoil", "field"), MALFORMED, ids=[".".join(map(str, f)) + f"-{i}" for i, (_, f) in enumerate(MALFORMED)]
)
def test_each_malformed_field_is_a_422_naming_it_and_nothing_is_written(
    client: httpx.Client, database: Path, exported: Export, spoil: Callable[[Export], None], field: list[str | int]
) -> None:
    body = copy.deepcopy(exported)
    spoil(body)
    known = known_runs(database, client)
    answer = post(client, body)
    assert answer.status_code == 422, answer.text
    problems = answer.json()["detail"]
    assert problems[0]["loc"] == ["body", *field], problems
    assert "no engine" not in answer.text  # the true reason, never a stand-in
    assert_nothing_new(database, known)


def known_runs(database: Path, client: httpx.Client) -> set[str]:
    """Every run the server and its database hold now (read before a request that must add none)."""
    return {run["id"] for run in client.get("/api/runs").json()} | rows(database)["runs"]


def assert_nothing_new(database: Path, known: set[str]) -> None:
    """No table holds rows of a run that was not known before (runs of earlier tests may still be getting their
    last rows written meanwhile: those are not new)."""
    after = rows(database)
    assert {table: ids - known for table, ids in after.items()} == {table: set() for table in after}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"loss":[', '"loss":[NaN,'),
        ('"loss":[', '"loss":[Infinity,'),
        ('"loss":[', '"loss":[-Infinity,'),
        ('"message":null', '"message":"\\ud800"'),  # a lone surrogate
    ],
)
def test_what_is_not_strict_json_is_a_422_json_invalid(
    client: httpx.Client, database: Path, exported: Export, old: str, new: str
) -> None:
    text = orjson.dumps(exported).decode()
    assert old in text
    known = known_runs(database, client)
    answer = post(client, text.replace(old, new, 1).encode())
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["type"] == "json_invalid"
    assert_nothing_new(database, known)


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"max_steps": 100}, ["run", "config", "steps"]),
        ({"max_points": 30}, ["run", "config", "points"]),
    ],
)
def test_an_import_is_held_to_the_limits_of_a_new_run(
    serve: Any, exported: Export, limits: dict[str, int], field: list[str]
) -> None:
    with httpx.Client(base_url=serve(Settings(**limits)).http, timeout=30) as elsewhere:
        answer = post(elsewhere, exported)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == ["body", *field]
        assert elsewhere.get("/api/runs").json() == []


def test_a_history_longer_than_its_config_allows_is_refused(client: httpx.Client, exported: Export) -> None:
    body = copy.deepcopy(exported)
    body["run"]["config"]["steps"] = 100  # 150 steps recorded
    answer = post(client, body)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "history", "loss"]


def test_an_import_needs_the_lecturer_key_as_a_new_run_does(serve: Any, exported: Export) -> None:
    with httpx.Client(base_url=serve(Settings(lecturer_key="chalk")).http, timeout=30) as keyed:
        assert post(keyed, exported).status_code == 403
        assert post(keyed, exported, **{"X-Lecturer-Key": "cheese"}).status_code == 403
        assert keyed.get("/api/runs").json() == []
        assert post(keyed, exported, **{"X-Lecturer-Key": "chalk"}).status_code == 201


def test_the_importer_gets_a_control_token_that_deletes_the_run(client: httpx.Client, exported: Export) -> None:
    answer = post(client, exported)
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert len(run["control_token"]) >= 16
    assert "control_token" not in client.get(f"/api/runs/{run['id']}").json()  # shown once
    assert client.delete(f"/api/runs/{run['id']}").status_code == 403
    assert client.delete(f"/api/runs/{run['id']}", headers={"X-Control-Token": "guess"}).status_code == 403
    assert client.delete(f"/api/runs/{run['id']}", headers={"X-Control-Token": run["control_token"]}).status_code == 204
    assert client.get(f"/api/runs/{run['id']}").status_code == 404


def test_times_are_kept_as_the_same_instant_whatever_their_offset(
    client: httpx.Client, database: Path, exported: Export
) -> None:
    body = copy.deepcopy(exported)
    body["run"].update(created_at="2026-12-06T15:00:00+05:00", started_at="2026-12-06T15:00:01+05:00")
    run = post(client, body).json()
    assert run["created_at"] == "2026-12-06T10:00:00Z" or run["created_at"].startswith("2026-12-06T10:00:00+00")
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT created_at, started_at FROM runs WHERE id = ?", (run["id"],)).fetchone()
    assert stored == ("2026-12-06 10:00:00.000000", "2026-12-06 10:00:01.000000")  # SQLite keeps UTC, no offset


def test_a_huge_wrong_file_gets_a_short_answer(client: httpx.Client, database: Path, exported: Export) -> None:
    """Every loss a text: the answer names the first problems only and never echoes the input."""
    body = copy.deepcopy(exported)
    body["history"]["loss"] = ["x" * 1000] * 150
    answer = post(client, body)
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert 1 <= len(problems) <= 20 and all(problem.get("input") is None for problem in problems)
    assert len(answer.content) < 4000 and "xxxx" not in answer.text
    junk = post(client, b"[" * 100_000 + b"x")
    assert junk.status_code == 422 and len(junk.content) < 1000


def test_a_failure_while_storing_the_frames_leaves_no_trace_of_the_run(
    client: httpx.Client, database: Path, exported: Export
) -> None:
    """The row, steps, graph, shapes and frames go in one transaction: the database refusing the frames (a
    trigger on the real file) leaves none of the run behind, and the run is not listed."""
    listed = len(client.get("/api/runs").json())
    known = known_runs(database, client)
    with sqlite3.connect(database) as db:
        db.execute("CREATE TRIGGER no_frames BEFORE INSERT ON graph_frames BEGIN SELECT RAISE(ABORT, 'full'); END")
    try:
        answer = post(client, exported)
    finally:
        with sqlite3.connect(database) as db:
            db.execute("DROP TRIGGER no_frames")
    assert answer.status_code == 503, answer.text
    assert "nothing of it was kept" in answer.json()["detail"]
    assert_nothing_new(database, known)
    assert len(client.get("/api/runs").json()) == listed
    assert post(client, exported).status_code == 201  # and with the database well again, it goes in


def test_the_openapi_document_describes_the_body_and_every_answer(client: httpx.Client) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/runs/import"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"format", "version", "run", "history"} <= set(schema["required"])
    assert set(schema["properties"]["run"]["properties"]) >= {"created_at", "params", "param_names", "config"}
    assert "$ref" not in json.dumps(schema)  # stands alone
    assert {"201", "403", "413", "415", "422", "429", "503"} <= operation["responses"].keys()
    assert operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/CreatedRun")


def clone_row(path: Path, source: str, run_id: str, **changes: Any) -> None:
    """Insert a copy of run `source`'s row under `run_id` with some columns changed, by SQL on the file: a row as
    another version of the app, a hand edit or damage could have left it."""
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
        values = dict(zip(columns, db.execute("SELECT * FROM runs WHERE id = ?", (source,)).fetchone(), strict=True))
        values.update(id=run_id, control_hash=None, **changes)
        marks = ", ".join("?" * len(columns))
        db.execute(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({marks})", [values[c] for c in columns])


def stored_status(path: Path, run_id: str) -> str | None:
    """The status the file holds for the run (None: no row yet)."""
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row[0] if row is not None else None


def config_with(path: Path, source: str, **fields: Any) -> str:
    """The stored config of run `source` with some fields changed, as the JSON text the column holds."""
    with sqlite3.connect(path) as db:
        config = json.loads(db.execute("SELECT config FROM runs WHERE id = ?", (source,)).fetchone()[0])
    return json.dumps({**config, **fields})


def test_rows_that_cannot_be_read_are_listed_as_unreadable_and_the_others_still_open(
    serve: Any, tmp_path: Path
) -> None:
    """Rows this server cannot read as runs (written by hand into the file, as damage or another version would
    leave them): after a restart on the same file the list answers, each broken run listed as `unreadable` with
    why, shown by id, deletable with the lecturer key; the good runs open as before."""
    database = tmp_path / "runs.db"
    with httpx.Client(base_url=serve(Settings(database_url=sqlite_url(database))).http, timeout=30) as first:
        good = finished(first, engine="numpy", steps=20)["id"]
        wait_until(lambda: stored_status(database, good) == "finished", 10, "the run to be stored")
        broken = {
            "config-invalid": {"config": config_with(database, good, x_min=5.0)},
            "config-over-limits": {"config": config_with(database, good, steps=10**9)},
            "engine-unknown": {"engine": "numpy-2"},
            "params-misfit": {"param_names": '["a"]'},
            "config-damaged": {"config": '{"engine": "num'},
            "time-damaged": {"created_at": "yesterday"},
        }
        for run_id, changes in broken.items():
            clone_row(database, good, run_id, **changes)
        clone_row(database, good, "tokenless")  # readable, but with no token (as imports were before they had one)
        shown = first.get("/api/runs/config-invalid")  # not listed by this server yet: read from the file by id
        assert shown.status_code == 200 and shown.json()["status"] == "unreadable"

    settings = Settings(database_url=sqlite_url(database), lecturer_key="chalk")
    with httpx.Client(base_url=serve(settings).http, timeout=30) as again:
        listed = again.get("/api/runs")
        assert listed.status_code == 200, listed.text
        by_id = {run["id"]: run for run in listed.json()}
        assert by_id[good]["status"] == by_id["tokenless"]["status"] == "finished"
        reasons = {
            "config-invalid": "x_max",
            "config-over-limits": "max_steps",
            "engine-unknown": "no engine 'numpy-2'",
            "params-misfit": "['a']",
            "config-damaged": "config is damaged",
            "time-damaged": "created_at is damaged",
        }
        for run_id, words in reasons.items():
            run = by_id[run_id]
            assert run["status"] == "unreadable" and run["config"] is None, run
            assert words in run["message"], run["message"]
            assert again.get(f"/api/runs/{run_id}").json() == run
            for part in ("history", "export", "history.csv"):
                answer = again.get(f"/api/runs/{run_id}/{part}")
                assert answer.status_code == 409 and words in answer.json()["detail"], answer.text
        assert again.get(f"/api/runs/{good}/history").status_code == 200
        assert again.get(f"/api/runs/{good}/export").status_code == 200

        assert again.delete("/api/runs/engine-unknown").status_code == 403  # neither a token nor the key
        assert again.delete("/api/runs/engine-unknown", headers={"X-Lecturer-Key": "chalk"}).status_code == 204
        assert again.get("/api/runs/engine-unknown").status_code == 404
        assert "engine-unknown" not in rows(database)["runs"]
        assert again.delete("/api/runs/tokenless").status_code == 403
        assert again.delete("/api/runs/tokenless", headers={"X-Lecturer-Key": "chalk"}).status_code == 204
        assert {run["id"] for run in again.get("/api/runs").json()} == {good, *reasons} - {"engine-unknown"}
