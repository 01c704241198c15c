"""The WebSocket feed of a class: a snapshot of every run, then class frames with what is new; a refusal is a
close code, as for a run's feed."""

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection

from app.classes.hub import ClassHub
from app.classes.registry import ClassRegistry, Classroom
from app.classes.viewer import ClassViewer
from app.web.deps import SettingsDep
from app.web.origins import origin_allowed
from app.web.socket_writer import SocketWriter, socket_writer
from app.web.ws import FOREIGN_ORIGIN, SERVER_ERROR, UNKNOWN_RUN, _close, _excerpt, _refusal

log = logging.getLogger(__name__)
router = APIRouter()

UNKNOWN_CLASS = UNKNOWN_RUN  # 4404: no class with that code


def get_class_hub(connection: HTTPConnection) -> ClassHub:
    """The app's class feeds."""
    return connection.app.state.class_hub  # type: ignore[no-any-return]


async def _send_all(websocket: WebSocket, viewer: ClassViewer, writer: SocketWriter | None) -> None:
    async for message in viewer.messages():
        if writer is None or not writer.write_now(message):
            await websocket.send_text(message.text)


@router.websocket("/ws/classes/{code}")
async def watch_class(websocket: WebSocket, code: str, settings: SettingsDep) -> None:
    """Stream a class to one viewer: its snapshot, then a class frame a tick with every run's new losses."""
    await websocket.accept()
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), settings.allowed_origins):
        await _close(websocket, FOREIGN_ORIGIN, f"pages of {_excerpt(origin or '')} may not follow classes here")
        return
    registry: ClassRegistry = websocket.app.state.classes
    try:
        room = registry.get(code)
    except KeyError:
        await _close(websocket, UNKNOWN_CLASS, f"no class with code {_excerpt(code)}")
        return
    try:
        ending = await _stream(websocket, get_class_hub(websocket), room)
    except Exception as error:
        log.warning("class %s: feeding a viewer failed: %r", room.code, error)
        await _close(websocket, SERVER_ERROR, "the server failed to send this class; its log says why")
        return
    if ending is not None:
        await _close(websocket, *ending)


async def _stream(websocket: WebSocket, hub: ClassHub, room: Classroom) -> tuple[int, str] | None:
    """Feed the class to the viewer until it hangs up (None) or breaks the rules (the close code and reason)."""
    writer = socket_writer(websocket.scope)
    async with hub.subscribe(room, writer.write_now if writer else None) as viewer:
        sending = asyncio.create_task(_send_all(websocket, viewer, writer))
        reading = asyncio.create_task(_refusal(websocket))
        try:
            await asyncio.wait({sending, reading}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sending, reading):
                task.cancel()
            await asyncio.gather(sending, reading, return_exceptions=True)
    failure = None if sending.cancelled() else sending.exception()
    if isinstance(failure, WebSocketDisconnect | OSError):
        return None
    if failure is not None:
        raise failure
    if not reading.cancelled() and (error := reading.exception()) is not None:
        raise error
    return reading.result() if not reading.cancelled() else None
