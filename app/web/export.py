"""A run's numbers to take away: the history as CSV, and the whole run as one JSON file."""

import csv
import io
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from app.runs import messages
from app.runs.viewer import dumps
from app.storage.frames import unpack
from app.web.deps import RunDep
from app.web.rate_limits import LimitRead

router = APIRouter(prefix="/api/runs", tags=["export"])

EXPORT_FORMAT = "autograd-live-run"
EXPORT_VERSION = 1


def _download(body: str | bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{run_id}/history.csv", response_class=Response)
def history_csv(run: RunDep, _: LimitRead) -> Response:
    """Every recorded step as a row: step, loss, each weight, each gradient (columns grad_<name>)."""
    history = run.history
    n = history.count
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "loss", *history.param_names, *(f"grad_{name}" for name in history.param_names)])
    # repr-exact floats: the CSV reads back to the very numbers the run recorded.
    for step, loss, params, grads in zip(
        range(n), history.loss[:n].tolist(), history.params[:n].tolist(), history.grads[:n].tolist(), strict=True
    ):
        writer.writerow([step, repr(loss), *map(repr, params), *map(repr, grads)])
    return _download(out.getvalue(), "text/csv", f"run-{run.id}-history.csv")


@router.get("/{run_id}/export")
def export_run(run: RunDep, _: LimitRead) -> Response:
    """The whole run in one file: its config and status, every step, its last graph, and the graphs of the framed
    steps kept for replay (`graph_frames`, GraphValues by step, with every shape they have in `graph_shapes`)."""
    frames, shapes = run.kept_graphs()
    body: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "run": messages.summary(run),
        "history": run.history.columns(),
        "graph": run.graph,
        "graph_values": run.graph_values,
        "graph_shapes": shapes,
        "graph_frames": [orjson.Fragment(unpack(frame.data)) for frame in frames],  # the stored JSON, as it is
    }
    return _download(dumps(body), "application/json", f"run-{run.id}.json")
