"""One run's Trainer, stepped by hand: when its next step is due (pace, pause, single steps, stop) and what it
reports."""

import time

import pytest

from app.run_config import RunConfig
from app.training.messages import Command, Start, StatusReport, Stepped
from app.training.trainer import COST_WEIGHT, Trainer


def trainer(**fields: object) -> Trainer:
    """A trainer of a small numpy run, watched, capturing every step it may."""
    config = RunConfig.model_validate({"steps": 50, "points": 8, "seed": 0, **fields})
    return Trainer(Start("t", config.engine, config.model_dump(), 10, 0.0, watched=True))


def stepped(reports: list[object]) -> list[Stepped]:
    """The steps among a trainer's reports."""
    return [report for report in reports if isinstance(report, Stepped)]


def test_a_paced_run_is_due_one_interval_after_the_last_step() -> None:
    """At 10 steps/s, the step after step t is due 0.1 s after step t's time, counted from the pace's origin."""
    run = trainer(pace=10)
    now = time.monotonic()
    assert run.due(now) == now  # the first step goes at once
    run.advance(True)
    first = run.due(time.monotonic())
    assert first is not None
    run.advance(True)
    second = run.due(time.monotonic())
    assert second is not None and second - first == pytest.approx(0.1)


def test_a_paused_run_is_due_only_for_the_steps_asked_of_it() -> None:
    """Paused: no step is due, until a step command (one each), and a stop is due at once."""
    run = trainer()
    run.advance(True)
    run.apply(Command("t", "pause", 1))
    assert run.due(time.monotonic()) is None
    run.apply(Command("t", "step", 2))
    assert run.due(time.monotonic()) is not None
    assert len(stepped(run.advance(True))) == 1
    assert run.due(time.monotonic()) is None and run.status == "paused"
    run.apply(Command("t", "stop", 3))
    assert run.due(time.monotonic()) is not None
    reports = run.advance(True)
    assert stepped(reports) == [] and run.ended
    assert reports == [StatusReport("t", "stopped", 3, None, run.cost, False)]


def test_a_held_run_is_due_for_nothing_until_admitted_and_goes_on_from_its_step() -> None:
    """Held by the server, a run takes no step (a paused one is not held); admitted, it goes on at its pace from
    the step it was at; paused while held, it stays paused."""
    run = trainer(pace=10)
    run.advance(True)
    run.advance(True)
    run.apply(Command("t", "hold", 1))
    assert run.status == "queued" and run.due(time.monotonic()) is None
    time.sleep(0.15)  # more than a step's interval: it does not rush to catch up when it goes on
    run.apply(Command("t", "admit", 2))
    now = time.monotonic()
    assert run.status == "running" and run.due(now) == pytest.approx(now, abs=0.05)
    (step,) = stepped(run.advance(True))
    assert step.record.step == 2
    run.apply(Command("t", "hold", 3))
    run.apply(Command("t", "pause", 4))
    assert run.status == "paused"
    run.apply(Command("t", "hold", 5))
    assert run.status == "paused", "only a running run is held"
    run.apply(Command("t", "admit", 6))
    assert run.status == "paused", "only a held run is admitted"


def test_a_pause_after_a_step_without_its_graph_takes_one_more_that_has_it() -> None:
    """A paused run holds on a step with its graph: if the last step had none, one more is due, and it has one."""
    run = trainer(engine="torch-autograd")
    run.detail_interval = 3600.0  # only the first step (and the last two) become frames
    run.advance(True)
    run.advance(True)  # no frame: no graph
    assert run.apply(Command("t", "pause", 1)) is None, "not paused yet: the step it holds on is still to come"
    assert run.report().status == "running"
    assert run.due(time.monotonic()) is not None
    reports = run.advance(True)
    (extra,) = stepped(reports)
    assert extra.values is not None and extra.values["step"] == extra.record.step == 2
    assert reports[-1] == StatusReport("t", "paused", 1, None, run.cost, False), "paused, after that step"
    assert run.due(time.monotonic()) is None
    assert run.apply(Command("t", "pause", 2)) == StatusReport("t", "paused", 2, None, run.cost, False)


def test_a_pause_after_a_step_with_its_graph_holds_at_once() -> None:
    """A run whose last step carried its graph is paused by the command itself, and says so."""
    run = trainer(engine="torch-autograd")
    run.advance(True)  # the first step is always captured
    assert run.apply(Command("t", "pause", 1)) == StatusReport("t", "paused", 1, None, run.cost, False)
    assert run.due(time.monotonic()) is None


def test_a_frame_without_time_for_its_graph_is_reported_thinned() -> None:
    """When the worker has no time for a graph, the frame-worthy step goes without one and the run says so."""
    run = trainer(engine="torch-autograd")
    (first,) = stepped(run.advance(False))  # the first step is always captured
    assert first.shape is not None and first.values is not None and not run.thinned
    (second,) = stepped(run.advance(False))
    assert second.values is None and second.record.curve is not None and run.thinned
    (third,) = stepped(run.advance(True))
    assert third.values is not None and third.shape is None, "the shape is sent only when it changes"
    assert not run.thinned


def test_the_run_ends_finished_after_its_last_step_with_its_cost_measured() -> None:
    """Every step once, then `finished`, with a positive cost per step."""
    run = trainer(steps=5)
    steps: list[int] = []
    while not run.ended:
        steps += [report.record.step for report in stepped(run.advance(True))]
    assert steps == [0, 1, 2, 3, 4] and run.status == "finished"
    assert run.report().cost is not None and run.report().cost > 0  # type: ignore[operator]


def test_the_first_plain_step_replaces_the_captured_steps_stand_in_cost() -> None:
    """A captured first step's cost stands in until a step without a graph is measured, which replaces it whole
    (a graph costs several steps: averaging it away would keep the run asking too much for seconds)."""
    run = trainer(engine="torch-autograd", steps=100)
    run.advance(True)  # the first step, captured
    captured_cost = run.cost
    run.advance(False)  # a frame without its graph: a plain step
    plain = run.took
    assert run.cost == plain and captured_cost is not None and plain < captured_cost
    run.advance(True)  # captured again: the cost stays a plain step's
    assert run.cost == plain
    run.advance(False)
    assert run.cost == pytest.approx(plain + COST_WEIGHT * (run.took - plain))


def test_a_step_pytorch_refuses_ends_the_run_failed_with_its_error_and_the_lectures_why() -> None:
    """torch-autograd without torch.no_grad(): the run ends failed at its first step, the message PyTorch's error
    as Python names it, then the lecture's reason for no_grad."""
    run = trainer(engine="torch-autograd", no_grad=False)
    reports: list[object] = []
    for _ in range(3):
        reports += [] if run.ended else run.advance(True)
    assert run.ended and run.status == "failed" and stepped(reports) == []
    final = [report for report in reports if isinstance(report, StatusReport)][-1]
    assert final.status == "failed"
    assert final.message is not None
    assert final.message.startswith("RuntimeError: a leaf Variable that requires grad is being used in an in-place")
    assert "torch.no_grad()" in final.message and "requires_grad=True" in final.message
