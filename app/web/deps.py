"""Shared objects, made in the lifespan and reached through dependencies so tests can swap them."""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from app.config import Settings, get_settings
from app.runs.feed import Hub
from app.runs.manager import RunManager
from app.runs.stored import AnyRun


def get_manager(request: HTTPConnection) -> RunManager:
    """The app's run manager."""
    return request.app.state.manager  # type: ignore[no-any-return]


def get_templates(request: HTTPConnection) -> Jinja2Templates:
    """The app's page templates, from its settings' templates_dir."""
    return request.app.state.templates  # type: ignore[no-any-return]


def get_hub(request: HTTPConnection) -> Hub:
    """The app's frame hub."""
    return request.app.state.hub  # type: ignore[no-any-return]


ManagerDep = Annotated[RunManager, Depends(get_manager)]
HubDep = Annotated[Hub, Depends(get_hub)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_run(run_id: str, manager: ManagerDep) -> AnyRun:
    """The run named in the path; 404 if there is none."""
    try:
        return manager.get(run_id)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run with id {run_id!r}") from None


RunDep = Annotated[AnyRun, Depends(get_run)]
