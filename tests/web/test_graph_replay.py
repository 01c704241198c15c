"""GET /api/runs/{id}/graph?step=N: the graph a replay shows at a step is the run's own capture at the nearest
kept step at or before it, byte for byte; 404 for an unknown run, 422 naming `step` for a bad one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest

from app.config import Settings
from app.runs.run import Run

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

WaitUntil = Callable[..., None]
Captured = dict[str, dict[int, tuple[bytes, dict[str, Any]]]]  # run id → step → (GraphValues JSON, shape)


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    return serve(Settings(max_steps=5000))


@pytest.fixture
def rest(rest: RestRuns) -> RestRuns:
    """Runs of 32 points from seed 3 unless a test says otherwise."""
    return rest.with_defaults(points=32, seed=3)


def live_run(server: LiveServer, run_id: str) -> Run:
    run = server.app.state.manager.get(run_id)
    assert isinstance(run, Run)
    return run


def check_answer(
    answer: httpx.Response, step: int, marks: list[int], mine: dict[int, tuple[bytes, dict[str, Any]]]
) -> None:
    """The answer for `step` is the capture at the nearest mark (a kept step, or the latest) at or before it, its
    JSON byte for byte, with the next mark's step."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = max(mark for mark in marks if mark <= step)
    later = [mark for mark in marks if mark > expected]
    assert (body["requested"], body["step"], body["next_step"]) == (step, expected, later[0] if later else None)
    values, shape = mine[expected]
    assert values in answer.content  # written as it was captured, not parsed and written again
    assert body["values"] == orjson.loads(values)
    assert body["shape"] == shape
    assert body["values"]["signature"] == body["shape"]["signature"]


def test_a_finished_run_answers_with_its_capture_at_the_nearest_kept_step(
    server: LiveServer, client: httpx.Client, rest: RestRuns, captured: Captured, wait_until: WaitUntil
) -> None:
    run_id = rest.create(client, engine="torch-autograd", steps=900, pace=1500)["id"]
    run = live_run(server, run_id)  # taken while it runs: once ended and stored, the server reads it back
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "finished", 20, "the run to end")
    kept = [frame.step for frame in run.graph_frames.state.frames]
    assert len(kept) >= 3, "too few frames to choose between"
    marks = sorted({*kept, 899})
    mine = captured[run_id]
    middle = (kept[1] + kept[2]) // 2
    for step in (0, 1, kept[1], kept[1] + 1, middle, kept[-1], 898, 899, 5000, 2**53):
        check_answer(client.get(f"/api/runs/{run_id}/graph", params={"step": step}), step, marks, mine)


def test_a_paused_run_answers_from_memory_up_to_its_latest_step(
    server: LiveServer, client: httpx.Client, rest: RestRuns, captured: Captured, wait_until: WaitUntil
) -> None:
    run_id = rest.create(client, engine="tiny-autograd", steps=5000, pace=300)["id"]
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["steps_done"] > 40, 20, "some steps")
    assert client.post(f"/api/runs/{run_id}/pause", headers=rest.steering(run_id)).status_code == 200
    run = live_run(server, run_id)
    wait_until(lambda: run.status == "paused", 5, "the pause")
    time.sleep(0.1)  # lets the step in flight when the pause came end
    state = run.graph_frames.state
    assert state.latest is not None
    latest = state.latest["step"]
    marks = sorted({frame.step for frame in state.frames} | {latest})
    for step in (0, latest // 2, latest):
        answer = client.get(f"/api/runs/{run_id}/graph", params={"step": step})
        check_answer(answer, step, marks, captured[run_id])
    client.post(f"/api/runs/{run_id}/stop", headers=rest.steering(run_id))


def test_an_unknown_run_is_404_and_a_bad_step_a_422_naming_it(client: httpx.Client, rest: RestRuns) -> None:
    assert client.get("/api/runs/nope/graph", params={"step": 3}).status_code == 404
    run_id = rest.create(client, engine="torch-nn", steps=5)["id"]
    for params in ({"step": -1}, {"step": "three"}, {"step": 1.5}, {"step": 10**30}, {}):
        answer = client.get(f"/api/runs/{run_id}/graph", params=params)
        assert answer.status_code == 422, params
        assert answer.json()["detail"][0]["loc"] == ["query", "step"]
