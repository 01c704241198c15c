"""Classes in the app: their shared objects made in the lifespan, their routes included."""

import functools

from fastapi import FastAPI

from app.classes.answers import ClassAnswers
from app.classes.hub import ClassHub
from app.classes.registry import ClassRegistry
from app.config import Settings
from app.runs.manager import RunManager
from app.runs.stored import AnyRun
from app.web import class_lecturer, class_ws, classes
from app.web.class_framing import preframe
from app.web.class_limits import ClassLimits
from app.web.responses import answers


def find_run(manager: RunManager, run_id: str) -> AnyRun | None:
    """A run by id for the class feeds and answers: None if it is gone or cannot be read (blocking)."""
    try:
        return manager.get(run_id)
    except KeyError:  # deleted, or stored unreadable (UnreadableRunError is a KeyError)
        return None


def start(app: FastAPI, settings: Settings) -> None:
    """Read the classes from the app's store and make their feeds, answers and limits (after its run manager)."""
    state = app.state
    state.classes = ClassRegistry(state.store, settings.max_class_students)
    find = functools.partial(find_run, state.manager)
    state.class_hub = ClassHub(state.classes, find, settings.class_frame_rate, preframe)
    state.class_answers = ClassAnswers(state.classes, find, 1.0 / settings.class_frame_rate)
    state.class_limits = ClassLimits(settings)


async def stop(app: FastAPI) -> None:
    """Stop the class feeds (before the runs are stopped: the feeds read them)."""
    await app.state.class_hub.close()


def include_routes(app: FastAPI) -> None:
    """The class routes: REST (the per-client limits add their 429), the lecturer's, the class feed."""
    app.include_router(classes.router, responses=answers(429))
    app.include_router(class_lecturer.router)
    app.include_router(class_ws.router)
