"""The training workers as the server runs them (real worker processes): admission by measured cost × pace,
full-speed runs sharing a worker fairly, a queued run saying where it stands, a worker that dies, abandoned runs."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from app.config import Settings
from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs import training as training_module
from app.runs.manager import RunManager
from app.runs.run import Run
from app.runs.training import Training

WaitUntil = Callable[..., None]
ENDLESS = {"steps": 1_000_000, "points": 8, "seed": 0}


def make(run_id: str, **fields: object) -> Run:
    """A run, not yet submitted."""
    config = RunConfig.model_validate({**ENDLESS, **fields})
    spec = ENGINES[config.engine]
    return Run(run_id, config, spec, spec.make_problem(config), np.linspace(-3, 3, 10), 1 / 30)


@pytest.fixture
def workers() -> Iterator[Callable[..., Training]]:
    """Training workers in their own processes, with the settings a test asks for; closed after it."""
    made: list[Training] = []

    def build(**settings: object) -> Training:
        training = Training(Settings.model_validate({"training_processes": 1, **settings}))
        made.append(training)
        return training

    yield build
    for training in made:
        training.close()


def stop_all(*runs: Run) -> None:
    """Stop every run that still goes, and wait for each to end."""
    for run in runs:
        if not run.ended:
            run.stop()
    for run in runs:
        run.join(10)


def test_full_speed_runs_share_a_worker_fairly(workers: Callable[..., Training], wait_until: WaitUntil) -> None:
    """Three full-speed runs on one worker process each get a fair share of it: none starves."""
    training = workers(max_running_runs=3)
    runs = [make(f"fast-{i}") for i in range(3)]
    for run in runs:
        training.submit(run)
    wait_until(lambda: all(run.history.count > 0 for run in runs), 20, "all three to step")
    start = [run.history.count for run in runs]
    time.sleep(1.0)
    done = [run.history.count - before for run, before in zip(runs, start, strict=True)]
    stop_all(*runs)
    assert min(done) > 0.5 * max(done), f"steps taken in the same second: {done}"


def test_paced_runs_are_admitted_by_what_they_cost(workers: Callable[..., Training], wait_until: WaitUntil) -> None:
    """With room for one paced run's cost, the next ones wait as queued, saying why and where they stand, and the
    first of them starts once the room is free."""
    training = workers(training_share=1e-6)  # any paced run fills a worker
    first, second, third = (make(name, pace=30) for name in ("first", "second", "third"))
    for run in (first, second, third):
        training.submit(run)
    wait_until(lambda: first.history.count > 2, 20, "the first run to step")
    wait_until(lambda: training.costs.known(first.config), 20, "the first run's cost to be measured")
    wait_until(lambda: (second.message or "").startswith("waiting: the paced runs use "), 20, "the reason")
    assert second.status == third.status == "queued"
    assert second.message.endswith("of the training time; next in line")
    assert third.message is not None and third.message.endswith("; 1 run waits ahead of this one")
    first.stop()
    wait_until(lambda: second.history.count > 0, 20, "the second run to start in the freed room")
    assert third.status == "queued" and third.message is not None and third.message.endswith("next in line")
    stop_all(first, second, third)


def test_paused_runs_cost_nothing(workers: Callable[..., Training], wait_until: WaitUntil) -> None:
    """A paused paced run holds no room: another paced run starts beside it at once."""
    training = workers(training_share=1e-6)
    first, second = make("first", pace=30), make("second", pace=30)
    training.submit(first)
    wait_until(lambda: first.history.count > 0, 20, "the first run to step")
    first.pause(wait=5)
    training.submit(second)
    wait_until(lambda: second.history.count > 0, 20, "the second run to start beside the paused one")
    stop_all(first, second)


def test_a_worker_that_dies_fails_its_runs_and_a_new_one_trains(
    workers: Callable[..., Training], wait_until: WaitUntil
) -> None:
    """A worker process killed mid-run leaves its run `failed`, saying why, with the steps it reported; the next
    run gets a new worker."""
    training = workers()
    run = make("doomed", pace=200)
    training.submit(run)
    wait_until(lambda: run.history.count > 5, 20, "some steps")
    (worker,) = training._workers
    assert worker.process is not None and worker.process.pid is not None
    os.kill(worker.process.pid, signal.SIGKILL)
    wait_until(lambda: run.ended, 20, "the run to end")
    assert run.status == "failed" and run.message is not None
    assert "training worker ended unexpectedly (exit code -9)" in run.message
    kept = run.history.count
    assert kept > 5 and run.latest is not None and run.latest.step == kept - 1
    after = make("after", steps=20)
    training.submit(after)
    wait_until(lambda: after.status == "finished", 30, "a run on a new worker")


@pytest.mark.parametrize("how", ["paused", "queued"])
def test_an_abandoned_run_ends_stopped_saying_why(how: str, wait_until: WaitUntil) -> None:
    """A run left paused (or queued) with no viewer and no command for abandon_after seconds is stopped with a
    message; one that someone watches, and one that runs, are left alone."""
    manager = RunManager(Settings(abandon_after=0.3, max_running_runs=1, training_processes=1))
    try:
        running = manager.create(RunConfig.model_validate(ENDLESS))
        left = manager.create(RunConfig.model_validate(ENDLESS))  # queued behind the one full-speed run
        watched = manager.create(RunConfig.model_validate({**ENDLESS, "pace": 50}))
        assert isinstance(left, Run) and isinstance(watched, Run) and isinstance(running, Run)
        wait_until(lambda: running.history.count > 0 and watched.history.count > 0, 20, "two runs to step")
        if how == "paused":
            left.pause(wait=5)
        else:
            left.set_pace(None)  # a command (any steering counts): the wait starts now
        watched.pause(wait=5)
        watched.watch(True)
        assert manager.reap() == []  # not yet: it was just steered
        time.sleep(0.4)
        assert manager.reap() == [left.id]
        wait_until(lambda: left.ended, 10, "the abandoned run to end")
        assert left.status == "stopped" and left.message is not None
        assert left.message.startswith(f"Stopped after 0.3 s {how} with no one watching or steering it")
        assert watched.status == "paused" and running.status == "running"
    finally:
        manager.shutdown()


def test_an_idle_worker_ends_and_the_next_run_gets_a_new_one(
    workers: Callable[..., Training], wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that has trained nothing for a while ends (an idle server holds no process); the next run starts
    on a new one."""
    monkeypatch.setattr(training_module, "WORKER_IDLE", 0.3)
    training = workers()
    first = make("first", steps=5)
    training.submit(first)
    wait_until(lambda: first.status == "finished", 30, "the first run")
    (worker,) = training._workers
    assert worker.process is not None
    wait_until(lambda: not worker.process.is_alive(), 10, "the idle worker to end")  # type: ignore[union-attr]
    # Retired, not lost: it left the pool when told to end, and its run kept its own end. (Its exit code is not
    # asked: a fork server under load can report 255 for a child that exited 0, python/cpython#140867.)
    assert training._workers == [] and first.status == "finished" and first.message is None
    second = make("second", steps=5)
    training.submit(second)
    wait_until(lambda: second.status == "finished", 30, "the second run, on a new worker")


def test_runs_of_a_kind_not_yet_measured_wait_for_the_first_ones_cost(
    workers: Callable[..., Training], wait_until: WaitUntil
) -> None:
    """A class's runs arrive at once: the first of their kind starts, the others wait (saying so) until its cost
    per step is measured, then as many start as fit, here all of them."""
    training = workers()
    runs = [make(f"run-{i}", pace=30) for i in range(4)]
    for run in runs:
        training.submit(run)
    wait_until(lambda: runs[0].history.count > 0, 20, "the first run to step")
    if not training.costs.known(runs[0].config):
        assert runs[1].message == "waiting: the first run of its kind is measuring what one step costs; next in line"
        assert runs[2].message is not None and runs[2].message.endswith("1 run waits ahead of this one")
    wait_until(lambda: all(run.history.count > 0 for run in runs), 20, "every run to start once the cost is known")
    assert training.costs.known(runs[0].config)
    stop_all(*runs)


class BusyCpu:
    """Another program keeping one CPU busy at the highest priority: a process pinned beside it gets next to none
    of that CPU's time, whatever its costs ask for."""

    def __init__(self) -> None:
        self.cpu = min(os.sched_getaffinity(0))
        code = f"import os; os.sched_setaffinity(0, {{{self.cpu}}}); os.nice(-20)\nwhile True: pass"
        self.process = subprocess.Popen([sys.executable, "-c", code])

    def pin(self, pid: int) -> None:
        """Put the process `pid` on the busy CPU."""
        os.sched_setaffinity(pid, {self.cpu})

    def stop(self) -> None:
        """The program ends: its CPU is free again."""
        self.process.kill()
        self.process.wait()


@pytest.fixture
def busy_cpu() -> Iterator[Callable[[], BusyCpu]]:
    """`busy_cpu()` starts a BusyCpu, stopped after the test if it has not been."""
    made: list[BusyCpu] = []
    yield lambda: made.append(BusyCpu()) or made[-1]
    for busy in made:
        busy.stop()


def test_a_worker_that_falls_behind_holds_its_newest_runs_and_lets_them_go_on_later(
    workers: Callable[..., Training], wait_until: WaitUntil, busy_cpu: Callable[[], BusyCpu]
) -> None:
    """Paced runs whose costs fit the worker, on a machine that then gives it less time than that (another program
    gets busy): the newest are held, queued again and saying why, until those left keep their pace; a held run keeps
    its steps and, once there is room, goes on from where it was."""
    training = workers(training_share=0.6)
    first = make("first", pace=30)
    training.submit(first)
    wait_until(lambda: training.costs.known(first.config), 20, "the first run's cost")
    # Six runs that the costs say use half of the worker's time, all going; then the machine gets busy, and the
    # worker gets next to nothing of it.
    pace = 0.5 / (6 * training.costs.estimate(first.config))
    first.set_pace(pace)
    runs = [first, *(make(f"run-{i}", pace=pace) for i in range(5))]
    for run in runs[1:]:
        training.submit(run)
    wait_until(lambda: all(run.history.count > 0 for run in runs), 20, "every run to step")
    (worker,) = training._workers
    assert worker.process is not None and worker.process.pid is not None
    busy = busy_cpu()
    busy.pin(worker.process.pid)
    wait_until(lambda: sum(run.held for run in runs) > 0, 30, "the worker to hold some of its runs")
    assert worker.ceiling < 0.6, "it carries less than the costs said, for now"
    assert any(run.status == "running" for run in runs), "one run always keeps going"
    held = next(run for run in reversed(runs) if run.held)
    assert held.message is not None and held.message.startswith("waiting: the server fell behind")
    time.sleep(0.3)  # the steps it took before its worker had the word are on their way
    steps = held.history.count
    assert steps > 0, "a run is held only after it has stepped"
    time.sleep(0.5)
    if held.held:  # (it may have been let go on meanwhile)
        assert held.history.count == steps, "a held run takes no steps"
    # Room again: the busy program ends and the others stop; the held run goes on from the step it was held at,
    # not from the start.
    busy.stop()
    stop_all(*(run for run in runs if run is not held))
    wait_until(lambda: held.status == "running" and held.history.count > steps + 10, 30, "the held run to go on")
    latest = held.latest
    assert latest is not None and latest.step >= steps + 10
    assert latest.step == held.history.count - 1, "its steps are numbered on, without a gap or a restart"
    stop_all(held)
