"""The WebSocket feed of one run: a snapshot, frames, then the final status."""

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.runs.viewer import Viewer
from app.web.deps import HubDep, ManagerDep
from app.web.socket_writer import SocketWriter, socket_writer

router = APIRouter()

UNKNOWN_RUN = 4404  # close code: no run with that id


async def _send_all(websocket: WebSocket, viewer: Viewer, writer: SocketWriter | None) -> None:
    # What the publisher could not write at once: when the socket has caught up, written straight again,
    # otherwise sent the ordinary way, which waits until the socket can take it.
    async for message in viewer.messages():
        if writer is None or not writer.write_now(message):
            await websocket.send_text(message.text)


async def _until_gone(websocket: WebSocket) -> None:
    # Viewers send nothing; reading is how a closed browser tab is noticed even while no frame is due.
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()


@router.websocket("/ws/runs/{run_id}")
async def watch_run(websocket: WebSocket, run_id: str, manager: ManagerDep, hub: HubDep, since: int = 0) -> None:
    """Stream one run to one viewer."""
    await websocket.accept()
    try:
        run = manager.get(run_id)
    except KeyError:
        await websocket.close(UNKNOWN_RUN, f"no run with id {run_id!r}")
        return
    writer = socket_writer(websocket.scope)
    async with hub.subscribe(run, since, writer.write_now if writer else None) as viewer:
        sending = asyncio.create_task(_send_all(websocket, viewer, writer))
        gone = asyncio.create_task(_until_gone(websocket))
        done, pending = await asyncio.wait({sending, gone}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    if sending in done and sending.exception() is None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the viewer may hang up first
            await websocket.close()
