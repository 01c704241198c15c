"""Taking in a run exported from this or another server, to replay and compare it here."""

import itertools
from datetime import datetime
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs.manager import ConfigError
from app.storage.frames import GraphFrame, pack, save_frames, save_shapes, stride_for
from app.storage.store import RunRecord, RunStore, Steps
from app.web.api import info
from app.web.deps import ManagerDep, SettingsDep, field_error
from app.web.export import EXPORT_FORMAT, EXPORT_VERSION

router = APIRouter(prefix="/api/runs", tags=["export"])
ENDED_STATUSES = {"finished", "stopped", "failed", "diverged", "interrupted"}


class ExportedRun(BaseModel):
    """The file GET /api/runs/{id}/export gives."""

    format: str = Field(pattern=f"^{EXPORT_FORMAT}$")
    version: int = Field(ge=1, le=EXPORT_VERSION)
    run: dict[str, Any]
    history: dict[str, Any]
    graph: dict[str, Any] | None = None
    graph_values: dict[str, Any] | None = None
    # The graphs kept for replay (absent from files exported before they were): GraphValues by step, and shapes.
    graph_frames: list[dict[str, Any]] = Field(default_factory=list)
    graph_shapes: dict[str, dict[str, Any]] = Field(default_factory=dict)


def get_store(request: HTTPConnection) -> RunStore:
    """The app's run store."""
    return request.app.state.store  # type: ignore[no-any-return]


def _graph_frames(exported: ExportedRun, count: int, cap: int) -> tuple[list[GraphFrame], dict[str, Any]]:
    """The exported graph frames, checked (each at a recorded step, in order, with a known shape) and thinned
    evenly to this server's max_stored_frames; and the shapes they need."""
    shapes = dict(exported.graph_shapes)
    if exported.graph is not None:
        shapes.setdefault(str(exported.graph.get("signature")), exported.graph)
    if any(shape.get("signature") != signature for signature, shape in shapes.items()):
        raise field_error("graph_shapes", "every shape must be filed under its own signature", "import")
    steps = [step for values in exported.graph_frames if isinstance(step := values.get("step"), int)]
    if len(steps) < len(exported.graph_frames) or not all(0 <= step < count for step in steps):
        raise field_error("graph_frames", f"every graph frame needs a step of the history (0 to {count - 1})", "import")
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise field_error("graph_frames", "the graph frames must come in order of their steps, one per step", "import")
    if unknown := {str(values.get("signature")) for values in exported.graph_frames} - shapes.keys():
        raise field_error("graph_frames", f"graph frames of shapes not in graph_shapes: {sorted(unknown)}", "import")
    stride = stride_for(len(steps), cap)
    frames = [
        GraphFrame(seq, values["step"], values["signature"], pack(values))
        for seq, values in enumerate(exported.graph_frames)
        if cap > 0 and seq % stride == 0
    ]
    needed = {frame.signature for frame in frames}
    return frames, {signature: shape for signature, shape in shapes.items() if signature in needed}


def _columns(history: dict[str, Any], names: tuple[str, ...]) -> Steps:
    """The history's columns as arrays, every column the same length and every number finite."""
    try:
        loss = np.asarray(history["loss"], dtype=np.float64)
        params = np.asarray([history["params"][n] for n in names], dtype=np.float64).T.reshape(len(loss), len(names))
        grads = np.asarray([history["grads"][n] for n in names], dtype=np.float64).T.reshape(len(loss), len(names))
    except (KeyError, TypeError, ValueError) as error:
        raise field_error("history", f"the history's columns do not fit together: {error}", "import") from None
    if not (np.isfinite(loss).all() and np.isfinite(params).all() and np.isfinite(grads).all()):
        raise field_error("history", "the history holds numbers that are not finite", "import")
    return Steps(loss=loss, params=params, grads=grads)


@router.post("/import", status_code=status.HTTP_201_CREATED)
def import_run(
    exported: ExportedRun, manager: ManagerDep, settings: SettingsDep, store: Annotated[RunStore, Depends(get_store)]
) -> Any:
    """Take in an exported run under a new id: it is listed, opened, replayed and compared like any ended run."""
    run = exported.run
    config = RunConfig.model_validate(run.get("config", {}))
    engine = ENGINES[config.engine]
    names = tuple(run.get("param_names") or engine.names(config))
    if run.get("status") not in ENDED_STATUSES:
        raise field_error("run", f"only an ended run can be taken in, not one that is {run.get('status')!r}", "import")
    steps = _columns(exported.history, names)
    count = len(steps.loss)
    frames, shapes = _graph_frames(exported, count, settings.max_stored_frames)
    record = RunRecord(
        id=manager.new_id(),
        engine=engine.name,
        status=run["status"],
        message=run.get("message"),
        config=config.model_dump(mode="json"),
        param_names=names,
        created_at=datetime.fromisoformat(run["created_at"]),
        started_at=datetime.fromisoformat(run["started_at"]) if run.get("started_at") else None,
        ended_at=datetime.fromisoformat(run["ended_at"]) if run.get("ended_at") else None,
        steps_done=count,
        last_loss=float(steps.loss[-1]) if count else None,
        last_grads=tuple(steps.grads[-1].tolist()) if count else None,
        last_params=tuple(float(v) for v in run.get("params", {}).values()) or None,
    )
    graph = (exported.graph, exported.graph_values) if exported.graph else None
    try:
        adopted = manager.adopt(record, steps, graph)
    except ConfigError as error:
        raise field_error(error.field or "run", str(error), "import") from None
    if frames:
        try:
            with store.batch() as batch:  # after the run's row, which they refer to
                save_shapes(batch, adopted.id, shapes)
                save_frames(batch, adopted.id, frames)
        except Exception:
            manager.delete(adopted)  # all of the run or none of it
            raise
    return info(adopted)
