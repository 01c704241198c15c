"""The baseline of bench_fanout.py: the same paced training, fanned out by a bare broadcast loop.

Started by bench_fanout.py as `python bench/fanout_baseline.py --host 127.0.0.1 --port P` (from the repository's
root, with it on PYTHONPATH). A run here is the app's own `Run` (same engine generator in a worker thread, same
pace clock, same history) and its frames are the app's own `messages.frame`, serialized once with orjson, so the
only difference from the app is the fan-out: ~30 times a second one task builds the frame and then does
`await websocket.send_text(text)` for every connected socket in turn. No slots, no merging, no per-viewer task:
a viewer that reads slowly holds up every viewer after it, and a send that takes long holds up the next frame.

Routes (the subset of the app's API that the benchmark uses): `POST /runs` (a RunConfig body), `GET /runs/{id}`,
`POST /runs/{id}/pause`, `/resume`, `/stop`, `GET /healthz`, and `WS /ws/runs/{id}` (a snapshot on join, then
frames, then a final status).
"""

import argparse
import asyncio
import contextlib
import os
import secrets
import threading
from typing import Any

import numpy as np
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs import messages
from app.runs.run import Run, RunStateError

FRAME_RATE = float(os.environ.get("AUTOGRAD_LIVE_FRAME_RATE", "30"))  # as the app reads its frame_rate
CURVE_POINTS = 200  # the app's default curve_points


class Broadcast:
    """One run and its sockets; a single task sends each frame to every socket, one after the other."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.sockets: set[WebSocket] = set()
        self.task: asyncio.Task[None] | None = None

    async def loop(self) -> None:
        """Like the app's feed ticker (sleep one interval, publish), but publishing is a serial send to all."""
        sent = 0
        while True:
            await asyncio.sleep(1.0 / FRAME_RATE)
            ended = self.run.ended  # read before `latest`: once ended, latest is final
            record = self.run.latest
            if record is not None and record.step + 1 > sent:
                text = orjson.dumps(messages.frame(self.run, sent, record, 0.0, with_graph=False)).decode()
                for websocket in list(self.sockets):
                    try:
                        await websocket.send_text(text)
                    except Exception:  # a socket that is gone leaves the broadcast
                        self.sockets.discard(websocket)
                sent = record.step + 1
            if ended:
                break
        text = orjson.dumps(messages.status(self.run, final=True)).decode()
        for websocket in list(self.sockets):
            with contextlib.suppress(Exception):
                await websocket.send_text(text)
                await websocket.close()


BROADCASTS: dict[str, Broadcast] = {}
SLOTS = threading.Semaphore(2)  # the app's default max_running_runs


def _info(run: Run) -> dict[str, Any]:
    return {"id": run.id, "status": run.status, "steps_done": run.history.count}


def _run(request: Request) -> Run:
    return BROADCASTS[request.path_params["run_id"]].run


async def create(request: Request) -> JSONResponse:
    """Start a run of a RunConfig, like the app's POST /api/runs."""
    config = RunConfig.model_validate(await request.json())
    engine = ENGINES[config.engine]
    run = Run(
        run_id=secrets.token_urlsafe(6),
        config=config,
        engine=engine,
        problem=engine.make_problem(config),
        curve_x=np.linspace(config.x_min, config.x_max, CURVE_POINTS),
        detail_interval=1.0 / FRAME_RATE,
    )
    broadcast = BROADCASTS[run.id] = Broadcast(run)
    run.start(SLOTS)
    broadcast.task = asyncio.create_task(broadcast.loop())
    return JSONResponse(_info(run), status_code=201)


async def get(request: Request) -> JSONResponse:
    """A run's status and steps done."""
    return JSONResponse(_info(_run(request)))


async def command(request: Request) -> JSONResponse:
    """pause, resume or stop."""
    run = _run(request)
    action = {"pause": run.pause, "resume": run.resume, "stop": run.stop}[request.path_params["action"]]
    try:
        action()
    except RunStateError as error:
        return JSONResponse({"detail": str(error)}, status_code=409)
    return JSONResponse(_info(run))


async def healthz(request: Request) -> JSONResponse:
    """Liveness."""
    return JSONResponse({"status": "ok"})


async def watch(websocket: WebSocket) -> None:
    """A snapshot, then whatever the broadcast loop sends, until the viewer hangs up."""
    await websocket.accept()
    broadcast = BROADCASTS.get(websocket.path_params["run_id"])
    if broadcast is None:
        await websocket.close(4404)
        return
    run = broadcast.run
    await websocket.send_text(orjson.dumps(messages.snapshot(run, 0, run.latest)).decode())
    broadcast.sockets.add(websocket)
    try:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()
    finally:
        broadcast.sockets.discard(websocket)


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/runs", create, methods=["POST"]),
        Route("/runs/{run_id}", get),
        Route("/runs/{run_id}/{action}", command, methods=["POST"]),
        WebSocketRoute("/ws/runs/{run_id}", watch),
    ]
)


def main() -> None:
    """Serve the baseline until interrupted; per-message deflate (compressing for each socket) only when the
    benchmark's viewers offer it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    deflate = bool(os.environ.get("BENCH_FANOUT_DEFLATE"))
    uvicorn.run(app, host=args.host, port=args.port, ws_per_message_deflate=deflate, log_level="warning")


if __name__ == "__main__":
    main()
