"""A run's numbers to take away: the history as CSV, and the whole run as one JSON file, both streamed."""

from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from app.runs import messages
from app.runs.stored import AnyRun
from app.storage.frames import GraphFrame, unpack
from app.web import history_stream
from app.web.damaged import DAMAGED, damaged_as_error
from app.web.deps import RunDep
from app.web.history_stream import buffered, history_parts
from app.web.rate_limits import LimitRead

router = APIRouter(prefix="/api/runs", tags=["export"])

EXPORT_FORMAT = "autograd-live-run"
EXPORT_VERSION = 1


def _download(body: Iterator[bytes], media_type: str, filename: str) -> StreamingResponse:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(body, media_type=media_type, headers=headers)


@router.get("/{run_id}/history.csv", response_class=Response, responses=DAMAGED)
def history_csv(run: RunDep, _: LimitRead) -> Response:
    """Every recorded step as a row: step, loss, each weight, each gradient (columns grad_<name>)."""
    with damaged_as_error():
        run.history.check()
    return _download(history_stream.history_csv(run.history), "text/csv", f"run-{run.id}-history.csv")


@router.get("/{run_id}/export", responses=DAMAGED)
def export_run(run: RunDep, _: LimitRead) -> Response:
    """The whole run in one file: its config and status, every step, its last graph, and the graphs of the framed
    steps kept for replay (`graph_frames`, GraphValues by step, with every shape they have in `graph_shapes`)."""
    count = run.history.count  # the steps exported: a live run records more meanwhile
    with damaged_as_error():
        run.history.check()
        frames, shapes = run.kept_graphs()
        graph = {"graph": run.graph, "graph_values": run.graph_values, "graph_shapes": shapes}
    head: dict[str, Any] = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "run": messages.summary(run)}
    return _download(_export(run, count, head, graph, frames), "application/json", f"run-{run.id}.json")


def _export(
    run: AnyRun, count: int, head: dict[str, Any], graph: dict[str, Any], frames: list[GraphFrame]
) -> Iterator[bytes]:
    """The export's JSON (orjson, as the wire), its history and frames written a piece at a time."""

    def parts() -> Iterator[bytes]:
        yield orjson.dumps(head)[:-1] + b',"history":'
        yield from history_parts(run.history, 0, count, orjson.dumps)
        yield b"," + orjson.dumps(graph)[1:-1] + b',"graph_frames":['
        for i, frame in enumerate(frames):
            yield (b"," if i else b"") + unpack(frame.data)  # the stored JSON, as it is
        yield b"]}"

    return buffered(parts())
