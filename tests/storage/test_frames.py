"""Graph frames in the store: written by the writer as a run goes, thinned there as in memory, read back bit for
bit after a restart, migrated into an older database, and deleted with their run."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import MetaData, create_engine, func, inspect, select

from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs.run import Run
from app.runs.stored import HistoryCache, StoredRun
from app.runs.training import Training
from app.runs.writer import Writer
from app.storage.frames import all_frames, load_shapes, unpack
from app.storage.schema import graph_frames, graph_shapes, metadata
from app.storage.store import RunRecord, RunStore

WaitUntil = Callable[..., None]
Captured = dict[str, dict[int, tuple[bytes, dict[str, Any]]]]  # run id → step → (GraphValues JSON, shape)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    yield store
    store.close()


def stored_run(store: RunStore, run_id: str) -> StoredRun:
    """The run as the store gives it back after a restart."""
    record = store.load_run(run_id)
    assert record is not None
    return StoredRun(record, ENGINES[record.engine], store, HistoryCache(store, 2), 25)


def written_run(store: RunStore, training: Training, wait_until: WaitUntil, cap: int, **config: Any) -> Run:
    """A run capturing every step (at most `cap` kept), stored by a writer that flushes many times meanwhile."""
    writer = Writer(store, interval=0.01)
    run_config = RunConfig.model_validate({"points": 16, "seed": 2, **config})
    spec = ENGINES[run_config.engine]
    run = Run("r1", run_config, spec, spec.make_problem(run_config), np.linspace(-3, 3, 25), 0.0, max_frames=cap)
    writer.watch(run)
    training.submit(run)
    wait_until(lambda: run.ended, 30, "the run to end")
    writer.sync()
    writer.close()
    assert run.status == "finished", run.message
    return run


def test_the_writer_stores_the_kept_graphs_as_the_run_thins_them(
    store: RunStore, wait_until: WaitUntil, captured: Captured, training: Training
) -> None:
    """Thinned across many flushes, the stored frames are exactly those the run keeps at its end, each byte for
    byte the JSON captured at its step, and no more than the cap."""
    run = written_run(store, training, wait_until, 12, engine="torch-autograd", steps=600, pace=3000)
    assert store.writes > 5, "the run was stored in a single flush: nothing was thinned between two"
    kept = run.graph_frames.state
    assert kept.stride >= 64 and len(kept.frames) <= 12
    stored = all_frames(store, run.id)
    assert stored == list(kept.frames)
    assert {frame.seq % kept.stride for frame in stored} == {0}
    for frame in stored:
        assert unpack(frame.data) == captured[run.id][frame.step][0]
    assert load_shapes(store, run.id) == dict(kept.shapes)


def test_a_stored_run_finds_the_same_graph_at_every_step_as_the_live_run(
    store: RunStore, wait_until: WaitUntil, captured: Captured, training: Training
) -> None:
    """After a restart, the graph at every step (its step, shape, JSON and the next kept step) is the live run's;
    for the dynamic net, each with the shape it had at its step."""
    run = written_run(store, training, wait_until, 1000, engine="dynamic-net", steps=80)
    again = stored_run(store, run.id)
    signatures = set()
    for step in range(80):
        live, stored = run.graph_at(step), again.graph_at(step)
        assert live is not None and stored == live, step
        assert stored.step == step and stored.values == captured[run.id][step][0]
        assert stored.shape == captured[run.id][step][1]
        signatures.add(stored.shape["signature"])
    assert len(signatures) >= 2  # the shape did change along the run
    assert again.kept_graphs() == run.kept_graphs()


def test_with_cap_zero_only_the_latest_graph_is_stored(
    store: RunStore, wait_until: WaitUntil, captured: Captured, training: Training
) -> None:
    run = written_run(store, training, wait_until, 0, engine="torch-nn", steps=30)
    again = stored_run(store, run.id)
    assert all_frames(store, run.id) == []
    assert again.graph_at(28) is None
    latest = again.graph_at(29)
    assert latest is not None and latest.values == captured[run.id][29][0]


def test_deleting_a_run_deletes_its_graph_frames_and_shapes(
    store: RunStore, wait_until: WaitUntil, training: Training
) -> None:
    run = written_run(store, training, wait_until, 50, engine="torch-autograd", steps=40)
    assert all_frames(store, run.id)
    store.delete_run(run.id)
    with store.engine.connect() as connection:
        for table in (graph_frames, graph_shapes):
            assert connection.execute(select(func.count()).select_from(table)).scalar() == 0


def test_a_database_from_before_graph_frames_gains_them_and_its_runs_still_replay_their_last_graph(
    tmp_path: Path,
) -> None:
    """The tables of the last version, with a run and its last graph: opening adds the new tables, and the run's
    last graph is still found at its step (no earlier one: none was kept then)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = MetaData()
    for name in ("runs", "chunks", "graphs"):
        metadata.tables[name].to_metadata(old)
    engine = create_engine(url)
    old.create_all(engine)
    shape = {"signature": "abc", "nodes": [{"id": "n0", "name": "SumBackward0", "kind": "op", "label": "sum"}]}
    values = {"signature": "abc", "forward": {}, "saved": {}, "step": 9}
    with engine.begin() as connection:
        connection.execute(
            old.tables["runs"]
            .insert()
            .values(
                id="old",
                engine="torch-autograd",
                status="finished",
                config=RunConfig(engine="torch-autograd", steps=10).model_dump(mode="json"),
                param_names=["a", "b", "c", "d"],
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
                steps_done=10,
            )
        )
        connection.execute(
            old.tables["graphs"].insert().values(run_id="old", signature="abc", shape=shape, values=values)
        )
    engine.dispose()
    store = RunStore.open(url)
    try:
        assert {"graph_frames", "graph_shapes"} <= set(inspect(store.engine).get_table_names())
        run = stored_run(store, "old")
        found = run.graph_at(9)
        assert found is not None and found.shape == shape and orjson.loads(found.values) == values
        assert run.graph_at(8) is None
        record = RunRecord(
            id="new", engine="numpy", status="finished", message=None, config={}, param_names=("a",),
            created_at=datetime(2026, 1, 2, tzinfo=UTC),
        )  # fmt: skip
        store.save_run(record)  # the migrated database takes new runs too
    finally:
        store.close()
