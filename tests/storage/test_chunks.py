"""A stored run's steps read a page of chunks per query, a chunk at a time, exactly as written."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event

from app.storage.chunks import PAGE_CHUNKS, check_steps, read_column
from app.storage.records import DamagedRun
from app.storage.schema import CHUNK_STEPS
from app.storage.store import RunRecord, RunStore

STEPS = 40 * CHUNK_STEPS + 77  # three pages of chunks, the last chunk short


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    """A store holding one run of STEPS made-up steps of two parameters."""
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    record = RunRecord(
        id="r", engine="numpy", status="finished", message=None, config={}, param_names=("a", "b"),
        created_at=datetime(2026, 1, 1, tzinfo=UTC), steps_done=STEPS,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    loss, params, grads = rng.standard_normal(STEPS), rng.standard_normal((STEPS, 2)), rng.standard_normal((STEPS, 2))
    with store.batch() as batch:
        batch.save_run(record)
        for start in range(0, STEPS, CHUNK_STEPS):
            rows = slice(start, start + CHUNK_STEPS)
            batch.append_chunk("r", start, loss[rows], params[rows], grads[rows], False)
    yield store
    store.close()


def queries_made(store: RunStore) -> list[str]:
    """The SELECT statements sent from now on (appended as they are sent)."""
    sent: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    return sent


@pytest.mark.parametrize("column", ["loss", "params", "grads"])
@pytest.mark.parametrize(("start", "stop"), [(0, STEPS), (1000, 1030), (CHUNK_STEPS, 3 * CHUNK_STEPS + 1), (5, 5)])
def test_a_column_reads_back_exactly_a_chunk_at_a_time(store: RunStore, column: Any, start: int, stop: int) -> None:
    """Any range of any column is the stored numbers bit for bit, in pieces of at most one chunk, fetched by at
    most one query per PAGE_CHUNKS chunks."""
    whole = getattr(store.load_history("r", 2), column)
    queries = queries_made(store)
    pieces = list(read_column(store, "r", 2, column, start, stop))
    assert all(len(piece) <= CHUNK_STEPS for piece in pieces)
    joined = np.concatenate(pieces) if pieces else whole[:0]
    assert joined.tobytes() == whole[start:stop].tobytes()
    chunks_read = -(-stop // CHUNK_STEPS) - start // CHUNK_STEPS if stop > start else 0
    assert len(queries) == -(-chunks_read // PAGE_CHUNKS)


def test_whole_chunks_pass_the_check_and_a_wrong_count_does_not(store: RunStore) -> None:
    """check_steps reads the sizes only; the run's own count must match what is stored."""
    check_steps(store, "r", 2, STEPS)
    with pytest.raises(DamagedRun, match=f"the stored steps of run r are damaged: {STEPS} steps are stored"):
        check_steps(store, "r", 2, STEPS + 1)
    with pytest.raises(DamagedRun, match=re.escape("the params of steps 0.. are")):
        check_steps(store, "r", 3, STEPS)
