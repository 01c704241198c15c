"""REST routes: engines, runs and the commands that steer them."""

import asyncio
import functools
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from app.engines import ENGINES
from app.engines.code import step_code
from app.formula import PRESETS
from app.run_config import RunConfig
from app.runs import messages
from app.runs.manager import ConfigError
from app.runs.run import RunStateError
from app.runs.stored import AnyRun
from app.schemas import CodeLineInfo, CreatedRun, EngineInfo, RunHistory, RunInfo, TargetPreset
from app.web.damaged import DAMAGED, damaged_as_error
from app.web.deps import ControlledRunDep, ManagerDep, RunDep, check_lecturer_key, field_error, token_hash
from app.web.history_stream import history_json

router = APIRouter(prefix="/api", tags=["runs"])

STOP_WAIT = 2.0  # seconds a stop request waits for the run's worker to finish its step


def info(run: AnyRun) -> RunInfo:
    """A run as the API shows it."""
    return RunInfo.model_validate(messages.summary(run))


@router.get("/engines")
def list_engines() -> list[EngineInfo]:
    """The engines a run can use."""
    return engine_infos()


@functools.cache
def engine_infos() -> list[EngineInfo]:
    """Every engine as the API shows it, its code read from source once."""
    return [
        EngineInfo(
            name=spec.name,
            description=spec.description,
            model=spec.model,
            param_names=list(spec.names(RunConfig(engine=name))),
            stores_grads=spec.stores_grads,
            inputs=spec.inputs,
            code=[CodeLineInfo(text=line.text, phase=line.phase) for line in step_code(spec.train)],
        )
        for name, spec in ENGINES.items()
    ]


@router.get("/targets")
def list_targets() -> list[TargetPreset]:
    """Ready-made target functions; any formula of x in the same small language works too."""
    return [TargetPreset(name=name, formula=formula) for name, formula in PRESETS.items()]


@router.post("/runs", status_code=status.HTTP_201_CREATED, dependencies=[Depends(check_lecturer_key)])
def create_run(manager: ManagerDep, config: RunConfig | None = None) -> CreatedRun:
    """Start a run; every field of the body is optional and defaults to the lecture's value. The answer carries
    the run's control token, shown this once: pause, resume, step, stop and delete need it."""
    token = secrets.token_urlsafe(18)
    try:
        run = manager.create(config or RunConfig(), control_hash=token_hash(token))
    except ConfigError as error:
        raise field_error(error.field, str(error), "limit") from None
    return CreatedRun(**info(run).model_dump(), control_token=token)


@router.get("/runs")
def list_runs(manager: ManagerDep) -> list[RunInfo]:
    """The runs this server remembers, newest first."""
    return [info(run) for run in manager]


@router.get("/runs/{run_id}")
def get_run(run: RunDep) -> RunInfo:
    """One run's config, status and latest numbers."""
    return info(run)


MAX_HISTORY_PAGE = 100_000  # steps one page of GET /history may ask for (`limit`)


@router.get("/runs/{run_id}/history", response_class=Response, responses={200: {"model": RunHistory}, **DAMAGED})
def get_history(
    run: RunDep,
    start: Annotated[int, Query(ge=0, le=2**53, description="The first step to return.")] = 0,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_HISTORY_PAGE, description="The most steps to return; unset: every step from `start`."),
    ] = None,
) -> Response:
    """The recorded steps as columns, streamed: every one, or a page of at most `limit` from step `start` (a
    page shorter than `limit` is the last one recorded so far)."""
    count = run.history.count
    if start > count:
        message = f"start must be at most {count}, the steps run {run.id} has recorded"
        raise RequestValidationError([{"type": "less_than_equal", "loc": ("query", "start"), "msg": message}])
    stop = count if limit is None else min(count, start + limit)
    with damaged_as_error():
        run.history.check()
    return StreamingResponse(history_json(run.history, start, stop), media_type="application/json")


def _command(run: AnyRun, action: Callable[[], None]) -> RunInfo:
    try:
        action()
    except RunStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    return info(run)


@router.post("/runs/{run_id}/pause")
def pause_run(run: ControlledRunDep) -> RunInfo:
    """Hold the run after its current step."""
    return _command(run, run.pause)


@router.post("/runs/{run_id}/resume")
def resume_run(run: ControlledRunDep) -> RunInfo:
    """Let a paused run go on."""
    return _command(run, run.resume)


@router.post("/runs/{run_id}/step")
def step_run(run: ControlledRunDep) -> RunInfo:
    """Take one step of a paused run."""
    return _command(run, run.step)


@router.post("/runs/{run_id}/stop")
async def stop_run(run: ControlledRunDep) -> RunInfo:
    """End the run; answers once its worker has let go (or after a short wait)."""
    result = _command(run, run.stop)
    await asyncio.to_thread(run.join, STOP_WAIT)
    return info(run) if run.ended else result


class PaceChange(BaseModel):
    """A new pace for a run."""

    pace: float | None = Field(..., gt=0, le=1_000_000, description="Steps per second; null: as fast as it goes.")


@router.post("/runs/{run_id}/pace")
def pace_run(run: ControlledRunDep, change: PaceChange) -> RunInfo:
    """Slow a run down or speed it up, from its next step on."""
    return _command(run, lambda: run.set_pace(change.pace))


@router.delete("/runs/{run_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_run(run: ControlledRunDep, manager: ManagerDep) -> None:
    """Forget an ended run, its steps and its graph; 409 while it still runs (stop it first)."""
    try:
        manager.delete(run)
    except RunStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
