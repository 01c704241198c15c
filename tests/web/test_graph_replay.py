"""GET /api/runs/{id}/graph?step=N: the graph a replay shows at a step is the run's own capture at the nearest
kept step at or before it, byte for byte; 404 for an unknown run, 422 naming `step` for a bad one."""

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import httpx
import orjson
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.engines.base import StepRecord
from app.graph.model import BackwardTrace, Graph
from app.runs.run import Run

WaitUntil = Callable[..., None]
Captured = dict[str, dict[int, tuple[bytes, dict[str, Any]]]]  # run id → step → (GraphValues JSON, shape)


class Server(Protocol):
    """What the `serve` fixture returns."""

    app: FastAPI

    @property
    def http(self) -> str: ...


@pytest.fixture(scope="module")
def server(serve: Callable[..., Server]) -> Server:
    return serve(Settings(max_steps=5000))


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.http, timeout=10) as client:
        yield client


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    """Every graph the server's runs capture from now on (it serves from this process), as JSON the moment it was
    captured, with its shape."""
    seen: Captured = {}
    keep = Run._keep_graph

    def recording(self: Run, record: StepRecord, graph: Graph, trace: BackwardTrace | None) -> None:
        keep(self, record, graph, trace)
        assert self.graph is not None
        seen.setdefault(self.id, {})[record.step] = (orjson.dumps(self.graph_values), self.graph)

    monkeypatch.setattr(Run, "_keep_graph", recording)
    return seen


def started(client: httpx.Client, **config: Any) -> tuple[str, str]:
    answer = client.post("/api/runs", json={"points": 32, "seed": 3, **config})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["control_token"]


def live_run(server: Server, run_id: str) -> Run:
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
    server: Server, client: httpx.Client, captured: Captured, wait_until: WaitUntil
) -> None:
    run_id, _ = started(client, engine="torch-autograd", steps=900, pace=1500)
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "finished", 20, "the run to end")
    run = live_run(server, run_id)
    kept = [frame.step for frame in run.graph_frames.state.frames]
    assert len(kept) >= 3, "too few frames to choose between"
    marks = sorted({*kept, 899})
    mine = captured[run_id]
    middle = (kept[1] + kept[2]) // 2
    for step in (0, 1, kept[1], kept[1] + 1, middle, kept[-1], 898, 899, 5000, 2**53):
        check_answer(client.get(f"/api/runs/{run_id}/graph", params={"step": step}), step, marks, mine)


def test_a_paused_run_answers_from_memory_up_to_its_latest_step(
    server: Server, client: httpx.Client, captured: Captured, wait_until: WaitUntil
) -> None:
    run_id, token = started(client, engine="tiny-autograd", steps=5000, pace=300)
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["steps_done"] > 40, 20, "some steps")
    assert client.post(f"/api/runs/{run_id}/pause", headers={"X-Control-Token": token}).status_code == 200
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
    client.post(f"/api/runs/{run_id}/stop", headers={"X-Control-Token": token})


def test_an_unknown_run_is_404_and_a_bad_step_a_422_naming_it(client: httpx.Client) -> None:
    assert client.get("/api/runs/nope/graph", params={"step": 3}).status_code == 404
    run_id, _ = started(client, engine="torch-nn", steps=5)
    for params in ({"step": -1}, {"step": "three"}, {"step": 1.5}, {"step": 10**30}, {}):
        answer = client.get(f"/api/runs/{run_id}/graph", params=params)
        assert answer.status_code == 422, params
        assert answer.json()["detail"][0]["loc"] == ["query", "step"]
