"""The WebSocket feed of one run: a snapshot, frames, then the final status; a refusal is a close code."""

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import Callable, Mapping

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from app.runs.feed import FeedFailed, Hub
from app.runs.stored import AnyRun
from app.runs.viewer import Viewer
from app.web.deps import HubDep, ManagerDep, SettingsDep
from app.web.origins import origin_allowed
from app.web.socket_writer import CLIENT_MESSAGE_LIMIT, SocketWriter, socket_writer

log = logging.getLogger(__name__)
router = APIRouter()

# Close codes (docs/protocol.md; static/js/protocol.js mirrors them). 4xxx: refusals that a retry cannot cure.
UNKNOWN_RUN = 4404  # no run with that id
FOREIGN_ORIGIN = 4403  # opened by a page of another site
BAD_SINCE = 4422  # `since` is not a whole number ≥ 0
UNSUPPORTED = 1003  # the viewer sent a binary message
TOO_BIG = 1009  # the viewer sent a text message over CLIENT_MESSAGE_LIMIT bytes
SERVER_ERROR = 1011  # the server failed while feeding this viewer (logged with the run id)
SHUTTING_DOWN = 1012  # the server is stopping: after the final status, or, without one, before it

SINCE = re.compile(r"[0-9]{1,18}")
EXCERPT = 20  # characters of a refused value quoted back


def _excerpt(value: str) -> str:
    return repr(value[:EXCERPT] + "…" if len(value) > EXCERPT else value)


async def _send_all(websocket: WebSocket, viewer: Viewer, writer: SocketWriter | None) -> None:
    # What the publisher could not write at once: when the socket has caught up, written straight again,
    # otherwise sent the ordinary way, which waits until the socket can take it.
    async for message in viewer.messages():
        if writer is None or not writer.write_now(message):
            await websocket.send_text(message.text)


async def _refusal(websocket: WebSocket) -> tuple[int, str] | None:
    """Read until the viewer hangs up (None) or sends what a viewer must not (the close code and reason).

    Viewers send nothing; reading is how a closed browser tab is noticed even while no frame is due. A short
    text message is ignored (a stray keep-alive harms no one)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        if message.get("bytes") is not None:
            return UNSUPPORTED, "viewers send nothing: binary messages are refused"
        if len((message.get("text") or "").encode()) > CLIENT_MESSAGE_LIMIT:  # a server without uvicorn's cap
            return TOO_BIG, f"viewers send nothing: messages over {CLIENT_MESSAGE_LIMIT} bytes are refused"


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    if websocket.application_state is WebSocketState.CONNECTED:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):  # the viewer may hang up first
            await websocket.close(code, reason)


@router.websocket("/ws/runs/{run_id}")
async def watch_run(websocket: WebSocket, run_id: str, manager: ManagerDep, hub: HubDep, settings: SettingsDep) -> None:
    """Stream one run to one viewer (`?since=N`: the losses it already holds)."""
    # Refusals come after the handshake, as close codes: a browser sees those, not an HTTP status.
    await websocket.accept()
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), settings.allowed_origins):
        await _close(websocket, FOREIGN_ORIGIN, f"pages of {_excerpt(origin or '')} may not follow runs here")
        return
    since = websocket.query_params.get("since", "0")
    if not SINCE.fullmatch(since):
        await _close(websocket, BAD_SINCE, f"since must be a whole number ≥ 0, not {_excerpt(since)}")
        return
    try:
        run = await asyncio.to_thread(manager.get, run_id)  # an ended run may be read from the database
    except KeyError:
        await _close(websocket, UNKNOWN_RUN, f"no run with id {_excerpt(run_id)}")
        return
    except Exception as error:  # a database that cannot be read
        await _failed(websocket, run_id, error)
        return
    try:
        ending = await _stream(websocket, hub, run, int(since), manager.shutdown)
    except Exception as error:
        await _failed(websocket, run.id, error)
        return
    if ending is not None:
        await _close(websocket, *ending)


async def _failed(websocket: WebSocket, run_id: str, error: Exception) -> None:
    """Log a server-side failure with the run's id, and tell the viewer (1011), so its page does not wait in
    silence."""
    trace = None if isinstance(error, FeedFailed) else error  # a feed's failure: its traceback is logged once
    log.warning("run %s: feeding a viewer failed: %r", run_id, error, exc_info=trace)
    await _close(websocket, SERVER_ERROR, "the server failed to send this run; its log says why")


async def _stream(
    websocket: WebSocket, hub: Hub, run: AnyRun, since: int, stop_runs: Callable[[], Mapping[str, str]]
) -> tuple[int, str] | None:
    """Feed the run to the viewer until its stream ends or the viewer breaks the rules (how to close the socket:
    code and reason), or until the viewer hangs up (None). A server-side failure is raised."""
    writer = socket_writer(websocket.scope)
    async with hub.subscribe(run, since, writer.write_now if writer else None) as viewer:
        if writer is not None:  # at shutdown, the server lets the feed end with the final status, then close
            writer.on_shutdown = functools.partial(hub.interrupt, stop_runs)
        sending = asyncio.create_task(_send_all(websocket, viewer, writer))
        reading = asyncio.create_task(_refusal(websocket))
        try:
            await asyncio.wait({sending, reading}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if writer is not None:
                writer.on_shutdown = None
            for task in (sending, reading):
                task.cancel()
            await asyncio.gather(sending, reading, return_exceptions=True)  # every outcome read, none left over
    failure = None if sending.cancelled() else sending.exception()
    if isinstance(failure, WebSocketDisconnect | OSError):  # the viewer went away in the middle of a send
        log.info("run %s: a viewer hung up while being sent to: %r", run.id, failure)
        return None
    if failure is not None:
        raise failure
    if not reading.cancelled() and (error := reading.exception()) is not None:
        raise error
    if not reading.cancelled():
        return reading.result()
    if hub.stopping:
        return SHUTTING_DOWN, "the server is shutting down"
    return 1000, ""
