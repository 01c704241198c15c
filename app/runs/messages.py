"""Builds the protocol's messages from a run's state (app/protocol.py has their shapes)."""

from datetime import datetime
from typing import cast

import numpy as np

from app.engines.base import StepRecord
from app.graph.model import GraphNow
from app.protocol import Frame, GradNorms, GraphShape, PresenterMessage, RunSummary, Series, Snapshot, StatusMessage
from app.runs.history import History
from app.runs.run import RunStatus
from app.runs.stored import AnyRun, StoredHistory  # a live run or a stored one: both are read the same way
from app.storage.records import interrupted_message


def _named(names: tuple[str, ...], values: tuple[float, ...] | None) -> dict[str, float]:
    # None or empty: not recorded (a row stored before the weights after the last step were kept).
    return dict(zip(names, values, strict=True)) if values else {}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _weights(run: AnyRun, record: StepRecord | None) -> dict[str, dict[str, float]]:
    """The weights after the record's update and the gradient it used (empty before the first step)."""
    names = run.param_names
    if record is None:
        return {"params": _named(names, run.engine.initial_params(run.config)), "grads": {}}
    return {"params": _named(names, record.updated), "grads": _named(names, record.grads)}


def summary(run: AnyRun) -> RunSummary:
    """The run's config, status and latest numbers."""
    latest = run.latest
    return {
        "id": run.id,
        "engine": run.engine.name,
        "status": run.status,
        "message": run.message,
        "config": run.config.model_dump(),
        "param_names": list(run.param_names),
        "step": latest.step if latest else -1,
        "steps_done": run.history.count,
        "loss": latest.loss if latest else None,
        **_weights(run, latest),  # type: ignore[typeddict-item]
        "created_at": run.created_at.isoformat(),
        "started_at": _iso(run.started_at),
        "ended_at": _iso(run.ended_at),
        "class_code": run.class_code,
        "student": run.student,
    }


FLOAT32_MAX = float(np.finfo(np.float32).max)


def curve_numbers(curve: np.ndarray | None) -> list[float]:
    """A prediction curve at float32's precision (7 significant digits, more than a chart draws), numbers past
    float32's range at its largest (off any chart, and never a null): a float32 array, which orjson writes with
    float32's shortest digits, half the bytes and half the compression time of float64's in every frame."""
    if curve is None:
        return []
    clipped = np.minimum(curve, FLOAT32_MAX)  # two ufuncs: np.clip's wrappers cost as much again, every frame
    np.maximum(clipped, -FLOAT32_MAX, out=clipped)
    return cast("list[float]", clipped.astype(np.float32))


GRAD_NORM_POINTS = 1000  # the most steps a snapshot's gradient lengths cover: a chart's width, not a long run's all


def grad_norms(history: History | StoredHistory, start: int, stop: int, points: int = GRAD_NORM_POINTS) -> GradNorms:
    """The gradient's length (the hypot of every gradient the run records: a network's are norms per tensor) at
    steps start..stop-1, every step or at most `points` of them evenly with the last one; null where not finite."""
    if stop <= start:
        return {"steps": [], "norms": []}
    wanted = np.unique(np.append(np.arange(start, stop, -(-(stop - start) // points)), stop - 1))
    rows, first = [], start
    for chunk in history.column("grads", start, stop):  # only the wanted rows of each chunk are measured
        inside = wanted[(wanted >= first) & (wanted < first + len(chunk))]
        rows.append(np.abs(chunk[inside - first]))
        first += len(chunk)
    picked = np.concatenate(rows) if rows else np.empty((0, 0))
    with np.errstate(over="ignore"):  # a length past float64's range is sent as null
        lengths = np.hypot.reduce(picked, axis=1) if picked.size else np.zeros(len(picked))
    norms: list[float | None] = [float(v) if np.isfinite(v) else None for v in lengths]
    return {"steps": wanted[: len(norms)].tolist(), "norms": norms}


def snapshot(run: AnyRun, since: int, record: StepRecord | None, graph: GraphNow | None = None) -> Snapshot:
    """Everything to draw the run as of `record`, with the losses from step `since` on, and `graph` (by default
    the run's latest)."""
    upto = record.step + 1 if record else 0
    shape, values = graph or run.graph_now or (None, None)
    drawing = run.drawing
    since = min(max(since, 0), upto)
    return {
        "type": "snapshot",
        "run": summary(run),
        "view": {"kind": drawing.view, "x_label": drawing.x_label, "y_label": drawing.y_label},
        "data": Series(x=drawing.data_x.tolist(), y=drawing.data_y.tolist()),
        "truth": Series(x=drawing.grid.tolist(), y=drawing.truth.tolist()),
        "curve_x": run.curve_x.tolist(),
        "loss_from": since,
        "loss": run.history.losses(since, upto),
        "step": upto - 1,
        **_weights(run, record),  # type: ignore[typeddict-item]
        "grad_norms": grad_norms(run.history, since, upto),
        "curve": curve_numbers(run.curve),
        "graph": shape,
        "graph_values": values,
        "presenter": run.presenter,
    }


def frame(
    run: AnyRun,
    start: int,
    record: StepRecord,
    rate: float,
    with_graph: bool,
    graph: GraphNow | None = None,
    status: RunStatus | None = None,
    with_values: bool = True,
) -> Frame:
    """The losses of steps start..record.step with the weights and gradient of `record`, the curve, the values of
    `graph` (by default the run's latest), and its shape too when `with_graph` (it changed, or the viewer fell
    behind); `status` says what the run is if not what it says itself (`interrupted`, at shutdown); without
    `with_values`, graph_values is null (no graph was captured since the viewers' last frame)."""
    shape, values = graph or run.graph_now or (None, None)
    message: Frame = {
        "type": "frame",
        "status": status or run.status,
        "from": start,
        "loss": run.history.losses(start, record.step + 1),
        "step": record.step,
        **_weights(run, record),  # type: ignore[typeddict-item]
        "curve": curve_numbers(run.curve),
        "rate": rate,
        "graph_values": values if with_values else None,
        "thinned": run.thinned,
    }
    if with_graph and shape is not None:
        message["graph"] = cast(GraphShape, shape)
    return message


def interrupted(status: str, steps_done: int) -> StatusMessage:
    """The last message of a run the server stopped while it was `status`: `interrupted`, as the store keeps it."""
    message = interrupted_message(status, steps_done)
    return {"type": "status", "status": "interrupted", "message": message, "final": True}


def presenter(state: dict[str, object]) -> PresenterMessage:
    """What the lecturer shows: viewers who follow the lecturer move with it."""
    return {"type": "presenter", "state": state}


def status(run: AnyRun, final: bool) -> StatusMessage:
    """The run's status, and whether it is the last message."""
    return {"type": "status", "status": run.status, "message": run.message, "final": final}
