"""Writer: a run's steps reach the store in few batched writes, exactly, and runs cut off are `interrupted`."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event

from app.run_config import RunConfig
from app.runs.run import Run
from app.runs.training import Training
from app.runs.writer import Writer
from app.storage.store import RunStore

MakeConfig = Callable[..., RunConfig]
MakeRun = Callable[..., Run]
WaitUntil = Callable[..., None]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    """A fresh SQLite store."""
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    yield store
    store.close()


def assert_stored_history(store: RunStore, run: Run, count: int) -> None:
    """The store holds the run's first `count` steps, bit for bit."""
    stored = store.load_history(run.id, len(run.param_names))
    history = run.history
    assert stored.loss.tobytes() == history.loss[:count].tobytes()
    assert stored.params.tobytes() == history.params[:count].tobytes()
    assert stored.grads.tobytes() == history.grads[:count].tobytes()


def writes_sent(store: RunStore) -> list[tuple[str, int]]:
    """The INSERT and UPDATE statements sent to the database from now on, each with its number of rows."""
    sent: list[tuple[str, int]] = []

    def note(_connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        words = statement.split()
        if words[0] in ("INSERT", "UPDATE"):
            table = words[2] if words[0] == "INSERT" else words[1]
            sent.append((f"{words[0]} {table}", len(parameters) if many else 1))

    event.listen(store.engine, "before_cursor_execute", note)
    return sent


def test_runs_moving_together_are_written_in_one_statement_of_each_kind(
    store: RunStore, make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, training: Training
) -> None:
    """A flush writes every run's changed row in one UPDATE, its grown chunks in another and its new ones in one
    INSERT, whatever the number of runs; and each run is stored exactly."""
    writer = Writer(store, interval=3600.0)  # flushed by hand only
    runs = [make_run(make_config(steps=100_000, points=8, pace=100, seed=seed), start=False) for seed in range(10)]
    for run in runs:
        writer.watch(run)
        training.submit(run)
    wait_until(lambda: all(run.history.count > 3 for run in runs), 20, "every run to step")
    first = writes_sent(store)
    writer.sync()  # every run's row is new (an INSERT each); their first chunks go in one INSERT
    assert first.count(("INSERT chunks", len(runs))) == 1 and ("INSERT runs", 1) in first
    counts = [run.history.count for run in runs]
    wait_until(lambda: all(run.history.count > done for run, done in zip(runs, counts, strict=True)), 20, "more steps")
    second = writes_sent(store)
    writer.sync()
    assert [sent for sent in second if sent[0] in ("UPDATE runs", "UPDATE chunks")] == [
        ("UPDATE chunks", len(runs)),
        ("UPDATE runs", len(runs)),
    ], "a statement per run is not batching"
    for run in runs:
        run.stop()
    wait_until(lambda: all(run.ended for run in runs), 20, "the runs to end")
    writer.close()
    for run in runs:
        row = store.load_run(run.id)
        assert row is not None and (row.status, row.steps_done) == ("stopped", run.history.count)
        assert_stored_history(store, run, run.history.count)


def test_a_long_run_is_stored_exactly_in_few_writes(
    store: RunStore, make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, training: Training
) -> None:
    """A 5000-step run is stored whole, with its last step, curve and graph, in far fewer than 5000 writes."""
    writer = Writer(store, interval=0.05)
    run = make_run(make_config(steps=5000, points=64), start=False)
    writer.watch(run)
    training.submit(run)
    wait_until(lambda: run.ended, 20, "the run to end")
    writer.sync()
    writer.close()
    assert store.statements < 100, "one statement per step (or close to it) is not batching"
    assert store.writes < 100
    row = store.load_run(run.id)
    assert row is not None and run.latest is not None
    assert (row.status, row.steps_done, row.last_loss) == ("finished", 5000, run.latest.loss)
    assert (row.last_grads, row.last_params) == (run.latest.grads, run.latest.updated)
    assert row.config == run.config.model_dump(mode="json")
    assert_stored_history(store, run, 5000)
    details = store.load_details(run.id)
    assert details.curve is not None and run.curve is not None and np.array_equal(details.curve, run.curve)
    assert details.graph is not None and run.graph is not None
    assert details.graph["signature"] == run.graph["signature"]


def test_a_running_run_is_stored_as_it_goes(
    store: RunStore, make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, training: Training
) -> None:
    """Mid-run, a flush stores every step up to the run's latest, with the run's status."""
    writer = Writer(store, interval=0.05)
    run = make_run(make_config(steps=3000, pace=400), start=False)
    writer.watch(run)
    training.submit(run)
    wait_until(lambda: run.history.count > 1500, 10, "the run to pass a chunk")
    run.pause()
    # A pause holds on a step with its curve (it may take one more step to reach one): then nothing moves.
    wait_until(
        lambda: run.latest is not None and run.latest.curve is not None and run.history.count == run.latest.step + 1,
        5,
        "the pause",
    )
    writer.sync()
    row = store.load_run(run.id)
    assert row is not None
    assert (row.status, row.steps_done) == ("paused", run.history.count)
    assert_stored_history(store, run, run.history.count)
    writer.close()


def test_closing_stores_runs_cut_off_as_interrupted(
    store: RunStore, make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, training: Training
) -> None:
    """Runs named before they are stopped are stored as interrupted, saying where they were, with every step
    they made, even when a flush comes between their stop and the close."""
    writer = Writer(store, interval=10)  # no periodic flush: the test places them
    run = make_run(make_config(steps=100_000, pace=500), start=False)
    writer.watch(run)
    training.submit(run)
    wait_until(lambda: run.history.count > 20, 10, "a few steps")
    writer.interrupt({run.id: "running"})
    run.stop()
    run.join(5)
    writer.sync()  # the stopped run is written here, its last flush
    writer.close()
    row = store.load_run(run.id)
    assert row is not None
    assert row.status == "interrupted"
    assert row.message == f"the server stopped while this run was running, at step {run.history.count}"
    assert row.steps_done == run.history.count
    assert_stored_history(store, run, run.history.count)
