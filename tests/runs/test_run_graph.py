"""A run keeps the autograd graph of the steps that become frames, ready for the wire."""

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from app.run_config import RunConfig
from app.runs.history import GraphFrames
from app.runs.run import Run
from app.runs.training import Training

MakeRun = Callable[..., Run]
WaitUntil = Callable[..., None]
Captured = dict[str, dict[int, tuple[bytes, dict[str, Any]]]]  # run id → step → (GraphValues JSON, shape)


def finished(make_run: MakeRun, wait_until: WaitUntil, **config: object) -> Run:
    """A run of `config` (tiny data), waited for until it has ended."""
    run = make_run(RunConfig.model_validate({"points": 16, "seed": 0, **config}))
    wait_until(lambda: run.ended, what="the run to end")
    assert run.status == "finished", run.message
    return run


def test_torch_run_keeps_its_graph_and_the_backward_pass_of_a_framed_step(
    make_run: MakeRun, wait_until: WaitUntil
) -> None:
    """The cubic's graph (leaves a..d), and at the captured step: the order run and the gradients at the leaves."""
    run = finished(make_run, wait_until, engine="torch-autograd", steps=30)
    assert run.graph is not None and run.graph_values is not None
    leaves = sorted(n["label"] for n in run.graph["nodes"] if n["kind"] == "leaf")
    assert leaves == ["a", "b", "c", "d"]
    values = run.graph_values
    assert values["signature"] == run.graph["signature"]
    assert set(values["order"]) == {n["id"] for n in run.graph["nodes"] if n["kind"] != "constant"}
    step = values["step"]
    assert step == run.config.steps - 1  # the last step always becomes a frame
    recorded = dict(zip(run.param_names, run.history.grads[step], strict=True))
    for name, grad in values["leaf_grads"].items():
        assert grad == pytest.approx(recorded[name], rel=1e-12)


def test_tiny_autograd_run_has_a_graph_too(make_run: MakeRun, wait_until: WaitUntil) -> None:
    """tiny-autograd's own Tensor graph is captured like torch's."""
    tiny = finished(make_run, wait_until, engine="tiny-autograd", steps=5)
    assert tiny.graph is not None
    assert {n["name"] for n in tiny.graph["nodes"]} >= {"SumBackward0", "PowBackward0", "AccumulateGrad"}


@pytest.mark.parametrize("engine", ["numpy", "torch-tensors"])
def test_hand_derived_engines_draw_the_lectures_equations(
    engine: str, make_run: MakeRun, wait_until: WaitUntil
) -> None:
    """Without autograd, the graph is the lecture's equations, and its leaf gradients are torch-autograd's."""
    hand = finished(make_run, wait_until, engine=engine, steps=12)
    auto = finished(make_run, wait_until, engine="torch-autograd", steps=12)
    assert hand.graph is not None and hand.graph_values is not None and auto.graph_values is not None
    labels = {n["label"] for n in hand.graph["nodes"]}
    assert {"dL/dŷ = 2(ŷ − y)", "∂L/∂b = Σ dL/dŷ·x", "a", "d", "x³"} <= labels
    assert list(hand.graph_values["order"][:2]) == ["n0", "n1"]  # the loss, then dL/dŷ, then the four sums
    assert hand.graph_values["step"] == auto.graph_values["step"] == 11
    for name, grad in hand.graph_values["leaf_grads"].items():
        assert grad == pytest.approx(auto.graph_values["leaf_grads"][name], rel=1e-9)


def test_capturing_frames_changes_no_number(make_run: MakeRun, wait_until: WaitUntil) -> None:
    """A run that captures at every step records exactly what one that captures at few steps records."""
    config = {"engine": "torch-nn", "steps": 25}
    often = make_run(RunConfig.model_validate({"points": 16, "seed": 3, **config}), detail_interval=0.0)
    rarely = make_run(RunConfig.model_validate({"points": 16, "seed": 3, **config}), detail_interval=60.0)
    wait_until(lambda: often.ended and rarely.ended, what="both runs to end")
    assert often.history.columns() == rarely.history.columns()


def test_a_step_taken_by_hand_while_paused_is_captured(make_run: MakeRun, wait_until: WaitUntil) -> None:
    """The lecturer's single steps always carry their graph, so the stepper shows the step just taken."""
    run = make_run(RunConfig(engine="torch-autograd", points=16, seed=0, steps=100_000), detail_interval=60.0)
    wait_until(lambda: run.history.count > 3, what="a few steps")
    run.pause(wait=5)
    for _ in range(3):
        before = run.history.count
        run.step()
        wait_until(lambda before=before: run.history.count == before + 1, what="the single step")
        wait_until(lambda before=before: (run.graph_values or {}).get("step") == before, what="its graph")
    assert run.status == "paused"


@pytest.mark.parametrize("engine", ["torch-autograd", "numpy"])  # an autograd graph; the lecture's equations
def test_a_paused_run_holds_on_a_step_with_its_graph_and_curve(
    make_run: MakeRun, wait_until: WaitUntil, engine: str
) -> None:
    """A pause after a step that was not captured takes one more step that is: a paused run's weights, curve and
    graph are all of the step it holds on, so every view of it shows the same step."""
    # Only the first step is captured (and the last two, never reached): every later one goes without.
    run = make_run(RunConfig(engine=engine, points=16, seed=0, steps=100_000), detail_interval=60.0)
    wait_until(lambda: run.history.count > 20, what="steps past the captured one")
    run.pause()
    # Never true while it runs on (the graph stays at step 0): only once it holds on a captured step.
    wait_until(lambda: (run.graph_values or {}).get("step") == run.history.count - 1, what="a step with its graph")
    held = run.history.count
    assert run.latest is not None and run.latest.step == held - 1
    assert run.curve is not None and run.latest.curve is not None
    assert run.curve.tolist() == run.latest.curve.tolist()  # the curve of that very step
    run.step()  # a step by hand is captured too, and the pause holds after it
    wait_until(lambda: run.history.count == held + 1, what="the single step")
    wait_until(lambda: (run.graph_values or {}).get("step") == held, what="its graph")
    assert run.status == "paused"


def capturing_every_step(
    make_run: MakeRun, training: Training, wait_until: WaitUntil, cap: int, **config: object
) -> Run:
    """A run that captures the graph of every step, keeping at most `cap` of them, waited for until it ends."""
    run = make_run(RunConfig.model_validate({"points": 16, "seed": 4, **config}), start=False, detail_interval=0.0)
    run.graph_frames = GraphFrames(cap)
    training.submit(run)
    wait_until(lambda: run.ended, what="the run to end")
    assert run.status == "finished", run.message
    return run


def test_the_graph_at_any_step_is_the_one_captured_at_the_nearest_kept_step(
    make_run: MakeRun, wait_until: WaitUntil, captured: Captured, training: Training
) -> None:
    """150 captures thinned to at most 16 kept: at every step, the graph of the nearest kept step at or before it
    (or the latest), byte for byte the JSON it had when captured, with the step of the next kept one."""
    run = capturing_every_step(make_run, training, wait_until, 16, engine="torch-autograd", steps=150)
    mine = captured[run.id]
    assert sorted(mine) == list(range(150))
    state = run.graph_frames.state
    kept = [frame.step for frame in state.frames]
    assert 8 < len(kept) <= 16 and kept[0] == 0
    assert len(set(kept[i + 1] - kept[i] for i in range(len(kept) - 1))) == 1  # evenly spaced
    marks = [*kept, 149]  # the latest capture is always found too
    for step in range(150):
        found = run.graph_at(step)
        assert found is not None
        nearest = max(mark for mark in marks if mark <= step)
        assert found.step == nearest
        assert found.values == mine[nearest][0]
        assert found.shape == mine[nearest][1]
        later = [mark for mark in marks if mark > nearest]
        assert found.next_step == (later[0] if later else None)


def test_the_dynamic_net_is_found_with_the_shape_it_had_at_that_step(
    make_run: MakeRun, wait_until: WaitUntil, captured: Captured, training: Training
) -> None:
    """The dynamic net draws a new order most steps: a past step's graph comes with that step's shape."""
    run = capturing_every_step(make_run, training, wait_until, 1000, engine="dynamic-net", steps=60)
    mine = captured[run.id]
    signatures = {shape["signature"] for _, shape in mine.values()}
    assert len(signatures) >= 2
    assert set(run.graph_frames.state.shapes) == signatures
    for step in range(60):
        found = run.graph_at(step)
        assert found is not None and found.step == step
        assert found.shape == mine[step][1]
        assert orjson.loads(found.values)["signature"] == found.shape["signature"]
