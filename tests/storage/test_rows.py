"""Run rows read one by one: a damaged value makes a BrokenRow of its own row, never an error for every row."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from app.storage.rows import BrokenRow, read_run, read_runs
from app.storage.store import RunRecord, RunStore
from tests.storage.test_store import record


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    """A SQLite store holding three runs, a day apart."""
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    for day in (1, 2, 3):
        store.save_run(record(f"day{day}", created_at=datetime(2026, 1, day, tzinfo=UTC), control_hash="h" * 64))
    yield store
    store.close()


def damage(store: RunStore, run_id: str, column: str, raw: str) -> None:
    """Write `raw` into a column of a row as it is, past every type the app would apply."""
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE runs SET {column} = :raw WHERE id = :id"), {"raw": raw, "id": run_id})


@pytest.mark.parametrize(
    ("column", "raw", "words"),
    [
        ("config", '{"engine": "num', "config is damaged"),
        ("param_names", "[1, 2", "param_names is damaged"),
        ("last_grads", "not json", "last_grads is damaged"),
        ("created_at", "yesterday", "created_at is damaged"),
        ("started_at", "2026-13-45 99:00:00", "started_at is damaged"),
    ],
)
def test_a_damaged_value_breaks_its_row_only(store: RunStore, column: str, raw: str, words: str) -> None:
    damage(store, "day2", column, raw)
    listed = read_runs(store)
    assert [row.id for row in listed if isinstance(row, RunRecord)] == ["day3", "day1"]
    [broken] = [row for row in listed if isinstance(row, BrokenRow)]
    assert broken.id == "day2" and words in broken.reason
    assert broken.engine == "numpy" and broken.control_hash == "h" * 64  # what could be read, to list and delete it
    if column != "created_at":
        assert broken.created_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert read_run(store, "day2") == broken
    assert read_run(store, "day1") == store.load_run("day1")
    assert read_run(store, "none") is None


def test_rows_read_one_by_one_are_the_stores_own_records(store: RunStore) -> None:
    """Without damage, read_runs gives what load_runs gives, newest first and limited."""
    assert read_runs(store) == store.load_runs()
    assert [row.id for row in read_runs(store, limit=2)] == ["day3", "day2"]
