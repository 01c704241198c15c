"""History, CSV and export streamed a chunk at a time: byte for byte what was built whole before, for a live run
and a stored one, and GET /history in pages."""

from __future__ import annotations

import csv
import io
import time
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest

from app.config import Settings
from app.runs import messages
from app.runs.run import Run
from app.runs.stored import StoredRun
from app.runs.viewer import dumps
from app.schemas import RunHistory
from app.storage.frames import unpack
from app.storage.schema import CHUNK_STEPS
from app.web.api import MAX_HISTORY_PAGE

if TYPE_CHECKING:
    from tests.conftest import RestRuns, WaitUntil
    from tests.web.conftest import LiveServer

STEPS = 2 * CHUNK_STEPS + 300  # three chunks, the last one short


@pytest.fixture(scope="module")
def server(serve: Any) -> LiveServer:
    """A real server that stores its runs, flushing often."""
    return serve(Settings(max_steps=10_000, flush_interval=0.05))  # type: ignore[no-any-return]


@pytest.fixture
def rest(rest: RestRuns) -> RestRuns:
    """Runs of 24 points from seed 5 unless a test says otherwise."""
    return rest.with_defaults(points=24, seed=5)


def whole_history(columns: dict[str, object]) -> bytes:
    """GET /history as it was built before: the whole response model, serialized at once."""
    return RunHistory.model_validate(columns).model_dump_json().encode()


def whole_csv(columns: dict[str, Any], names: list[str]) -> bytes:
    """GET /history.csv as it was built before: every row into one string."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "loss", *names, *(f"grad_{name}" for name in names)])
    for i, step in enumerate(columns["step"]):
        params = [repr(columns["params"][name][i]) for name in names]
        grads = [repr(columns["grads"][name][i]) for name in names]
        writer.writerow([step, repr(columns["loss"][i]), *params, *grads])
    return out.getvalue().encode()


def whole_export(run: Run | StoredRun, columns: dict[str, object]) -> bytes:
    """GET /export as it was built before: one dict, one orjson call."""
    frames, shapes = run.kept_graphs()
    body = {
        "format": "autograd-live-run",
        "version": 1,
        "run": messages.summary(run),
        "history": columns,
        "graph": run.graph,
        "graph_values": run.graph_values,
        "graph_shapes": shapes,
        "graph_frames": [orjson.Fragment(unpack(frame.data)) for frame in frames],
    }
    return dumps(body).encode()


def check_byte_for_byte(client: httpx.Client, run: Run | StoredRun, columns: dict[str, Any]) -> None:
    """History, CSV and export answer, streamed (no length known up front), exactly the bytes the whole-built
    answers had."""
    history = client.get(f"/api/runs/{run.id}/history")
    assert history.status_code == 200 and history.headers["content-type"] == "application/json"
    assert history.content == whole_history(columns)
    table = client.get(f"/api/runs/{run.id}/history.csv")
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    assert table.content == whole_csv(columns, list(run.param_names))
    exported = client.get(f"/api/runs/{run.id}/export")
    assert exported.headers["content-disposition"] == f'attachment; filename="run-{run.id}.json"'
    assert exported.content == whole_export(run, columns)
    for answer in (history, table, exported):
        assert "content-length" not in answer.headers


def test_a_stored_run_streams_the_bytes_built_whole_before(
    server: LiveServer, client: httpx.Client, rest: RestRuns, wait_until: WaitUntil
) -> None:
    """An ended run, read back from the store chunk by chunk, answers what its live history would have."""
    run_id = rest.create(client, engine="torch-autograd", steps=STEPS)["id"]
    live = server.app.state.manager.get(run_id)
    assert isinstance(live, Run)
    wait_until(lambda: live.ended, 30, "the run to end")
    columns = live.history.columns()
    server.app.state.manager.flush()
    stored = server.app.state.manager.get(run_id)
    assert isinstance(stored, StoredRun)
    check_byte_for_byte(client, stored, columns)


def test_a_live_run_streams_its_history_from_memory_the_same_way(
    server: LiveServer, client: httpx.Client, rest: RestRuns, wait_until: WaitUntil
) -> None:
    """A paused run's in-memory history, read in chunks, answers what the whole-built answer had."""
    run_id = rest.create(client, engine="tiny-autograd", steps=10_000)["id"]
    run = server.app.state.manager.get(run_id)
    assert isinstance(run, Run)
    wait_until(lambda: run.history.count > STEPS, 30, "steps over two chunks")
    assert client.post(f"/api/runs/{run_id}/pause", headers=rest.steering(run_id)).status_code == 200
    wait_until(lambda: run.status == "paused", 5, "the pause")
    time.sleep(0.2)  # lets the step in flight when the pause came end
    check_byte_for_byte(client, run, run.history.columns())
    client.post(f"/api/runs/{run_id}/stop", headers=rest.steering(run_id))


def test_history_pages_put_back_together_are_the_whole(
    server: LiveServer, client: httpx.Client, rest: RestRuns
) -> None:
    """Pages of `limit` steps from `start` are slices of the whole history, across chunk edges; a page shorter
    than `limit` is the last; `start` at the end gives empty columns."""
    run_id = rest.finished(client, engine="numpy", steps=STEPS)["id"]
    server.app.state.manager.flush()
    whole = client.get(f"/api/runs/{run_id}/history").json()
    for start, limit in ((0, 1000), (1000, 1000), (1020, 10), (2000, 1000), (STEPS - 1, 5), (7, STEPS)):
        page = client.get(f"/api/runs/{run_id}/history", params={"start": start, "limit": limit}).json()
        stop = min(start + limit, STEPS)
        assert page["step"] == list(range(start, stop))
        assert page["loss"] == whole["loss"][start:stop]
        for kind in ("params", "grads"):
            assert page[kind] == {name: values[start:stop] for name, values in whole[kind].items()}
    empty = {"step": [], "loss": [], "params": {n: [] for n in "abcd"}, "grads": {n: [] for n in "abcd"}}
    for start in (STEPS, STEPS + 1, 2**53):  # at the end, or past it (a live run's end moves): an empty page
        assert client.get(f"/api/runs/{run_id}/history", params={"start": start}).json() == empty


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": -1}, "start"),
        ({"start": 2**53 + 1}, "start"),
        ({"start": "x"}, "start"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_HISTORY_PAGE + 1}, "limit"),
        ({"limit": 1.5}, "limit"),
    ],
)
def test_a_page_out_of_range_is_a_422_naming_start_or_limit(
    server: LiveServer, client: httpx.Client, rest: RestRuns, params: dict[str, Any], field: str
) -> None:
    """A negative start or one past any run's length, a limit of 0 or above the cap: 422 naming the parameter."""
    run_id = rest.finished(client, engine="numpy", steps=STEPS)["id"]
    answer = client.get(f"/api/runs/{run_id}/history", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["query", field]
    assert len(answer.text) < 1000


def test_a_long_history_comes_in_pieces(server: LiveServer, client: httpx.Client, rest: RestRuns) -> None:
    """The answer is streamed (no length known up front), in several pieces rather than one built whole."""
    run_id = rest.finished(client, engine="numpy", steps=10_000)["id"]
    server.app.state.manager.flush()
    for path in ("history", "history.csv", "export"):
        with client.stream("GET", f"/api/runs/{run_id}/{path}") as answer:
            assert answer.status_code == 200
            assert "content-length" not in answer.headers
            assert answer.headers["transfer-encoding"] == "chunked"
            assert len(list(answer.iter_raw())) > 1, path
