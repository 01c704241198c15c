"""REST routes of classes: open one, list it with its runs, its QR code, join it, start a run in it (the
lecturer's own routes are in class_lecturer.py)."""

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError, WithJsonSchema
from starlette.requests import HTTPConnection

from app.classes.answers import ClassAnswers
from app.classes.registry import ClassFullError, ClassRegistry, Classroom
from app.classes.rules import RuleError, class_settings, free_fields, student_config, validation_locations
from app.engines.switches import refused_switch
from app.run_config import RunConfig
from app.runs.manager import ClientLimitError, ConfigError
from app.schemas import CreatedRun
from app.storage.classes import StudentRecord
from app.web.api import CLIENT_RETRY, info
from app.web.class_limits import ClassLimits, student_key
from app.web.class_models import (
    PARTIAL_CONFIG,
    ClassCreated,
    ClassDetail,
    ClassRequest,
    Joined,
    JoinRequest,
)
from app.web.clients import client_id
from app.web.deps import ManagerDep, SettingsDep, check_lecturer_key, token_hash
from app.web.rate_limits import LimitCreate, too_many
from app.web.responses import JSON_CHANGE, ErrorAnswer, answers
from app.web.share import origin, qr_code

router = APIRouter(prefix="/api/classes", tags=["classes"])

NO_CLASS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorAnswer, "description": "No class with that code."}}


def get_registry(connection: HTTPConnection) -> ClassRegistry:
    """The app's classes."""
    return connection.app.state.classes  # type: ignore[no-any-return]


def get_answers(connection: HTTPConnection) -> ClassAnswers:
    """The app's shared answers of GET /api/classes/{code}."""
    return connection.app.state.class_answers  # type: ignore[no-any-return]


def get_limits(connection: HTTPConnection) -> ClassLimits:
    """The app's join and per-student limits."""
    return connection.app.state.class_limits  # type: ignore[no-any-return]


RegistryDep = Annotated[ClassRegistry, Depends(get_registry)]


def get_room(code: str, registry: RegistryDep) -> Classroom:
    """The class named in the path (its code in any case); 404 if there is none."""
    try:
        return registry.get(code)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no class with code {code[:12]!r}") from None


RoomDep = Annotated[Classroom, Depends(get_room)]


def get_student(room: RoomDep, x_student_token: Annotated[str | None, Header()] = None) -> StudentRecord:
    """The student whose token the request carries (X-Student-Token, from joining this class); 403 otherwise."""
    # Found by the token's hash: what the server keeps of it, so a leaked database starts no runs.
    student = room.student_of(token_hash(x_student_token)) if x_student_token else None
    if student is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only a student of this class may start runs in it: join it first (POST /api/classes/{code}/join) "
            "and send the student token in the X-Student-Token header",
        )
    return student


StudentDep = Annotated[StudentRecord, Depends(get_student)]


def _located(loc: tuple[str | int, ...], message: str, kind: str) -> RequestValidationError:
    """A 422 in FastAPI's shape, at `loc` within the body."""
    return RequestValidationError([{"type": kind, "loc": ("body", *loc), "msg": message, "input": None}])


def _nested(error: ValidationError, under: str) -> RequestValidationError:
    """A config's validation errors as a 422, located under the body field `under`."""
    return RequestValidationError(
        [{**problem, "loc": ("body", under, *problem["loc"][1:])} for problem in validation_locations(error)]
    )


def join_url(request: Request, settings: SettingsDep, code: str) -> str:
    """The link students open to join: under public_url when set, else on the address others reach this server
    at (as the share box's links)."""
    path = f"/join/{code}"
    if settings.public_url:
        return settings.public_url.rstrip("/") + path
    return origin(request, settings) + path


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(check_lecturer_key)],
    responses=answers(*JSON_CHANGE, 429),
)
def create_class(
    body: ClassRequest,
    request: Request,
    manager: ManagerDep,
    registry: RegistryDep,
    settings: SettingsDep,
    _: LimitCreate,
) -> ClassCreated:
    """Open a class (with the server's lecturer key, when it has one). Its students' runs start from `settings`
    and may change only the `free` fields. The answer carries the class's control token, shown this once."""
    try:
        given = class_settings(body.settings)
    except ValidationError as error:
        raise _nested(error, "settings") from None
    config = RunConfig.model_validate(given)
    try:
        manager.check_limits(config)
    except ConfigError as error:
        raise _located(("settings", error.field or ""), str(error), "limit") from None
    refused = refused_switch(config)
    if refused is not None:
        raise _located(("settings", refused[0]), refused[1], "limit")
    try:
        free = free_fields(body.free)
    except RuleError as error:
        raise _located(error.loc, str(error), error.kind) from None
    token = secrets.token_urlsafe(18)
    room = registry.create(body.title, given, free, token_hash(token))
    record = room.record
    return ClassCreated(
        code=record.code,
        title=record.title,
        settings=record.settings,
        free=list(free) if free is not None else None,
        created_at=record.created_at,
        join_url=join_url(request, settings, record.code),
        view_url=f"/class/{record.code}",
        control_token=token,
    )


@router.get("/{code}", response_class=Response, responses={200: {"model": ClassDetail}, **NO_CLASS})
def get_class(
    room: RoomDep, request: Request, settings: SettingsDep, answers: Annotated[ClassAnswers, Depends(get_answers)]
) -> Response:
    """The class and its runs' summaries, oldest first (one answer made at most class_frame_rate times a second,
    shared by every page that asks)."""
    return Response(answers.answer(room, join_url(request, settings, room.code)), media_type="application/json")


@router.get("/{code}/qr.svg", response_class=Response, responses=NO_CLASS)
def class_qr_code(room: RoomDep, request: Request, settings: SettingsDep) -> Response:
    """A QR code (SVG) of the class's join link, for phones in the hall to scan off the projector."""
    return qr_code(join_url(request, settings, room.code))


@router.post(
    "/{code}/join",
    status_code=status.HTTP_201_CREATED,
    responses={**answers(*JSON_CHANGE, 409, 429), **NO_CLASS},
    # A body is needed, if only {}: a POST without one is what another site's form could send (415).
    openapi_extra={"requestBody": {"required": True}},
)
def join_class(
    room: RoomDep,
    request: Request,
    registry: RegistryDep,
    limits: Annotated[ClassLimits, Depends(get_limits)],
    body: JoinRequest | None = None,
) -> Joined:
    """Join the class as a student (rate-limited per address, with a burst that lets a hall behind one address
    join at once). The answer carries the student token, shown this once: starting runs in the class needs it."""
    wait = limits.join.take(client_id(request))
    if wait > 0:
        raise too_many(f"too many joins from this address: try again in {max(1, round(wait))} s", wait)
    token = secrets.token_urlsafe(18)
    try:
        student = registry.join(room, body.name if body else None, token_hash(token))
    except ClassFullError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    assert student.name is not None
    return Joined(student=student.id, student_token=token, name=student.name)


@router.post(
    "/{code}/runs",
    status_code=status.HTTP_201_CREATED,
    responses={**answers(*JSON_CHANGE, 429), **NO_CLASS},
)
def start_class_run(
    room: RoomDep,
    student: StudentDep,
    manager: ManagerDep,
    registry: RegistryDep,
    limits: Annotated[ClassLimits, Depends(get_limits)],
    body: Annotated[dict[str, Any], Body(), WithJsonSchema(PARTIAL_CONFIG)],
) -> CreatedRun:
    """Start a run in the class as one of its students (X-Student-Token): the body is a partial RunConfig on top
    of the class's settings, and may change only the class's free fields (422 naming a fixed one). The per-client
    limits (max_runs_per_client, create_rate) hold per student."""
    key = student_key(room.code, student.id)
    wait = limits.create.take(key)
    if wait > 0:
        raise too_many(f"too many runs started by this student: try again in {max(1, round(wait))} s", wait)
    try:
        config = student_config(room.record.settings, room.record.free, body)
    except RuleError as error:
        raise _located(error.loc, str(error), error.kind) from None
    except ValidationError as error:
        raise RequestValidationError(validation_locations(error)) from None
    token = secrets.token_urlsafe(18)
    try:
        run = manager.create(config, token_hash(token), client=key, class_code=room.code, student=student.id)
    except ConfigError as error:
        raise _located((error.field,) if error.field else (), str(error), "limit") from None
    except ClientLimitError as error:
        raise too_many(str(error).replace("you already have", "this student already has"), CLIENT_RETRY) from None
    registry.add_run(room, run.id)
    return CreatedRun(**info(run).model_dump(), control_token=token)
