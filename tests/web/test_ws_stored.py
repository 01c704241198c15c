"""Viewers of stored runs on a real uvicorn server: whatever is read from the database is read in a thread, never on
the event loop that serves every other viewer."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import event

from app.config import Settings
from app.storage.store import RunStore
from tests.web.test_ws import check_order, losses_received, run_async, watch

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer


class Queries:
    """The SQL statements a store runs, by whether the thread that runs each is running an event loop."""

    def __init__(self) -> None:
        self.on_loop: list[str] = []
        self.off_loop: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        """SQLAlchemy's before_cursor_execute event."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            on_loop = False
        else:
            on_loop = True
        with self._lock:
            (self.on_loop if on_loop else self.off_loop).append(statement)


@contextlib.contextmanager
def queries(store: RunStore) -> Iterator[Queries]:
    """Record the statements the store runs while the block lasts."""
    seen = Queries()
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """The server the runs are made on, before the restart."""
    return serve(Settings(curve_points=20))


def test_stored_runs_are_read_off_the_event_loop(
    serve: Callable[..., LiveServer], server: LiveServer, client: httpx.Client, rest: RestRuns
) -> None:
    """After a restart, a viewer of a stored run (listed, or too old to be kept listed) gets every loss, and
    neither the run's look-up nor its steps nor its graph are read from the database on the event loop."""
    runs = [rest.finished(client, steps=30 + i, points=5, seed=i)["id"] for i in range(3)]
    histories = {run_id: client.get(f"/api/runs/{run_id}/history").json()["loss"] for run_id in runs}
    server.app.state.manager.flush()
    restarted = serve(Settings(curve_points=20, database_url=server.app.state.settings.database_url, max_kept_runs=1))
    assert [run.id for run in restarted.app.state.manager] == [runs[-1]]  # the older two are only in the store

    with queries(restarted.app.state.store) as seen:
        watched = {run_id: run_async(watch(f"{restarted.ws}/ws/runs/{run_id}")) for run_id in (runs[-1], runs[0])}

    for run_id, view in watched.items():
        check_order(view.messages)
        assert losses_received(view.messages) == histories[run_id]
        assert view.close_code == 1000
    assert seen.off_loop, "the runs were read from the database"
    assert seen.on_loop == []
