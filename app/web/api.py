"""REST routes: engines, runs and the commands that steer them."""

import asyncio
import functools
import secrets
from collections.abc import Callable
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.engines import ENGINES
from app.engines.code import CodeLine, step_code
from app.formula import PRESETS
from app.run_config import Pace, RunConfig, engine_defaults
from app.runs import messages
from app.runs.manager import ClientLimitError, ConfigError
from app.runs.run import RunStateError
from app.runs.stored import AnyRun
from app.runs.unreadable import UnreadableRun, UnreadableRunError, describe
from app.schemas import CodeLineInfo, CreatedRun, EngineInfo, RunHistory, RunInfo, TargetPreset
from app.web.clients import client_id
from app.web.damaged import DAMAGED, damaged_as_error
from app.web.deps import (
    ControlledRunDep,
    ManagerDep,
    RunDep,
    RunListDep,
    SettingsDep,
    check_lecturer_key,
    field_error,
    is_lecturer,
    token_fits,
    token_hash,
)
from app.web.history_stream import history_json
from app.web.rate_limits import LimitCreate, LimitRead, too_many
from app.web.responses import CHANGE, JSON_CHANGE, ONE_RUN, answers
from app.web.run_list import accepts_gzip, etag_matches

router = APIRouter(prefix="/api", tags=["runs"])

CLIENT_RETRY = 5.0  # seconds a client with too many runs going is told to wait before asking again
STOP_WAIT = 2.0  # seconds a stop request waits for the run's worker to finish its step
PAUSE_WAIT = 2.0  # seconds a pause request waits for the run's worker to hold it
# What GET /api/runs sends beside the list, so a page can ask again for nothing when it has not changed.
LIST_HEADERS = {
    "ETag": {"description": "The list's version: send it back as If-None-Match.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "no-cache: keep it, but ask again first.", "schema": {"type": "string"}},
}
# A command on one run: its token missing (403), no such run (404), not now (409).
COMMAND = answers(*CHANGE, 404, 409)


def info(run: AnyRun) -> RunInfo:
    """A run as the API shows it."""
    return RunInfo.model_validate(messages.summary(run))


def unreadable_info(run: UnreadableRun) -> RunInfo:
    """A run that cannot be read, as the API shows it: status `unreadable`, the reason as its message."""
    return RunInfo(
        id=run.id,
        engine=run.engine,
        status=run.status,
        message=run.message,
        config=None,
        param_names=[],
        step=-1,
        steps_done=run.steps_done,
        loss=None,
        params={},
        grads={},
        created_at=run.created_at,
        started_at=None,
        ended_at=None,
    )


def listed_info(run: AnyRun | UnreadableRun) -> RunInfo:
    """A run as the list shows it: one whose summary cannot be made is shown as unreadable, not failing the list."""
    if isinstance(run, UnreadableRun):
        return unreadable_info(run)
    try:
        return info(run)
    except Exception as error:  # a run that reads badly must not take the rest of the list down with it
        reason = f"its summary cannot be made: {describe(error)}"
        return unreadable_info(UnreadableRun(run.id, run.engine.name, reason, run.created_at, run.control_hash))


@router.get("/engines")
def list_engines() -> list[EngineInfo]:
    """The engines a run can use."""
    return engine_infos()


def code_updates(line: CodeLine) -> list[str] | Literal["all"]:
    """A line's `updates` as the API writes them: names in a list, or "all"."""
    return line.updates if line.updates == "all" else list(line.updates)


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
            switches=sorted(spec.switches),
            sources=spec.sources() if spec.sources else {},
            powers={name: list(powers) for name, powers in spec.powers.items()} if spec.powers else None,
            inputs=spec.inputs,
            code=[
                CodeLineInfo(
                    text=line.text,
                    phase=line.phase,
                    updates=code_updates(line),
                    when=dict([line.when]) if line.when else None,
                    inside=dict([line.inside]) if line.inside else None,
                    needs_grad=line.needs_grad,
                )
                for line in step_code(spec.train, spec.param_names)
            ],
            leaves=spec.leaves,
            defaults=engine_defaults(name),
        )
        for name, spec in ENGINES.items()
    ]


@router.get("/targets")
def list_targets() -> list[TargetPreset]:
    """Ready-made target functions; any formula of x in the same small language works too."""
    return [TargetPreset(name=name, formula=formula) for name, formula in PRESETS.items()]


@router.post(
    "/runs",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(check_lecturer_key)],
    responses=answers(*JSON_CHANGE, 429),
    # A body is needed, if only {}: a POST without one is what another site's form could send (415).
    openapi_extra={"requestBody": {"required": True}},
)
def create_run(manager: ManagerDep, request: Request, _: LimitCreate, config: RunConfig | None = None) -> CreatedRun:
    """Start a run; every field of the body is optional and defaults to the lecture's value. The answer carries
    the run's control token, shown this once: pause, resume, step, stop and delete need it."""
    token = secrets.token_urlsafe(18)
    try:
        run = manager.create(config or RunConfig(), control_hash=token_hash(token), client=client_id(request))
    except ConfigError as error:
        raise field_error(error.field, str(error), "limit") from None
    except ClientLimitError as error:
        raise too_many(str(error), CLIENT_RETRY) from None
    return CreatedRun(**info(run).model_dump(), control_token=token)


TIMES = ("created_at", "started_at", "ended_at")


def listed_json(run: AnyRun | UnreadableRun) -> bytes:
    """A run's JSON object in the list, as GET /api/runs/{id} writes it: its summary encoded straight, since
    validating it again as a RunInfo (its config's target formula and all) costs ~40 times more, at every build
    for every moving run; a run whose summary cannot be made or encoded goes the checked way."""
    if isinstance(run, UnreadableRun):
        return listed_info(run).model_dump_json().encode()
    try:
        row = dict(messages.summary(run))
        for key in TIMES:  # as pydantic writes a UTC time
            moment = row[key]
            if isinstance(moment, str) and moment.endswith("+00:00"):
                row[key] = moment.removesuffix("+00:00") + "Z"
        return orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY)
    except Exception:  # listed_info lists it as unreadable, saying why
        return listed_info(run).model_dump_json().encode()


@router.get(
    "/runs",
    response_class=Response,
    responses={
        200: {"model": list[RunInfo], "headers": LIST_HEADERS},
        304: {"description": "The list is unchanged since the ETag sent in If-None-Match.", "headers": LIST_HEADERS},
    },
)
async def list_runs(
    run_list: RunListDep,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The runs this server remembers, newest first; one stored run that cannot be read is listed as
    `unreadable`, its message saying why. The answer carries an ETag: sent back in If-None-Match, an unchanged
    list is answered 304 with no body (step counts and losses of moving runs are at most a second old)."""
    # Still current: answered here without a thread; a build (tens of ms with hundreds of runs) goes off the loop.
    listing = run_list.cached()
    if listing is None:
        listing = await asyncio.to_thread(run_list.current)
    headers = {"ETag": listing.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if etag_matches(if_none_match, listing.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if accepts_gzip(accept_encoding):
        headers["Content-Encoding"] = "gzip"
        return Response(listing.gzipped, media_type="application/json", headers=headers)
    return Response(listing.body, media_type="application/json", headers=headers)


def _find(manager: ManagerDep, run_id: str) -> AnyRun | UnreadableRun:
    try:
        return manager.get(run_id)
    except UnreadableRunError as error:
        return error.run
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run with id {run_id!r}") from None


@router.get("/runs/{run_id}", responses=answers(404))
def get_run(run_id: str, manager: ManagerDep) -> RunInfo:
    """One run's config, status and latest numbers; status `unreadable` (config null, message saying why) for a
    stored run this server cannot read."""
    return listed_info(_find(manager, run_id))


MAX_HISTORY_PAGE = 100_000  # steps one page of GET /history may ask for (`limit`)


@router.get(
    "/runs/{run_id}/history",
    response_class=Response,
    responses={200: {"model": RunHistory}, **answers(*ONE_RUN, 429), **DAMAGED},
)
def get_history(
    run: RunDep,
    _: LimitRead,
    start: Annotated[int, Query(ge=0, le=2**53, description="The first step to return.")] = 0,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_HISTORY_PAGE, description="The most steps to return; unset: every step from `start`."),
    ] = None,
) -> Response:
    """The recorded steps as columns, streamed: every one, or a page of at most `limit` from step `start` (a
    page shorter than `limit` is the last one recorded so far; one from past the last step is empty)."""
    count = run.history.count
    # Past the steps recorded so far is an empty page, not an error: a live run's end moves, and a client paging
    # along it (as a reconnecting viewer's `since` does) may ask just ahead of it.
    start = min(start, count)
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


@router.post("/runs/{run_id}/pause", responses=COMMAND)
def pause_run(run: ControlledRunDep) -> RunInfo:
    """Hold the run after its current step; answered once it holds (within two seconds), at the step it holds on."""
    return _command(run, lambda: run.pause(wait=PAUSE_WAIT))


@router.post("/runs/{run_id}/resume", responses=COMMAND)
def resume_run(run: ControlledRunDep) -> RunInfo:
    """Let a paused run go on."""
    return _command(run, run.resume)


@router.post("/runs/{run_id}/step", responses=COMMAND)
def step_run(run: ControlledRunDep) -> RunInfo:
    """Take one step of a paused run."""
    return _command(run, run.step)


@router.post("/runs/{run_id}/stop", responses=COMMAND)
async def stop_run(run: ControlledRunDep) -> RunInfo:
    """End the run; answers once its worker has let go (or after a short wait)."""
    result = _command(run, run.stop)
    await asyncio.to_thread(run.join, STOP_WAIT)
    return info(run) if run.ended else result


class PaceChange(BaseModel):
    """A new pace for a run."""

    model_config = ConfigDict(extra="forbid")

    pace: Pace | None = Field(..., description="Steps per second (0.1 to 1e6); null: as fast as it goes.")


@router.post("/runs/{run_id}/pace", responses=answers(*JSON_CHANGE, 404, 409))
def pace_run(run: ControlledRunDep, change: PaceChange) -> RunInfo:
    """Slow a run down or speed it up, from its next step on."""
    return _command(run, lambda: run.set_pace(change.pace))


@router.delete("/runs/{run_id}", status_code=status.HTTP_204_NO_CONTENT, responses=COMMAND)
def delete_run(
    run_id: str,
    manager: ManagerDep,
    settings: SettingsDep,
    x_control_token: Annotated[str | None, Header()] = None,
    x_lecturer_key: Annotated[str | None, Header()] = None,
) -> None:
    """Forget an ended (or unreadable) run, its steps and its graph; 409 while it still runs (stop it first). Its
    control token may delete it, and so may the server's lecturer key (for runs that have no token: imported
    before imports had one, or unreadable); 403 otherwise."""
    run = _find(manager, run_id)
    if not (token_fits(run.control_hash, x_control_token) or is_lecturer(settings, x_lecturer_key)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only the browser or script that started this run may delete it: send its control token in the "
            "X-Control-Token header (or the server's lecturer key in X-Lecturer-Key)",
        )
    try:
        manager.delete(run)
    except RunStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
