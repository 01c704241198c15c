"""RunStore: tables made on open, WAL on SQLite, rows and chunks read back exactly, interrupted runs marked."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, inspect, text

from app.config import Settings
from app.storage.store import RunRecord, RunStore

NAMES = ("a", "b", "c", "d")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    """A fresh SQLite store in a directory that does not exist yet."""
    store = RunStore.open(f"sqlite:///{tmp_path / 'new' / 'runs.db'}")
    yield store
    store.close()


def record(run_id: str = "r1", **changes: object) -> RunRecord:
    """A run's row with made-up numbers."""
    fields: dict[str, object] = {
        "id": run_id,
        "engine": "numpy",
        "status": "running",
        "message": None,
        "config": {"engine": "numpy", "steps": 10, "seed": 3},
        "param_names": NAMES,
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "started_at": datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC),
        "steps_done": 0,
    }
    return RunRecord(**{**fields, **changes})  # type: ignore[arg-type]


def steps(start: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Losses, weights and gradients whose values encode their step, with digits that a text format would round."""
    rows = np.arange(start, start + count, dtype=float)
    loss = rows / 3
    params = rows[:, None] + np.array([0.1, 0.2, 0.3, 0.4]) / 7
    return loss, params, -params * np.pi


def test_open_makes_the_directory_and_uses_wal(store: RunStore, tmp_path: Path) -> None:
    """The SQLite file is made with its directory, in WAL mode with synchronous=NORMAL on every connection."""
    assert (tmp_path / "new" / "runs.db").exists()
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_a_uri_url_makes_the_directory_of_its_file_and_nothing_where_it_is_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sqlite:///file:PATH?uri=true` names the file at PATH: its directory is made there, not a `file:` folder in
    the working directory."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    path = tmp_path / "made" / "runs.db"
    RunStore.open(f"sqlite:///file:{path}?uri=true").close()
    assert path.exists()
    assert list((tmp_path / "work").iterdir()) == []


def test_a_run_row_reads_back_as_written(store: RunStore) -> None:
    """save_run then update_run: load_run and load_runs give the same fields, times in UTC."""
    store.save_run(record())
    done = record(
        status="finished",
        ended_at=datetime(2026, 1, 2, 3, 5, tzinfo=UTC),
        steps_done=10,
        last_loss=0.125,
        last_grads=(1.0, 2.0, 3.0, 4.0),
        last_params=(0.5, 0.25, -1.0, 1e-300),
        curve=np.linspace(0, 1, 7),
    )
    with store.batch() as batch:
        batch.update_run(done)
    loaded = store.load_run("r1")
    assert loaded is not None
    assert loaded.curve is not None and np.array_equal(loaded.curve, done.curve)  # type: ignore[arg-type]
    same = ("status", "config", "param_names", "created_at", "started_at", "ended_at", "steps_done", "last_loss")
    assert {f: getattr(loaded, f) for f in same} == {f: getattr(done, f) for f in same}
    assert (loaded.last_grads, loaded.last_params) == (done.last_grads, done.last_params)
    [listed] = store.load_runs()
    assert listed.curve is None and listed.status == "finished"  # the list leaves the curve out
    assert store.load_run("nope") is None


def test_load_runs_is_newest_first_and_limited(store: RunStore) -> None:
    """load_runs(limit) gives the newest runs first."""
    for day in (1, 3, 2):
        store.save_run(record(f"day{day}", created_at=datetime(2026, 1, day, tzinfo=UTC)))
    assert [r.id for r in store.load_runs()] == ["day3", "day2", "day1"]
    assert [r.id for r in store.load_runs(limit=2)] == ["day3", "day2"]


def test_chunks_read_back_bit_for_bit_and_a_partial_chunk_is_replaced(store: RunStore) -> None:
    """Chunks concatenate in step order to the exact float64s written; replace=True rewrites a partial chunk."""
    store.save_run(record())
    with store.batch() as batch:
        batch.append_chunk("r1", 0, *steps(0, 1024), replace=False)
        batch.append_chunk("r1", 1024, *steps(1024, 10), replace=False)
    with store.batch() as batch:
        batch.append_chunk("r1", 1024, *steps(1024, 30), replace=True)
    loaded = store.load_history("r1", len(NAMES))
    loss, params, grads = steps(0, 1054)
    assert loaded.params.shape == (1054, 4)
    assert loaded.loss.tobytes() == loss.tobytes()
    assert loaded.params.tobytes() == params.tobytes()
    assert loaded.grads.tobytes() == grads.tobytes()
    empty = store.load_history("none", len(NAMES))
    assert empty.loss.shape == (0,) and empty.params.shape == (0, 4)


def test_the_latest_graph_replaces_the_one_before(store: RunStore) -> None:
    """save_graph keeps one graph per run: the latest shape and values."""
    store.save_run(record())
    with store.batch() as batch:
        batch.save_graph("r1", {"signature": "s1", "nodes": [], "edges": []}, {"step": 1})
    with store.batch() as batch:
        batch.save_graph("r1", {"signature": "s2", "nodes": [{"id": "n0"}], "edges": []}, {"step": 9})
    details = store.load_details("r1")
    assert details.graph == {"signature": "s2", "nodes": [{"id": "n0"}], "edges": []}
    assert details.graph_values == {"step": 9}
    assert details.curve is None


def test_runs_left_going_are_marked_interrupted_with_their_step(store: RunStore) -> None:
    """Queued, running and paused runs become interrupted, saying where they were; ended runs stay as they are."""
    for status in ("queued", "running", "paused", "finished", "stopped"):
        store.save_run(record(status, status=status, steps_done=7))
    assert store.mark_interrupted() == 3
    rows = {r.id: r for r in store.load_runs()}
    assert rows["running"].status == "interrupted"
    assert rows["running"].message == "the server stopped while this run was running, at step 7"
    assert rows["paused"].message == "the server stopped while this run was paused, at step 7"
    assert rows["running"].ended_at is not None
    assert (rows["finished"].status, rows["stopped"].status) == ("finished", "stopped")
    assert store.mark_interrupted() == 0


def test_the_default_database_is_a_file_in_the_data_dir(tmp_path: Path) -> None:
    """Without database_url, runs go to autograd-live.db in data_dir; a URL given is kept as it is."""
    assert Settings(data_dir=tmp_path).database_url == f"sqlite:///{tmp_path}/autograd-live.db"
    assert Settings(database_url="postgresql+psycopg://db/runs").database_url == "postgresql+psycopg://db/runs"


def test_a_database_from_before_new_columns_is_brought_up_to_date(tmp_path: Path) -> None:
    """A runs table made without a later (nullable) column gains it on open, and its rows still read."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE runs (id VARCHAR(32) PRIMARY KEY, engine VARCHAR(32) NOT NULL)"))
    engine.dispose()
    store = RunStore.open(url)
    try:
        assert "control_hash" in {column["name"] for column in inspect(store.engine).get_columns("runs")}
    finally:
        store.close()
