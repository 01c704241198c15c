"""The ASGI app: routers, static files and the shared objects made in the lifespan."""

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import torch
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app import __version__
from app.config import Settings, get_settings
from app.lectures.sessions import LectureSessions
from app.runs.feed import Hub
from app.runs.manager import RunManager
from app.storage.startup import open_checked
from app.storage.store import RunStore
from app.web import api, class_app, docs, edge, export, graph_replay, import_run, lectures, pages, presenter, share, ws
from app.web.class_pages import router as class_pages_router
from app.web.openapi import with_server_limits
from app.web.rate_limits import RateLimits
from app.web.responses import JSON_CHANGE, ONE_RUN, answers
from app.web.run_list import RunList
from app.web.stall_watch import watch_loop

GIL_SWITCH_INTERVAL = 0.0005  # seconds
REAP_INTERVAL = 10.0  # seconds between two looks for abandoned runs

log = logging.getLogger(__name__)


async def reap_abandoned(manager: RunManager) -> None:
    """Now and then, stop the runs left paused or queued with no one watching or steering them."""
    interval = min(REAP_INTERVAL, manager.settings.abandon_after / 4)
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(manager.reap)
        except Exception:  # a bad moment must not end the reaping for good
            log.exception("could not stop the abandoned runs")


def create_app(settings: Settings | None = None, store: RunStore | None = None) -> FastAPI:
    """A new app with its own run manager and hub, and its own store: `store` if given (opened and checked by
    `python -m app`), else opened and checked at start-up (StoreUnusable, one line, if it cannot be used)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        torch.set_num_threads(1)  # tiny tensors: threads only fight the other runs for the two cores
        # The event loop and the training threads share one GIL: handing it over every 0.5 ms rather than 5 ms
        # keeps a paced run on its pace while the loop writes a frame to hundreds of sockets (bench_fanout).
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        app.state.settings = settings
        app.state.store = store if store is not None else open_checked(settings.database_url)
        app.state.manager = RunManager(settings, app.state.store)
        app.state.run_list = RunList(app.state.manager, api.listed_json)
        app.state.hub = Hub(settings.frame_rate)
        app.state.rate_limits = RateLimits(settings)
        app.state.templates = Jinja2Templates(directory=settings.templates_dir)
        app.state.manager.training.warm()  # the workers start in the background: the first run waits for none
        tasks = [asyncio.create_task(reap_abandoned(app.state.manager), name="reap-abandoned")]
        if settings.stall_report:
            tasks.append(asyncio.create_task(watch_loop(settings.stall_report), name="stall-watch"))
        class_app.start(app, settings)
        yield
        await class_app.stop(app)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(app.state.manager.shutdown)  # waits for the runs' last steps, then stores them
        await app.state.hub.close()
        app.state.store.close()

    app = FastAPI(
        title="Autograd Live",
        version=__version__,
        summary="Watch a neural network learn: training runs streamed step by step.",
        lifespan=lifespan,
        docs_url=None,  # served from local files by app.web.docs instead of a CDN
        redoc_url=None,
    )
    edge.install(app, settings)
    app.include_router(api.router)
    app.include_router(ws.router)
    class_app.include_routes(app)
    app.include_router(pages.router)
    app.include_router(class_pages_router)
    app.include_router(share.router)
    # Statuses the edge and the per-client limits add to routes documented in their own modules.
    app.include_router(import_run.router, responses=answers(*JSON_CHANGE, 429))
    app.include_router(presenter.router)
    app.include_router(lectures.router)
    app.include_router(lectures.sessions_router)
    app.include_router(lectures.check_router)
    app.state.lecture_sessions = LectureSessions()
    app.include_router(export.router, responses=answers(*ONE_RUN, 429))
    app.include_router(graph_replay.router, responses=answers(*ONE_RUN))
    app.include_router(docs.router)
    app.openapi = with_server_limits(app, settings)  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    return app


app = create_app()
