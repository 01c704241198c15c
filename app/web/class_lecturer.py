"""The lecturer's routes of a class: share what the class view shows, stop any run of the class."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, status

from app.classes.registry import Classroom
from app.runs.run import RunStateError
from app.schemas import RunInfo
from app.web.api import STOP_WAIT, info
from app.web.class_models import ClassPresenterState
from app.web.classes import NO_CLASS, RoomDep
from app.web.deps import ManagerDep, SettingsDep, is_lecturer, token_fits
from app.web.responses import CHANGE, JSON_CHANGE, ErrorAnswer, answers

router = APIRouter(prefix="/api/classes", tags=["classes"])

NO_CLASS_RUN: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorAnswer, "description": "No class with that code, or no run with that id in it."}
}


def get_lecturer_room(
    room: RoomDep,
    settings: SettingsDep,
    x_control_token: Annotated[str | None, Header()] = None,
    x_lecturer_key: Annotated[str | None, Header()] = None,
) -> Classroom:
    """The class in the path, if the request carries its control token (X-Control-Token) or the server's lecturer
    key (X-Lecturer-Key); 403 otherwise."""
    if not (token_fits(room.record.control_hash, x_control_token) or is_lecturer(settings, x_lecturer_key)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only the lecturer who opened this class may steer it: send the class's control token in the "
            "X-Control-Token header (or the server's lecturer key in X-Lecturer-Key)",
        )
    return room


LecturerRoomDep = Annotated[Classroom, Depends(get_lecturer_room)]


@router.post(
    "/{code}/presenter",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**answers(*JSON_CHANGE), **NO_CLASS},
)
def share_class_view(room: LecturerRoomDep, state: ClassPresenterState) -> None:
    """Tell the class's viewers what the lecturer's class view shows (the class's control token, or the server's
    lecturer key, is needed)."""
    room.presenter = dict(state.root)  # a new object each time: the class feed sends it on its next tick


@router.post(
    "/{code}/runs/{run_id}/stop",
    responses={
        **answers(*CHANGE, 409),
        404: {"model": ErrorAnswer, "description": "No such class, or no such run in it."},
    },
)
def stop_class_run(room: LecturerRoomDep, run_id: str, manager: ManagerDep) -> RunInfo:
    """Stop any run of the class (the class's control token, or the server's lecturer key): a lecturer ends a
    student's run without its token. Answers once its worker has let go (or after a short wait)."""
    try:
        run = manager.get(run_id)
    except KeyError:
        run = None
    if run is None or run.class_code != room.code:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run with id {run_id[:40]!r} in class {room.code}")
    try:
        run.stop()
    except RunStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    run.join(STOP_WAIT)
    return info(run)
