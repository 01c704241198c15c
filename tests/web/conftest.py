"""A real uvicorn server per settings, on a free port in a background thread, for the REST and WebSocket tests;
and an HTTP client of a module's `server`."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from app.config import Settings, default_database_url
from app.main import create_app
from app.web.socket_writer import UVICORN_OPTIONS


@dataclass
class LiveServer:
    """A served app and where to reach it."""

    app: FastAPI
    port: int

    @property
    def http(self) -> str:
        """Base URL for REST."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        """Base URL for WebSockets."""
        return f"ws://127.0.0.1:{self.port}"


Serve = Callable[..., LiveServer]
SUITE_LIMITS = {"create_burst": 100_000, "read_burst": 100_000, "max_runs_per_client": 1000}


@pytest.fixture(scope="session")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """Start `create_app(settings)` under uvicorn (as `python -m app` serves it); all stop at the session's end.

    `send_buffer` caps the kernel send buffer of the accepted sockets, so a client that never reads stalls its
    socket after a few kilobytes instead of several megabytes. Each server gets a database of its own, unless
    its settings name one. `uvicorn_options` change how uvicorn serves it.
    """
    running: list[tuple[uvicorn.Server, threading.Thread, socket.socket]] = []

    def start(settings: Settings, send_buffer: int | None = None, **uvicorn_options: Any) -> LiveServer:
        # A module's tests all come from one address: unless a test sets them, the per-client limits (made for a
        # hall of students, tested in test_rate_limits.py) are out of the way of the other tests.
        unset = SUITE_LIMITS.keys() - settings.model_fields_set
        settings = settings.model_copy(update={name: SUITE_LIMITS[name] for name in unset})
        if settings.database_url == default_database_url(settings.data_dir):
            fresh = default_database_url(tmp_path_factory.mktemp("data"))
            settings = settings.model_copy(update={"database_url": fresh})
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer is not None:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)  # accepted sockets inherit it
        listener.bind(("127.0.0.1", 0))
        app = create_app(settings)
        config = uvicorn.Config(
            app, log_level="warning", timeout_graceful_shutdown=2, lifespan="on", **(UVICORN_OPTIONS | uvicorn_options)
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        running.append((server, thread, listener))
        return LiveServer(app=app, port=listener.getsockname()[1])

    yield start
    for server, _, _ in running:
        server.should_exit = True
    for _, thread, listener in running:
        thread.join(10)
        listener.close()


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client of the module's `server` fixture; every run still going is stopped after the test."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        yield client
    for run in server.app.state.manager:  # stopped, not shut down: the server's store keeps storing later runs
        if not run.ended:
            run.stop()
