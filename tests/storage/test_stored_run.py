"""A RunManager with a store: runs read back after a restart look just as they did live, loaded only when viewed."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.config import Settings
from app.run_config import RunConfig
from app.runs import messages
from app.runs import stored as stored_module
from app.runs.manager import RunManager
from app.runs.run import Run, RunStateError
from app.runs.stored import HistoryCache, StoredRun
from app.runs.viewer import dumps
from app.storage.records import Column
from app.storage.store import RunStore

WaitUntil = Callable[..., None]
Restart = Callable[..., RunManager]


@pytest.fixture
def restart(tmp_path: Path) -> Iterator[Restart]:
    """A manager on the test's own database; each call shuts the previous one down first, as a restart does."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    live: list[tuple[RunManager, RunStore]] = []

    def start(**settings: Any) -> RunManager:
        stop()
        store = RunStore.open(url)
        manager = RunManager(Settings(curve_points=30, flush_interval=0.05, **settings), store)
        live.append((manager, store))
        return manager

    def stop() -> None:
        while live:
            manager, store = live.pop()
            manager.shutdown()
            store.close()

    yield start
    stop()


def wire(message: object) -> Any:
    """A message as a viewer receives it: JSON text, parsed."""
    return orjson.loads(dumps(message))


def tiny(**overrides: object) -> RunConfig:
    """A short run on few points."""
    return RunConfig.model_validate({"steps": 300, "points": 16, "seed": 0, **overrides})


def finished(manager: RunManager, wait_until: WaitUntil, **overrides: object) -> Run:
    """A run that has ended."""
    run = manager.create(tiny(**overrides))
    assert isinstance(run, Run)
    wait_until(lambda: run.ended, 10, "the run to end")
    return run


@pytest.mark.parametrize("engine", ["numpy", "torch-autograd", "torch-mlp", "dynamic-net", "lecture-net"])
def test_a_run_read_back_looks_as_it_did_live(restart: Restart, wait_until: WaitUntil, engine: str) -> None:
    """After a restart, a finished run's summary, snapshot (curve and graph too), final status and history are
    those of the live run, on the wire."""
    manager = restart()
    run = finished(manager, wait_until, engine=engine)
    live = [messages.summary(run), messages.snapshot(run, 0, run.latest), messages.status(run, final=True)]
    columns = run.history.columns()
    stored = restart().get(run.id)
    assert isinstance(stored, StoredRun)
    assert stored.graph is not None and stored.curve is not None
    read_back = [messages.summary(stored), messages.snapshot(stored, 0, stored.latest), messages.status(stored, True)]
    assert wire(read_back) == wire(live)
    assert stored.history.columns() == columns


def test_stored_runs_are_listed_but_their_steps_read_only_when_viewed(
    restart: Restart, wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing after a restart reads no steps; the first view of a run reads its losses once (what snapshots
    need), and only those stay in memory."""
    manager = restart()
    runs = [finished(manager, wait_until, seed=seed) for seed in range(3)]
    reads: list[tuple[str, str]] = []
    read = stored_module.read_column

    def spy(store: RunStore, run_id: str, width: int, column: Column, start: int, stop: int) -> Iterator[Any]:
        reads.append((run_id, column))
        return read(store, run_id, width, column, start, stop)

    monkeypatch.setattr(stored_module, "read_column", spy)
    manager = restart()
    listed = [messages.summary(run) for run in manager]
    assert [summary["id"] for summary in listed] == [run.id for run in reversed(runs)]
    assert [summary["steps_done"] for summary in listed] == [300, 300, 300]
    assert reads == []
    stored = manager.get(runs[0].id)
    assert stored.history.losses(0, 300) == runs[0].history.losses(0, 300)
    assert stored.history.losses(100, 200) == runs[0].history.losses(100, 200)
    assert reads == [(runs[0].id, "loss")]
    assert stored.history.columns() == runs[0].history.columns()


def test_the_steps_in_memory_are_bounded(tmp_path: Path) -> None:
    """The history cache keeps the losses of the last few runs viewed, dropping the least recent."""
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    cache = HistoryCache(store, size=2)
    for run_id in ("a", "b", "a", "c"):
        cache.losses(run_id, 1, 0)
    assert list(cache._loaded) == ["a", "c"]
    store.close()


def test_runs_beyond_the_listed_ones_stay_reachable_by_id(restart: Restart, wait_until: WaitUntil) -> None:
    """Only max_kept_runs are listed after a restart; an older one is still found by its id."""
    manager = restart(max_kept_runs=2)
    runs = [finished(manager, wait_until, seed=seed) for seed in range(3)]
    manager = restart(max_kept_runs=2)
    assert [run.id for run in manager] == [runs[2].id, runs[1].id]
    oldest = manager.get(runs[0].id)
    assert messages.summary(oldest)["steps_done"] == 300
    with pytest.raises(KeyError):
        manager.get("no-such-run")


def test_runs_going_at_shutdown_come_back_interrupted(restart: Restart, wait_until: WaitUntil) -> None:
    """A clean shutdown stores running, paused and queued runs as interrupted, with every step they made."""
    manager = restart(max_running_runs=1)
    running = manager.create(tiny(steps=100_000, pace=200))
    paused = manager.create(tiny(steps=100_000, pace=200))
    assert isinstance(running, Run) and isinstance(paused, Run)
    wait_until(lambda: paused.history.count > 5, 10, "a few steps")
    paused.pause(wait=5)
    busy = manager.create(tiny(steps=1_000_000))  # the one run at full speed this server trains at once
    wait_until(lambda: busy.status == "running", 10, "the full-speed run to start")
    queued = manager.create(tiny(steps=100_000))  # another one waits for its turn
    wait_until(lambda: running.history.count > 20, 10, "more steps")
    assert queued.status == "queued"
    manager = restart()
    for run, was in ((running, "running"), (paused, "paused"), (busy, "running"), (queued, "queued")):
        stored = manager.get(run.id)
        assert stored.status == "interrupted"
        assert stored.message == f"the server stopped while this run was {was}, at step {run.history.count}"
        assert stored.history.columns() == run.history.columns()
        assert stored.ended_at is not None


def test_a_stored_run_refuses_every_command(restart: Restart, wait_until: WaitUntil) -> None:
    """Pause, resume, step and stop of a stored run raise RunStateError naming its status."""
    run_id = finished(restart(), wait_until).id
    stored = restart().get(run_id)
    for command in (stored.pause, stored.resume, stored.step, stored.stop):
        with pytest.raises(RunStateError, match="a run that is finished"):
            command()
