"""Shared objects, made in the lifespan and reached through dependencies so tests can swap them."""

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, status
from fastapi.exceptions import RequestValidationError
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from app.config import Settings
from app.runs.feed import Hub
from app.runs.manager import RunManager
from app.runs.stored import AnyRun
from app.runs.unreadable import UnreadableRunError
from app.web.run_list import RunList


def get_manager(request: HTTPConnection) -> RunManager:
    """The app's run manager."""
    return request.app.state.manager  # type: ignore[no-any-return]


def get_templates(request: HTTPConnection) -> Jinja2Templates:
    """The app's page templates, from its settings' templates_dir."""
    return request.app.state.templates  # type: ignore[no-any-return]


def get_app_settings(request: HTTPConnection) -> Settings:
    """The settings this app was made with (create_app(settings)), not the process's environment."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_hub(request: HTTPConnection) -> Hub:
    """The app's frame hub."""
    return request.app.state.hub  # type: ignore[no-any-return]


def get_run_list(request: HTTPConnection) -> RunList:
    """The app's cached run list."""
    return request.app.state.run_list  # type: ignore[no-any-return]


ManagerDep = Annotated[RunManager, Depends(get_manager)]
RunListDep = Annotated[RunList, Depends(get_run_list)]
HubDep = Annotated[Hub, Depends(get_hub)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_run(run_id: str, manager: ManagerDep) -> AnyRun:
    """The run named in the path; 404 if there is none, 409 if it is stored but cannot be read (it can only be
    shown and deleted)."""
    try:
        return manager.get(run_id)
    except UnreadableRunError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, error.run.message) from None
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run with id {run_id!r}") from None


RunDep = Annotated[AnyRun, Depends(get_run)]


def token_hash(token: str) -> str:
    """What the server keeps of a control token: its SHA-256, so a leaked database steers nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_fits(expected: str | None, token: str | None) -> bool:
    """Whether `token` is the control token hashed to `expected` (never, for a run that has none)."""
    return token is not None and expected is not None and hmac.compare_digest(token_hash(token), expected)


def get_controlled_run(
    run: RunDep,
    settings: SettingsDep,
    x_control_token: Annotated[str | None, Header()] = None,
    x_lecturer_key: Annotated[str | None, Header()] = None,
) -> AnyRun:
    """The run in the path, if the request carries its control token (X-Control-Token) or the server's lecturer
    key (X-Lecturer-Key: the lecturer may steer and stop any run); 403 otherwise."""
    if not (token_fits(run.control_hash, x_control_token) or is_lecturer(settings, x_lecturer_key)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only the browser or script that started this run may steer it: send its control token "
            "(returned when the run was created) in the X-Control-Token header, or the server's lecturer key in "
            "X-Lecturer-Key",
        )
    return run


ControlledRunDep = Annotated[AnyRun, Depends(get_controlled_run)]


def check_lecturer_key(settings: SettingsDep, x_lecturer_key: Annotated[str | None, Header()] = None) -> None:
    """When the server has a lecturer key, starting a run needs it (X-Lecturer-Key); 403 otherwise."""
    key = settings.lecturer_key
    if key is not None and (x_lecturer_key is None or not hmac.compare_digest(x_lecturer_key, key)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this server starts runs for its lecturer only: send its key")


def is_lecturer(settings: Settings, key: str | None) -> bool:
    """Whether the server has a lecturer key and `key` is it."""
    return settings.lecturer_key is not None and key is not None and hmac.compare_digest(key, settings.lecturer_key)


def field_error(field: str | None, message: str, kind: str) -> RequestValidationError:
    """A 422 in FastAPI's own shape, naming the body field it is about (or the body as a whole)."""
    location = ("body", field) if field else ("body",)
    return RequestValidationError([{"type": kind, "loc": location, "msg": message, "input": None}])
