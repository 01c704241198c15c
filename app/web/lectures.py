"""Lectures as data: the list, one lecture's scenes, and a check of a lecture file before it is put in place."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.lectures.library import LectureFile, LectureLibrary
from app.lectures.scenes import Lecture, LectureError, parse_lecture
from app.lectures.sessions import LectureSession, LectureSessions, SessionError
from app.runs.manager import RunManager
from app.runs.unreadable import UnreadableRunError
from app.web.deps import ManagerDep, SettingsDep, check_lecturer_key, field_error
from app.web.responses import CHANGE, JSON_CHANGE, ErrorAnswer, answers

router = APIRouter(prefix="/api/lectures", tags=["lectures"])

NO_LECTURE: dict[str, Any] = {"model": ErrorAnswer, "description": "No lecture of that name."}
BROKEN: dict[str, Any] = {
    "model": ErrorAnswer,
    "description": "The lecture's file has an error: the detail names its line.",
}


class LectureListing(BaseModel):
    """A lecture the server offers, or a file of one it cannot show and why."""

    name: str = Field(description="What GET /api/lectures/{name} and the page's #lecture= take.")
    title: str | None = Field(description="Its title; null for a file with an error.")
    scenes: int = Field(description="How many scenes it has (0 for a file with an error).")
    error: str | None = Field(None, description="Why the file cannot be shown, naming its line; null when it can.")
    line: int | None = Field(None, description="The line of the file the error is on (1-based), where it has one.")


def get_library(settings: SettingsDep) -> LectureLibrary:
    """The app's lectures: those it ships and those in its lectures directory."""
    return LectureLibrary(settings.lectures_dir)


LibraryDep = Annotated[LectureLibrary, Depends(get_library)]


def listing(file: LectureFile) -> LectureListing:
    """How the list shows a lecture file."""
    if file.lecture is None:
        assert file.error is not None
        return LectureListing(name=file.name, title=None, scenes=0, error=str(file.error), line=file.error.line)
    return LectureListing(name=file.name, title=file.lecture.title, scenes=len(file.lecture.scenes))


@router.get("")
def list_lectures(library: LibraryDep) -> list[LectureListing]:
    """Every lecture this server offers, by name; a file with an error is listed with it."""
    return [listing(file) for file in library.all()]


@router.get("/{name}", responses={404: NO_LECTURE, 409: BROKEN})
def get_lecture(name: str, library: LibraryDep) -> Lecture:
    """One lecture's scenes in order: each scene's text, equation, the run it starts (as written: the server draws
    what it leaves out), the run beside it, the panel it enlarges and the code lines it marks."""
    file = library.read(name)
    if file is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no lecture named {name!r}")
    if file.lecture is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{file.path.name}: {file.error}")
    return file.lecture


# Apart from /api/lectures/{name}, whose GET would take "check" for a lecture's name.
check_router = APIRouter(prefix="/api/lecture-check", tags=["lectures"])


@check_router.post("", responses=answers(*JSON_CHANGE))
def check_lecture(
    text: Annotated[
        str,
        Body(
            embed=True,
            description="A lecture file's TOML: a title and [[scene]] tables, each with part, title, text and "
            "[scene.run] (see GET /api/lectures/{name}); the server's body limit caps its size.",
        ),
    ],
) -> Lecture:
    """Read a lecture file as the server would: its scenes, or a 422 whose message names the line at fault."""
    try:
        return parse_lecture(text)
    except LectureError as error:
        problem: dict[str, Any] = {"loc": ["body", "text"], "msg": str(error), "type": "lecture"}
        problem["ctx"] = {"line": error.line}
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [problem]) from None


sessions_router = APIRouter(prefix="/api/lecture-sessions", tags=["lectures"])
# How long a follower's request waits for the next scene before it is answered with the scene as it is.
LONGEST_WAIT = 25.0
NO_SESSION: dict[str, Any] = {"model": ErrorAnswer, "description": "No lecture session with that id."}


class SessionInfo(BaseModel):
    """A lecture being taught: the scene shown (from 0), the runs it shows, and how many moves led there."""

    id: str
    lecture: str
    index: int
    run: str | None = Field(description="The run the scene shows; null before the lecturer's page started it.")
    compare: str | None = Field(description="The run beside it, for a scene that compares two.")
    version: int = Field(description="Moves so far: GET ...?after=version waits for the next one.")


class CreatedSession(SessionInfo):
    """A new session, with the token that moves it (given this once)."""

    token: str


class SceneMove(BaseModel):
    """The lecturer's move: the scene now shown and its runs (started by the lecturer's page)."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, description="The scene, counted from 0.")
    run: str | None = Field(None, max_length=64, description="The run it shows.")
    compare: str | None = Field(None, max_length=64, description="The run beside it.")


def known_run(manager: RunManager, run_id: str) -> bool:
    """Whether a run of that id exists (an unreadable stored one too: it can be shown)."""
    try:
        manager.get(run_id)
    except UnreadableRunError:
        return True
    except KeyError:
        return False
    return True


def get_sessions(request: Request) -> LectureSessions:
    """The app's lecture sessions."""
    return request.app.state.lecture_sessions  # type: ignore[no-any-return]


SessionsDep = Annotated[LectureSessions, Depends(get_sessions)]


def info(session: LectureSession) -> SessionInfo:
    """How the API shows a session."""
    shown = session.shown
    return SessionInfo(
        id=session.id,
        lecture=session.lecture,
        index=shown.index,
        run=shown.run,
        compare=shown.compare,
        version=shown.version,
    )


@router.post(
    "/{name}/sessions",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(check_lecturer_key)],
    responses={**answers(*CHANGE), 404: NO_LECTURE, 409: BROKEN},
)
async def start_session(name: str, library: LibraryDep, sessions: SessionsDep) -> CreatedSession:
    """Start teaching a lecture: a session at its first scene that students' pages follow, and its token."""
    await run_in_threadpool(get_lecture, name, library)  # 404 or 409 before anything is made
    session, token = sessions.create(name)  # on the event loop, where its followers wait
    return CreatedSession(**info(session).model_dump(), token=token)


@sessions_router.get("/{session_id}", responses={404: NO_SESSION})
async def follow_session(
    session_id: str, sessions: SessionsDep, after: Annotated[int, Query(ge=-1)] = -1
) -> SessionInfo:
    """The scene a session shows; with `after`, the answer waits (up to 25 s) for a version past it."""
    try:
        await sessions.wait(session_id, after, LONGEST_WAIT)
        return info(sessions.get(session_id))
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no lecture session {session_id!r}") from None


@sessions_router.post("/{session_id}/scene", responses={**answers(*JSON_CHANGE), 404: NO_SESSION})
async def move_session(
    session_id: str,
    move: SceneMove,
    sessions: SessionsDep,
    library: LibraryDep,
    manager: ManagerDep,
    x_control_token: Annotated[str | None, Header()] = None,
) -> SessionInfo:
    """Show another scene (the session's X-Control-Token): everyone following it moves there."""
    try:
        session = sessions.get(session_id)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no lecture session {session_id!r}") from None
    # Files and the store are read off the event loop; the move itself wakes the followers on it.
    lecture = await run_in_threadpool(get_lecture, session.lecture, library)
    if move.index >= len(lecture.scenes):
        raise field_error("index", f"the lecture has {len(lecture.scenes)} scenes, counted from 0", "scene")
    for field, run_id in (("run", move.run), ("compare", move.compare)):
        if run_id is not None and not await run_in_threadpool(known_run, manager, run_id):
            raise field_error(field, f"no run with id {run_id!r}", "run")
    try:
        sessions.move(session_id, x_control_token or "", move.index, move.run, move.compare)
    except SessionError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    return info(session)
