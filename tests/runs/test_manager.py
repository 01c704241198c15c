"""RunManager: limits on new runs, look-up, newest-first listing and forgetting the oldest ended runs."""

import gc
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.run_config import RunConfig
from app.runs.manager import ConfigError, RunManager
from app.runs.run import Run
from app.runs.stored import StoredRun
from app.storage.store import RunStore

WaitUntil = Callable[..., None]


@pytest.fixture
def manager() -> Iterator[RunManager]:
    """A manager with small limits."""
    manager = RunManager(Settings(max_steps=500, max_points=100, max_active_runs=2, max_kept_runs=3, curve_points=10))
    yield manager
    manager.shutdown()


def tiny(**overrides: object) -> RunConfig:
    """A run that ends in a blink."""
    return RunConfig.model_validate({"steps": 5, "points": 4, "seed": 0, **overrides})


@pytest.mark.parametrize(("overrides", "field"), [({"steps": 501}, "steps"), ({"points": 101}, "points")])
def test_over_the_limits_is_refused_naming_the_field(
    manager: RunManager, overrides: dict[str, int], field: str
) -> None:
    """A config over max_steps or max_points raises ConfigError naming that field and the limit."""
    with pytest.raises(ConfigError, match=f"max_{field}") as caught:
        manager.create(tiny(**overrides))
    assert caught.value.field == field
    assert list(manager) == []


def test_at_the_limits_is_accepted(manager: RunManager, wait_until: WaitUntil) -> None:
    """Exactly max_steps steps on exactly max_points points is allowed."""
    run = manager.create(tiny(steps=500, points=100))
    wait_until(lambda: run.ended, 10, "the run to end")
    assert run.status == "finished"


def test_too_many_active_runs_are_refused(manager: RunManager, wait_until: WaitUntil) -> None:
    """Beyond max_active_runs queued or running runs, create refuses; once one ends, it accepts again."""
    first = manager.create(tiny(steps=500, pace=10))
    manager.create(tiny(steps=500, pace=10))
    with pytest.raises(ConfigError, match="max_active_runs") as caught:
        manager.create(tiny())
    assert caught.value.field is None
    first.stop()
    wait_until(lambda: first.ended, 5, "the first run to stop")
    assert manager.create(tiny()).id


def test_zero_grad_off_needs_an_engine_that_keeps_gradients(manager: RunManager) -> None:
    """zero_grad=false is refused for numpy (no .grad to pile up), naming the field; torch-autograd accepts it."""
    with pytest.raises(ConfigError) as caught:
        manager.create(tiny(engine="numpy", zero_grad=False))
    assert caught.value.field == "zero_grad"
    assert manager.create(tiny(engine="torch-autograd", zero_grad=False)).id


def test_get_and_list_newest_first(manager: RunManager, wait_until: WaitUntil) -> None:
    """get finds a run by id (KeyError otherwise) and iteration lists the newest first."""
    made = []
    for _ in range(3):
        run = manager.create(tiny())
        wait_until(lambda run=run: run.ended, 5, "a run to end")  # type: ignore[misc]
        made.append(run)
    assert [run.id for run in manager] == [run.id for run in reversed(made)]
    assert manager.get(made[1].id) is made[1]
    with pytest.raises(KeyError):
        manager.get("no-such-run")


def test_oldest_ended_runs_are_forgotten(manager: RunManager, wait_until: WaitUntil) -> None:
    """Past max_kept_runs, the oldest ended runs are dropped; the newest stay."""
    made = []
    for _ in range(5):
        run = manager.create(tiny())
        wait_until(lambda run=run: run.ended, 5, "a run to end")  # type: ignore[misc]
        made.append(run)
    assert [run.id for run in manager] == [run.id for run in reversed(made[-3:])]


def test_shutdown_stops_every_run(manager: RunManager, wait_until: WaitUntil) -> None:
    """shutdown stops the runs still going."""
    runs = [manager.create(tiny(steps=500, pace=10)) for _ in range(2)]
    manager.shutdown()
    wait_until(lambda: all(run.ended for run in runs), 5, "both runs to stop")
    assert [run.status for run in runs] == ["stopped", "stopped"]


def test_runs_keep_as_many_graphs_for_replay_as_the_settings_say(wait_until: WaitUntil) -> None:
    """max_stored_frames reaches the runs a manager creates: no more graphs are kept than it allows."""
    manager = RunManager(Settings(max_stored_frames=3, frame_rate=120, curve_points=10))
    try:
        run = manager.create(RunConfig.model_validate({"steps": 300, "points": 4, "seed": 0, "pace": 1000}))
        wait_until(lambda: run.ended, 10, "the run to end")
        state = run.graph_frames.state  # type: ignore[union-attr]
        assert state.captured > 6, "the run should have captured more graphs than it may keep"
        assert 0 < len(state.frames) <= 3
    finally:
        manager.shutdown()


@pytest.fixture
def stored_manager(tmp_path: Path) -> Iterator[RunManager]:
    """A manager that stores its runs in the test's own database, flushing often."""
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    manager = RunManager(Settings(flush_interval=0.05, curve_points=10), store)
    yield manager
    manager.shutdown()
    store.close()


def test_an_ended_run_once_stored_is_read_back_and_its_history_leaves_memory(
    stored_manager: RunManager, wait_until: WaitUntil
) -> None:
    """Once a run has ended and all of it is stored, the manager keeps it as read back from the store: the same
    numbers, while the live run's arrays are freed, so the memory kept does not grow with the ended runs."""
    freed: list[weakref.ref[Any]] = []
    for seed in range(4):
        run = stored_manager.create(tiny(steps=3000, points=8, seed=seed))
        wait_until(lambda run=run: run.ended, 20, "a run to end")  # type: ignore[misc]
        columns = run.history.columns()
        freed += [weakref.ref(run.history), weakref.ref(run.history.loss), weakref.ref(run.history.params)]
        stored_manager.flush()
        stored = stored_manager.get(run.id)
        assert isinstance(stored, StoredRun)
        assert stored.status == "finished" and stored.history.count == 3000
        assert stored.history.columns() == columns
        del run
    gc.collect()
    assert [ref() for ref in freed] == [None] * len(freed), "a live history is still held"
    assert sum(run.history.nbytes() for run in stored_manager if isinstance(run, Run)) == 0
    assert len(list(stored_manager)) == 4


def test_without_a_store_an_ended_run_stays_as_it_ran(manager: RunManager, wait_until: WaitUntil) -> None:
    """With nothing to read it back from, an ended run is kept live, history and all."""
    run = manager.create(tiny())
    wait_until(lambda: run.ended, 5, "the run to end")
    manager.flush()
    assert manager.get(run.id) is run and run.history.count == 5
