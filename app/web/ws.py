"""The WebSocket feed of one run: a snapshot, frames, then the final status."""

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.runs.viewer import Viewer
from app.web.deps import HubDep, ManagerDep

router = APIRouter()

UNKNOWN_RUN = 4404  # close code: no run with that id


async def _send_all(websocket: WebSocket, viewer: Viewer) -> None:
    async for text in viewer.messages():
        await websocket.send_text(text)


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
    async with hub.subscribe(run, since) as viewer:
        sending = asyncio.create_task(_send_all(websocket, viewer))
        gone = asyncio.create_task(_until_gone(websocket))
        done, pending = await asyncio.wait({sending, gone}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    if sending in done and sending.exception() is None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the viewer may hang up first
            await websocket.close()
