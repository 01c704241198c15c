"""A Run trained by a worker: statuses, pause, single steps, resume, stop, pace, divergence and failures."""

import math
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from app.config import Settings
from app.engines import ENGINES
from app.engines.base import EngineSpec, StepRecord, StepStream
from app.engines.problem import Array, Problem
from app.run_config import RunConfig
from app.runs.run import Run, RunStateError
from app.runs.training import Training
from app.training.messages import Command, StatusReport

MakeConfig = Callable[..., RunConfig]
MakeRun = Callable[..., Run]
WaitUntil = Callable[..., None]

# Long enough never to finish during a test (about 85k steps/s at full speed on 2 points).
ENDLESS = {"steps": 1_000_000, "points": 2}


def hold(seconds: float) -> None:
    """Let time pass to observe that something does NOT happen (the assertion follows, on the state)."""
    time.sleep(seconds)


@pytest.fixture
def one_at_full_speed() -> Iterator[Training]:
    """Workers that train one run at full speed at a time."""
    workers = Training(Settings(training_processes=0, max_running_runs=1))
    yield workers
    workers.close()


def blocking(make_config: MakeConfig, make_run: MakeRun, workers: Training, wait_until: WaitUntil) -> Run:
    """A full-speed run that takes `workers`' only full-speed turn until it is stopped."""
    blocker = make_run(make_config(**ENDLESS), workers=workers)
    wait_until(lambda: blocker.status == "running", 5, "the blocking run to start")
    return blocker


def ended_with(run: Run, wait_until: WaitUntil, status: str, timeout: float = 10.0) -> None:
    """Wait for the run to end, then check how."""
    wait_until(lambda: run.ended, timeout, f"run to end as {status}")
    assert run.status == status, run.message


def test_statuses_go_queued_running_finished(
    make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, one_at_full_speed: Training
) -> None:
    """A full-speed run waits as queued, saying why, while the full-speed turns are taken, runs once one is free,
    and finishes with every step recorded."""
    blocker = blocking(make_config, make_run, one_at_full_speed, wait_until)
    run = make_run(make_config(steps=30), workers=one_at_full_speed)
    assert run.status == "queued"
    hold(0.2)
    assert run.status == "queued" and run.history.count == 0 and run.started_at is None
    assert run.message == "waiting: 1 full-speed run trains (at most 1 at once); next in line"

    blocker.stop()
    wait_until(lambda: run.status != "queued", 5, "a worker takes it")
    assert run.started_at is not None
    ended_with(run, wait_until, "finished")
    assert run.history.count == 30 and run.latest is not None and run.latest.step == 29
    assert run.message is None
    assert run.ended_at is not None and run.started_at <= run.ended_at


def test_finished_run_keeps_the_curve_of_its_final_weights(make_config: MakeConfig, make_run: MakeRun) -> None:
    """After the last step the run's curve is the cubic at the last updated weights."""
    run = make_run(make_config(steps=200))
    run.join(10)
    assert run.status == "finished" and run.latest is not None and run.curve is not None
    np.testing.assert_allclose(run.curve, np.polyval(run.latest.updated[::-1], run.curve_x), rtol=1e-12, atol=1e-12)


def test_pause_holds_the_step_count(make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil) -> None:
    """A full-speed run says `paused` once its worker holds it, with the step it holds on already recorded and
    its graph captured: from then on it takes no step."""
    run = make_run(make_config(**ENDLESS, engine="torch-autograd"))
    wait_until(lambda: run.history.count > 100, 5, "some steps")
    run.pause()
    assert run.status == "running", "not paused until its worker holds it"
    wait_until(lambda: run.status == "paused", 5, "paused")
    held = run.history.count
    assert run.graph_values is not None and run.graph_values["step"] == held - 1, "it holds on a step with its graph"
    hold(0.3)
    assert run.history.count == held and run.status == "paused"


def test_a_pause_that_waits_answers_once_the_run_holds(
    make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil
) -> None:
    """Asked to wait, pause returns with the run paused, its last step in."""
    run = make_run(make_config(**ENDLESS, pace=200))
    wait_until(lambda: run.history.count > 10, 5, "some steps")
    run.pause(wait=5)
    assert run.status == "paused"
    held = run.history.count
    hold(0.2)
    assert run.history.count == held


def test_a_held_run_is_queued_saying_why_and_its_worker_told_in_order(
    make_config: MakeConfig, make_run: MakeRun
) -> None:
    """Held by the server, a running run is queued with the reason at once and its worker is told; a report the
    worker sent before it heard does not undo it; admitted, it runs again; a paused run is neither held nor
    admitted. (That a held run takes no steps, and goes on from its own, is tested with real workers in
    tests/training/test_trainer.py and tests/runs/test_training.py.)"""
    run = make_run(make_config(**ENDLESS, pace=200), start=False)
    sent: list[Command] = []
    assert run.place(sent.append) and run.status == "running"
    assert run.hold("waiting: the server fell behind")
    assert run.status == "queued" and run.held and run.message == "waiting: the server fell behind"
    assert [(c.name, c.seq) for c in sent] == [("hold", 1)]
    run.apply(StatusReport(run.id, "running", 0, None, 1e-4, False))  # sent before the worker heard
    assert run.status == "queued"
    run.apply(StatusReport(run.id, "queued", 1, None, 1e-4, False))
    assert run.admit() and run.status == "running" and run.message is None and not run.held
    assert [(c.name, c.seq) for c in sent][-1] == ("admit", 2)
    run.pause()
    assert run.status == "running" and not run.held, "paused once its worker says it holds"
    assert not run.hold("waiting") and not run.admit(), "a run being paused is neither held nor admitted"
    run.apply(StatusReport(run.id, "paused", 3, None, 1e-4, False))
    assert not run.hold("waiting") and not run.admit(), "only a running run is held, only a held one admitted"
    assert run.status == "paused" and [c.name for c in sent] == ["hold", "admit", "pause"]


def test_a_run_being_paused_takes_a_paused_runs_commands_and_ends_paused(
    make_config: MakeConfig, make_run: MakeRun
) -> None:
    """Until its worker says it holds, a run being paused stays `running`, yet takes what a paused run takes (a
    step, a resume) and refuses a second pause; the worker's word that it holds makes it `paused`, even when a
    step followed the pause; a resume before that word leaves it running, whatever the word says later."""
    run = make_run(make_config(**ENDLESS, pace=200), start=False)
    sent: list[Command] = []
    assert run.place(sent.append)
    run.pause()
    assert run.status == "running"
    with pytest.raises(RunStateError, match="paused"):
        run.pause()
    run.step()
    run.apply(StatusReport(run.id, "running", 1, None, 1e-4, False))  # a cost report from before it held
    assert run.status == "running"
    run.apply(StatusReport(run.id, "paused", 1, None, 1e-4, False))  # it holds (the step is yet to come)
    assert run.status == "paused" and [(c.name, c.seq) for c in sent] == [("pause", 1), ("step", 2)]

    run.resume()
    run.pause()
    run.resume()  # before the worker said it held: running, as it was
    run.apply(StatusReport(run.id, "paused", 4, None, 1e-4, False))
    assert run.status == "running"


def test_step_while_paused_takes_exactly_one(make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil) -> None:
    """Each step command on a paused run records exactly one more step and stays paused."""
    run = make_run(make_config(**ENDLESS))
    wait_until(lambda: run.history.count > 10, 5, "some steps")
    run.pause(wait=5)
    before = run.history.count

    run.step()
    wait_until(lambda: run.history.count == before + 1, 5, "one step")
    hold(0.2)
    assert run.history.count == before + 1 and run.status == "paused"

    run.step()
    run.step()
    wait_until(lambda: run.history.count == before + 3, 5, "two more steps")
    hold(0.2)
    assert run.history.count == before + 3
    assert [float(v) for v in run.history.params[before + 2]] == list(run.latest.params)  # type: ignore[union-attr]


def test_resume_then_stop(make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil) -> None:
    """A resumed run goes on from where it was; stop ends it as stopped before its last step."""
    run = make_run(make_config(**ENDLESS))
    wait_until(lambda: run.history.count > 10, 5, "some steps")
    run.pause(wait=5)
    paused_at = run.history.count
    run.resume()
    assert run.status == "running"
    wait_until(lambda: run.history.count > paused_at + 1000, 5, "progress after resume")

    run.stop()
    ended_with(run, wait_until, "stopped", 5)
    stopped_at = run.history.count
    assert stopped_at < 1_000_000 and run.ended_at is not None
    hold(0.1)
    assert run.history.count == stopped_at


def test_stop_while_paused(make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil) -> None:
    """A paused run can be stopped and ends as stopped without another step."""
    run = make_run(make_config(**ENDLESS))
    wait_until(lambda: run.history.count > 0, 5, "a step")
    run.pause(wait=5)
    count = run.history.count
    run.stop()
    ended_with(run, wait_until, "stopped", 5)
    assert run.history.count == count


def test_stop_while_queued(
    make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, one_at_full_speed: Training
) -> None:
    """A queued run that is stopped ends as stopped without ever starting."""
    blocking(make_config, make_run, one_at_full_speed, wait_until)
    run = make_run(make_config(), workers=one_at_full_speed)
    run.stop("not wanted")
    ended_with(run, wait_until, "stopped", 5)
    assert run.history.count == 0 and run.started_at is None and run.message == "not wanted"


def test_resuming_a_paused_queued_run_leaves_it_queued(
    make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, one_at_full_speed: Training
) -> None:
    """A run paused while queued and then resumed is waiting for a worker again (queued), not running."""
    blocker = blocking(make_config, make_run, one_at_full_speed, wait_until)
    run = make_run(make_config(), workers=one_at_full_speed)
    run.pause()
    assert run.status == "paused"
    run.resume()
    hold(0.2)
    assert run.history.count == 0 and run.started_at is None
    assert run.status == "queued", "a run without a worker is not running"
    blocker.stop()
    ended_with(run, wait_until, "finished")


def test_a_step_of_a_paused_queued_run_is_taken_at_once(
    make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil, one_at_full_speed: Training
) -> None:
    """A step asked of a run paused before any worker took it is taken at once (a single step costs next to
    nothing), and the run stays paused."""
    blocking(make_config, make_run, one_at_full_speed, wait_until)
    run = make_run(make_config(), workers=one_at_full_speed)
    run.pause()
    run.step()
    run.step()
    wait_until(lambda: run.history.count == 2, 5, "two steps")
    hold(0.2)
    assert run.history.count == 2 and run.status == "paused"


def test_commands_in_the_wrong_status_raise(make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil) -> None:
    """resume/step need a paused run, pause a queued or running one, and nothing steers an ended run."""
    run = make_run(make_config(**ENDLESS))
    wait_until(lambda: run.status == "running", 5, "running")
    for command in (run.resume, run.step):
        with pytest.raises(RunStateError, match="running"):
            command()
    run.pause(wait=5)
    with pytest.raises(RunStateError, match="paused"):
        run.pause()
    run.stop()
    ended_with(run, wait_until, "stopped", 5)

    finished = make_run(make_config(steps=5))
    ended_with(finished, wait_until, "finished")
    for command in (finished.pause, finished.resume, finished.step, finished.stop):
        with pytest.raises(RunStateError, match="finished"):
            command()
    assert finished.status == "finished"


def test_pace_slows_the_run(make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil) -> None:
    """At pace 100 steps/s a run does a few dozen steps in ~0.3 s, far fewer than the same run at full speed."""
    paced = make_run(make_config(**ENDLESS, pace=100))
    free = make_run(make_config(**ENDLESS))
    hold(0.3)
    paced_count, free_count = paced.history.count, free.history.count
    assert 1 <= paced_count <= 0.3 * 100 * 3
    assert free_count > 10 * paced_count
    wait_until(lambda: paced.history.count > paced_count, 5, "the paced run to go on")


def test_large_learning_rate_diverges(make_config: MakeConfig, make_run: MakeRun, wait_until: WaitUntil) -> None:
    """Learning rate 1e-5 on the lecture's problem ends as diverged, naming the learning rate; history is finite."""
    run = make_run(RunConfig(learning_rate=1e-5, seed=0))
    ended_with(run, wait_until, "diverged")
    assert run.message is not None and "learning rate" in run.message
    count = run.history.count
    assert 0 < count < 2000
    assert np.isfinite(run.history.loss[:count]).all()
    assert np.isfinite(run.history.params[:count]).all()
    assert np.isfinite(run.history.grads[:count]).all()
    assert run.history.loss[count - 1] > 1e6 * run.history.loss[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy reports the overflow it computes
def test_non_finite_first_update_is_never_recorded(make_run: MakeRun, wait_until: WaitUntil) -> None:
    """An update that overflows at once ends the run as diverged with no step recorded."""
    run = make_run(RunConfig(learning_rate=1e308, seed=0, points=50))
    ended_with(run, wait_until, "diverged")
    assert run.history.count == 0 and run.latest is None
    assert run.message is not None and "learning rate" in run.message


def broken_train(config: RunConfig, problem: Problem, curve_x: Array) -> StepStream:
    """A fake engine: three harmless steps, then an error."""
    for t in range(3):
        yield StepRecord(step=t, loss=1.0, params=(0.0,), grads=(0.0,), updated=(0.0,))
    raise RuntimeError("the engine broke")


BROKEN = EngineSpec(
    name="broken",
    description="Raises after three steps.",
    param_names=("w",),
    initial_params=lambda config: (0.0,),
    predict=lambda params, x: np.zeros_like(x),
    train=broken_train,
)


def test_engine_error_fails_the_run_and_frees_its_turn(
    make_config: MakeConfig,
    make_run: MakeRun,
    wait_until: WaitUntil,
    one_at_full_speed: Training,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An engine that raises ends its run as failed with the error in the message, and frees its turn."""
    monkeypatch.setitem(ENGINES, "broken", BROKEN)
    run = make_run(make_config(steps=10), engine=BROKEN, workers=one_at_full_speed)
    ended_with(run, wait_until, "failed")
    assert run.message == "RuntimeError: the engine broke"
    assert run.history.count == 3

    after = make_run(make_config(steps=5), workers=one_at_full_speed)
    ended_with(after, wait_until, "finished")


def test_divergence_message_grows_from_first_loss(make_run: MakeRun, wait_until: WaitUntil) -> None:
    """The diverged message names the step and suggests a learning rate ten times smaller."""
    run = make_run(RunConfig(learning_rate=1e-5, seed=0))
    ended_with(run, wait_until, "diverged")
    assert run.message is not None
    assert f"by step {run.history.count - 1}" in run.message
    assert "1e-06" in run.message
    assert math.isfinite(run.history.loss[0])
