"""Hostile and broken WebSocket clients on a real uvicorn server: foreign origins, bad `since`, binary and
oversize messages, a run that cannot be read; each gets its own close code and the server logs nothing it should
not, while the other viewers go on."""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from app.config import Settings
from app.web.socket_writer import CLIENT_MESSAGE_LIMIT
from tests.web.test_ws import Watched, check_order, losses_received, run_async, validated

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

ServerErrors = Callable[[], list[logging.LogRecord]]

EXTRA_ORIGIN = "https://slides.example"


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """One server for this module, which also lets pages of one other origin in."""
    return serve(Settings(curve_points=20, max_steps=100_000, allowed_origins=[EXTRA_ORIGIN]))


@pytest.fixture
def server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """What the served app has logged at warning or above: its own loggers, asyncio's (a task exception never
    retrieved) and uvicorn's (an exception in the ASGI application; uvicorn's loggers do not propagate)."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(caplog.handler)

    def records() -> list[logging.LogRecord]:
        gc.collect()  # a task dropped with an exception reports it when collected
        return [record for record in caplog.records if record.levelno >= logging.WARNING]

    try:
        yield records
    finally:
        uvicorn_log.removeHandler(caplog.handler)


async def read_all(websocket: ClientConnection, watched: Watched) -> Watched:
    """Read until the server closes the socket; keep the messages and how it closed."""
    try:
        async for text in websocket:
            watched.messages.append(validated(str(text)))
    except ConnectionClosed:
        pass
    watched.close_code, watched.close_reason = websocket.close_code, websocket.close_reason
    return watched


async def watch(url: str, **options: Any) -> Watched:
    """Connect with these options (an `origin`), read until closed."""
    async with connect(url, max_size=None, **options) as websocket:
        return await read_all(websocket, Watched())


def paced_run(client: httpx.Client, rest: RestRuns, steps: int = 40) -> str:
    """A short run at 40 steps a second: its socket stays open long enough to misbehave on."""
    return rest.create(client, steps=steps, pace=40, points=10, seed=3)["id"]


def history_losses(client: httpx.Client, run_id: str) -> list[float]:
    """The run's losses from the history endpoint."""
    return client.get(f"/api/runs/{run_id}/history").json()["loss"]  # type: ignore[no-any-return]


FOREIGN = ["http://evil.example", "null", "http://127.0.0.1.evil.example", "file://", "http://localhost"]
BAD_SINCE = ["abc", "-1", "1.5", "", "+3", "1e3", "٣", "9" * 40, " 4"]


def test_a_page_of_another_site_is_refused_with_4403_and_its_own_page_is_served(
    server: LiveServer, client: httpx.Client, rest: RestRuns
) -> None:
    """A socket opened by another site's page (what a browser sends as Origin) is closed with 4403 before any
    message: a page a student opens cannot read the runs of a LAN server. No Origin (a script), the page's own
    origin and an origin the settings add get the whole run."""
    run_id = rest.finished(client, steps=5, points=5)["id"]
    url = f"{server.ws}/ws/runs/{run_id}"

    async def scenario() -> tuple[list[Watched], list[Watched]]:
        refused = [await watch(url, origin=Origin(origin)) for origin in FOREIGN]
        served = [await watch(url), *[await watch(url, origin=Origin(o)) for o in (server.http, EXTRA_ORIGIN)]]
        return refused, served

    refused, served = run_async(scenario())
    for origin, watched in zip(FOREIGN, refused, strict=True):
        assert (watched.messages, watched.close_code) == ([], 4403), origin
        assert watched.close_reason and "may not follow runs here" in watched.close_reason
    for watched in served:
        assert [m["type"] for m in watched.messages] == ["snapshot", "status"]
        assert watched.close_code == 1000


def test_a_bad_since_is_refused_with_4422_naming_it(server: LiveServer, client: httpx.Client, rest: RestRuns) -> None:
    """`since` that is not a whole number ≥ 0 is answered with a close code the browser sees (4422) and a reason
    naming the parameter, quoting at most a short excerpt; not an HTTP 403 that says nothing. A whole number past
    the run's end is no error: the snapshot starts at the end."""
    run_id = rest.finished(client, steps=5, points=5)["id"]
    url = f"{server.ws}/ws/runs/{run_id}"

    async def scenario() -> tuple[list[Watched], Watched]:
        return [await watch(f"{url}?since={quote(since)}") for since in BAD_SINCE], await watch(f"{url}?since={10**17}")

    refused, past_the_end = run_async(scenario())
    for since, watched in zip(BAD_SINCE, refused, strict=True):
        assert (watched.messages, watched.close_code) == ([], 4422), since
        assert watched.close_reason and watched.close_reason.startswith("since must be a whole number ≥ 0")
        assert len(watched.close_reason) < 80
    assert past_the_end.messages[0]["loss_from"] == 5 and past_the_end.messages[0]["loss"] == []
    assert past_the_end.close_code == 1000


def test_an_unknown_run_id_is_quoted_shortly(server: LiveServer) -> None:
    """The 4404 reason quotes a long id only in part (a close reason must fit 123 bytes)."""
    watched = run_async(watch(f"{server.ws}/ws/runs/{'x' * 500}"))
    assert watched.close_code == 4404
    assert watched.close_reason and "xxxx" in watched.close_reason and len(watched.close_reason) < 60


async def misbehave(url: str, *sends: str | bytes) -> Watched:
    """Read the snapshot, send these messages, then read until the server closes the socket."""
    async with connect(url, max_size=None) as websocket:
        watched = Watched(messages=[validated(str(await websocket.recv()))])
        for message in sends:
            await websocket.send(message)
        return await read_all(websocket, watched)


def test_a_binary_message_closes_with_1003_and_the_server_logs_no_error(
    server: LiveServer, client: httpx.Client, rest: RestRuns, server_errors: ServerErrors
) -> None:
    """Viewers send nothing: a binary message is answered with a close frame, 1003 (unsupported data), not a
    task that dies with KeyError('text') and a dropped connection; another viewer of the run gets all of it."""
    run_id = paced_run(client, rest)
    url = f"{server.ws}/ws/runs/{run_id}"

    async def scenario() -> tuple[Watched, Watched]:
        return await asyncio.gather(misbehave(url, b"\x00\x01binary"), watch(url))

    rude, polite = run_async(scenario())
    assert rude.close_code == 1003
    assert rude.close_reason and "binary" in rude.close_reason
    check_order(polite.messages)
    assert losses_received(polite.messages) == history_losses(client, run_id)
    assert [record.getMessage() for record in server_errors()] == []


def test_an_oversize_message_closes_with_1009_and_a_short_one_is_ignored(
    server: LiveServer, client: httpx.Client, rest: RestRuns, server_errors: ServerErrors
) -> None:
    """A text message over the limit is refused (1009, message too big) before the server holds it; a short one
    (a stray keep-alive) changes nothing: the stream goes on to its end."""
    run_id = paced_run(client, rest)
    url = f"{server.ws}/ws/runs/{run_id}"

    async def scenario() -> tuple[Watched, Watched]:
        return await asyncio.gather(misbehave(url, "ping", "x" * (CLIENT_MESSAGE_LIMIT + 1)), misbehave(url, "ping"))

    oversize, chatty = run_async(scenario())
    assert oversize.close_code == 1009
    check_order(chatty.messages)
    assert losses_received(chatty.messages) == history_losses(client, run_id)
    assert chatty.close_code == 1000
    assert [record.getMessage() for record in server_errors()] == []


def test_a_run_that_cannot_be_read_closes_with_1011_and_is_logged_with_its_id(
    serve: Callable[..., LiveServer],
    server: LiveServer,
    client: httpx.Client,
    rest: RestRuns,
    server_errors: ServerErrors,
) -> None:
    """A stored run whose steps are damaged in the database: the viewer is told (1011, the server's fault) rather
    than dropped in silence to reconnect forever, and the server's log names the run and the error."""
    run_id = rest.finished(client, steps=5, points=5)["id"]
    server.app.state.manager.flush()
    database = server.app.state.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE chunks SET loss = ? WHERE run_id = ?", (b"\x01\x02\x03", run_id))
    restarted = serve(Settings(curve_points=20, database_url=server.app.state.settings.database_url))

    watched = run_async(watch(f"{restarted.ws}/ws/runs/{run_id}"))
    assert watched.messages == []
    assert watched.close_code == 1011
    assert watched.close_reason and "log" in watched.close_reason
    warnings = [record for record in server_errors() if record.name == "app.web.ws"]
    assert len(warnings) == 1 and run_id in warnings[0].getMessage() and warnings[0].exc_info is not None
