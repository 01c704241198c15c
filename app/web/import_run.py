"""Taking in a run exported from this or another server, to replay and compare it here."""

import asyncio
import dataclasses
import logging
import secrets
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.runs.manager import ConfigError, RunManager
from app.schemas import CreatedRun
from app.web.api import info
from app.web.deps import ManagerDep, SettingsDep, check_lecturer_key, token_hash
from app.web.export_model import inlined_schema
from app.web.import_check import check, parse, refusal
from app.web.responses import answers

router = APIRouter(prefix="/api/runs", tags=["export"])
log = logging.getLogger(__name__)

# Besides what the edge and the per-client limits answer (403, 413, 415, 429: documented where the router is
# included), what taking in a file may answer.
ANSWERS: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "description": "Not an export this server can take: each problem names its field by path (`loc`)."
    },
    **answers(status.HTTP_503_SERVICE_UNAVAILABLE),
}


def take_in(body: bytes, manager: RunManager, settings: Settings) -> CreatedRun:
    """Read, check and store an export under a new id with a new control token (blocking: off the event loop)."""
    exported, raw = parse(body)
    checked = check(exported, raw, settings, manager.check_limits)
    token = secrets.token_urlsafe(18)
    record = dataclasses.replace(checked.record, id=manager.new_id(), control_hash=token_hash(token))
    try:
        adopted = manager.adopt(record, checked.steps, checked.graph, checked.frames, checked.shapes)
    except ConfigError as error:
        raise refusal((error.field,) if error.field else (), str(error)) from None
    except SQLAlchemyError as error:  # the transaction was rolled back: not a row of the run is left
        log.error("import of run %s not stored: %s", record.id, error)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the database did not take the run, so nothing of it was kept"
        ) from None
    return CreatedRun(**info(adopted).model_dump(), control_token=token)


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(check_lecturer_key)],
    responses=ANSWERS,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": inlined_schema()}}}},
)
async def import_run(request: Request, manager: ManagerDep, settings: SettingsDep) -> CreatedRun:
    """Take in an exported run under a new id, checked against the same limits (and lecturer key) as a new run:
    it is listed, opened, replayed and compared like any ended run. The answer carries its control token, shown
    this once: deleting it needs it. Its row, steps and graphs are stored at once, or nothing is."""
    body = await request.body()
    # Up to max_import_bytes of JSON: parsed, checked and written in a worker thread, never on the event loop.
    return await asyncio.to_thread(take_in, body, manager, settings)
