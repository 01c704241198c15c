"""Taking in a run exported from this or another server, to replay and compare it here."""

from datetime import datetime
from typing import Any

import numpy as np
from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs.manager import ConfigError
from app.storage.store import RunRecord, Steps
from app.web.api import info
from app.web.deps import ManagerDep, field_error
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
def import_run(exported: ExportedRun, manager: ManagerDep) -> Any:
    """Take in an exported run under a new id: it is listed, opened, replayed and compared like any ended run."""
    run = exported.run
    config = RunConfig.model_validate(run.get("config", {}))
    engine = ENGINES[config.engine]
    names = tuple(run.get("param_names") or engine.names(config))
    if run.get("status") not in ENDED_STATUSES:
        raise field_error("run", f"only an ended run can be taken in, not one that is {run.get('status')!r}", "import")
    steps = _columns(exported.history, names)
    count = len(steps.loss)
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
        return info(manager.adopt(record, steps, graph))
    except ConfigError as error:
        raise field_error(error.field or "run", str(error), "import") from None
