"""The WebSocket feed on a real uvicorn server: order and shapes, every loss once, rate limit, slow viewers."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import socket
import struct
import time
import typing
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx
import pytest
import typing_extensions
from pydantic import Field, PydanticUserError, TypeAdapter
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from app.config import Settings
from app.protocol import Frame, Snapshot, StatusMessage

if TYPE_CHECKING:
    from tests.conftest import RestRuns
    from tests.web.conftest import LiveServer

WaitUntil = Callable[..., None]
Message = dict[str, Any]
T = TypeVar("T")

PROTOCOL = (Snapshot, Frame, StatusMessage)
KEYS = {
    "snapshot": Snapshot.__required_keys__,
    "frame": Frame.__required_keys__,
    "status": StatusMessage.__required_keys__,
}
FRAME_RATE = 30


def _redeclared(shape: Any) -> Any:
    """The same TypedDict, field for field, declared with typing_extensions (pydantic's need before Python 3.12)."""
    fields = {
        name: _redeclared(hint) if typing.is_typeddict(hint) else hint
        for name, hint in typing.get_type_hints(shape).items()
    }
    return typing_extensions.TypedDict(shape.__name__, fields)  # type: ignore[operator]


def _message_adapter(shapes: tuple[Any, ...]) -> TypeAdapter[Any]:
    """A validator of any protocol message, dispatching on its `type`."""
    return TypeAdapter(Annotated[typing.Union[shapes], Field(discriminator="type")])  # noqa: UP007


def test_protocol_typeddicts_build_pydantic_validators() -> None:
    """app/protocol.py's TypedDicts can be given to a pydantic TypeAdapter as they are (its docstring's promise)."""
    adapter = _message_adapter(PROTOCOL)
    status = '{"type": "status", "status": "paused", "message": null, "final": false}'
    assert adapter.validate_json(status)["status"] == "paused"


try:
    MESSAGE = _message_adapter(PROTOCOL)
except PydanticUserError:  # the test above reports it; validate against the same fields meanwhile
    MESSAGE = _message_adapter(tuple(_redeclared(shape) for shape in PROTOCOL))


def validated(text: str) -> Message:
    """Parse one message, checking it against its TypedDict in app/protocol.py (strictly, and no extra keys)."""
    MESSAGE.validate_json(text, strict=True)
    message: Message = json.loads(text)
    kind = {"snapshot": Snapshot, "frame": Frame, "status": StatusMessage}[message["type"]]
    assert KEYS[message["type"]] <= set(message) <= kind.__required_keys__ | kind.__optional_keys__, message["type"]
    return message


@dataclass
class Watched:
    """What one viewer received, when, and how its socket closed."""

    messages: list[Message] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str | None = None


WATCH_TIMEOUT = 30.0  # seconds: a socket that never ends fails its test instead of hanging the suite
RUN_SECONDS = 5.0  # how long a run that must outlast its viewers' frames goes on at the measured rate


def run_async(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a client scenario on a fresh event loop, failing it after WATCH_TIMEOUT."""
    return asyncio.run(asyncio.wait_for(scenario, WATCH_TIMEOUT))


async def watch(url: str, stop_after: int | None = None) -> Watched:
    """Read a run's socket until the server closes it (or `stop_after` messages, then hang up)."""
    watched = Watched()
    async with connect(url, max_size=None) as websocket:
        try:
            async for text in websocket:
                watched.messages.append(validated(text))
                watched.times.append(time.monotonic())
                if stop_after is not None and len(watched.messages) >= stop_after:
                    break
        except ConnectionClosedError:
            pass
    watched.close_code, watched.close_reason = websocket.close_code, websocket.close_reason
    return watched


def check_order(messages: list[Message]) -> None:
    """One snapshot first, then frames and statuses, and exactly one final status, last."""
    assert messages and messages[0]["type"] == "snapshot"
    assert all(m["type"] in {"frame", "status"} for m in messages[1:])
    finals = [i for i, m in enumerate(messages) if m["type"] == "status" and m["final"]]
    assert finals == [len(messages) - 1]


def losses_received(messages: list[Message]) -> list[float]:
    """Snapshot and frame losses concatenated; each frame's `from` must equal the count received so far."""
    snapshot = messages[0]
    losses = list(snapshot["loss"])
    count = snapshot["loss_from"] + len(losses)
    for message in messages[1:]:
        if message["type"] == "frame":
            assert message["from"] == count, "a frame must start where the previous one ended"
            assert message["step"] == count + len(message["loss"]) - 1
            losses += message["loss"]
            count += len(message["loss"])
    return losses


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """One server for this module, at the default frame rate."""
    return serve(Settings(frame_rate=FRAME_RATE, curve_points=50, max_steps=1_000_000, max_active_runs=30))


def history_losses(client: httpx.Client, run_id: str) -> list[float]:
    """The run's losses from the history endpoint."""
    return client.get(f"/api/runs/{run_id}/history").json()["loss"]  # type: ignore[no-any-return]


def test_messages_come_in_order_and_match_the_protocol(
    server: LiveServer, client: httpx.Client, rest: RestRuns, wait_until: WaitUntil
) -> None:
    """snapshot → frames and statuses (pause, resume) → final status, each valid against app/protocol.py."""
    run_id = rest.create(client, steps=100, pace=100, points=20, seed=2)["id"]
    token = rest.steering(run_id)
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "running", 10, "the run to start")

    async def scenario() -> Watched:
        watched = Watched()
        async with (
            httpx.AsyncClient(base_url=server.http, timeout=10) as steer,
            connect(f"{server.ws}/ws/runs/{run_id}", max_size=None) as websocket,
        ):
            paused = False
            async for text in websocket:
                message = validated(text)
                watched.messages.append(message)
                if message["type"] == "frame" and not paused:
                    assert (await steer.post(f"/api/runs/{run_id}/pause", headers=token)).status_code == 200
                    paused = True
                elif message["type"] == "status" and message["status"] == "paused":
                    assert (await steer.post(f"/api/runs/{run_id}/resume", headers=token)).status_code == 200
        watched.close_code = websocket.close_code
        return watched

    watched = run_async(scenario())
    check_order(watched.messages)
    statuses = [m["status"] for m in watched.messages if m["type"] == "status"]
    assert statuses == ["paused", "running", "finished"]
    assert [m["final"] for m in watched.messages if m["type"] == "status"] == [False, False, True]
    assert losses_received(watched.messages) == history_losses(client, run_id)
    assert watched.close_code == 1000


def test_viewer_joining_mid_run_gets_every_loss_exactly_once(
    server: LiveServer, client: httpx.Client, rest: RestRuns, wait_until: WaitUntil
) -> None:
    """A viewer joining a ~2 s run midway: snapshot + frames equal the history's losses, in order, none twice."""
    run_id = rest.create(client, steps=200, pace=100, points=50, seed=1)["id"]
    wait_until(lambda: client.get(f"/api/runs/{run_id}").json()["steps_done"] >= 40, 10, "40 steps")
    started = time.monotonic()
    watched = run_async(watch(f"{server.ws}/ws/runs/{run_id}"))
    elapsed = time.monotonic() - started

    check_order(watched.messages)
    snapshot = watched.messages[0]
    assert snapshot["loss_from"] == 0 and len(snapshot["loss"]) >= 40
    assert losses_received(watched.messages) == history_losses(client, run_id)
    assert watched.messages[-1] == {"type": "status", "status": "finished", "message": None, "final": True}
    assert watched.close_code == 1000

    # The run makes 100 steps a second, so without the limit there would be up to 100 frames a second.
    frames = [m for m in watched.messages if m["type"] == "frame"]
    assert 5 <= len(frames) <= FRAME_RATE * elapsed * 1.3 + 3
    assert all(frame["rate"] >= 0 for frame in frames)


def test_reconnecting_with_since_continues_where_the_viewer_left(
    server: LiveServer, client: httpx.Client, rest: RestRuns
) -> None:
    """A viewer that hangs up after N losses and reconnects with ?since=N gets losses from N on, none lost."""
    run_id = rest.create(client, steps=150, pace=100, points=20, seed=4)["id"]
    url = f"{server.ws}/ws/runs/{run_id}"

    async def scenario() -> tuple[Watched, Watched]:
        first = await watch(url, stop_after=4)
        have = len(losses_received(first.messages))
        return first, await watch(f"{url}?since={have}")

    first, second = run_async(scenario())
    have = len(losses_received(first.messages))
    assert 0 < have < 150
    assert second.messages[0]["loss_from"] == have
    check_order(second.messages)
    history = history_losses(client, run_id)
    assert losses_received(second.messages) == history[have:]
    assert losses_received(first.messages) + losses_received(second.messages) == history

    late = run_async(watch(f"{url}?since=37"))
    assert [m["type"] for m in late.messages] == ["snapshot", "status"]
    assert late.messages[0]["loss_from"] == 37 and late.messages[0]["loss"] == history[37:]


def test_finished_runs_viewer_gets_snapshot_then_final_status(
    server: LiveServer, client: httpx.Client, rest: RestRuns
) -> None:
    """Watching an ended run yields its whole snapshot, then the final status, then a normal close."""
    run_id = rest.create(client, steps=20, points=8, seed=0)["id"]
    info = rest.wait_ended(client, run_id)
    watched = run_async(watch(f"{server.ws}/ws/runs/{run_id}"))
    assert [m["type"] for m in watched.messages] == ["snapshot", "status"]
    snapshot, final = watched.messages
    assert snapshot["loss"] == history_losses(client, run_id) and snapshot["step"] == 19
    assert snapshot["params"] == info["params"] and snapshot["run"]["status"] == "finished"
    assert final == {"type": "status", "status": "finished", "message": None, "final": True}
    assert watched.close_code == 1000


def test_unknown_run_closes_with_4404(server: LiveServer) -> None:
    """A socket for an unknown run id is closed with code 4404 and no message."""
    watched = run_async(watch(f"{server.ws}/ws/runs/nope"))
    assert watched.messages == []
    assert watched.close_code == 4404
    assert watched.close_reason is not None and "nope" in watched.close_reason


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy reports the overflow the run provokes
def test_no_non_finite_number_reaches_the_wire(server: LiveServer, client: httpx.Client, rest: RestRuns) -> None:
    """A run whose weights overflow the drawn curve ends diverged, and its snapshot still carries only numbers."""
    run_id = rest.create(client, steps=5, points=50, learning_rate=1e304, seed=0)["id"]
    info = rest.wait_ended(client, run_id)
    assert info["status"] == "diverged"
    watched = run_async(watch(f"{server.ws}/ws/runs/{run_id}"))
    assert [m["type"] for m in watched.messages] == ["snapshot", "status"]
    assert None not in watched.messages[0]["curve"]


class RawViewer:
    """A WebSocket client on a bare socket with a tiny receive buffer, that reads nothing until told to."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(20)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.stream = self.sock.makefile("rb")

    def read_all(self) -> tuple[list[str], int]:
        """Read the handshake and every text message up to the server's close frame; return them and its code."""
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += self.stream.read(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        texts: list[str] = []
        fragments: list[bytes] = []
        while True:
            first, second = self.stream.read(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self.stream.read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self.stream.read(8))
            payload = self.stream.read(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                return texts, struct.unpack("!H", payload[:2])[0]
            if opcode in {0x0, 0x1}:
                fragments.append(payload)
                if first & 0x80:
                    texts.append(b"".join(fragments).decode())
                    fragments.clear()

    def close(self) -> None:
        """Hang up."""
        self.stream.close()
        self.sock.close()


@pytest.fixture(scope="module")
def big_frame_server(serve: Callable[..., LiveServer]) -> LiveServer:
    """A server drawing 5000-point curves (big frames), with small socket send buffers so a stalled socket fills."""
    return serve(Settings(frame_rate=FRAME_RATE, curve_points=5000, max_steps=1_000_000), send_buffer=64 * 1024)


def test_viewer_that_never_reads_holds_back_neither_the_run_nor_other_viewers(
    big_frame_server: LiveServer, rest: RestRuns, wait_until: WaitUntil
) -> None:
    """A viewer that never reads slows neither the run nor the other viewer, and later gets merged frames."""
    server = big_frame_server
    with httpx.Client(base_url=server.http, timeout=10) as client:
        baseline_id = rest.create(client, steps=20_000, points=2, seed=0)["id"]
        baseline = rest.wait_ended(client, baseline_id)
        assert baseline["status"] == "finished"
        baseline_seconds = (_moment(baseline["ended_at"]) - _moment(baseline["started_at"])).total_seconds()
        baseline_rate = 20_000 / baseline_seconds
        # About RUN_SECONDS of steps at the rate this machine gives now, so a busy machine's run still ends in time.
        steps = max(20_000, round(baseline_rate * RUN_SECONDS))

        run_id = rest.create(client, steps=steps, points=2, seed=0)["id"]
        assert client.post(f"/api/runs/{run_id}/pause", headers=rest.steering(run_id)).status_code == 200
        stalled = RawViewer(server.port, f"/ws/runs/{run_id}")
        try:

            async def healthy_view() -> tuple[Watched, float]:
                watched = Watched()
                async with connect(f"{server.ws}/ws/runs/{run_id}", max_size=None) as websocket:
                    watched.messages.append(validated(await websocket.recv()))  # type: ignore[arg-type]
                    # Both viewers are in (the hub is in this process); only then does the run go on.
                    await asyncio.to_thread(wait_until, lambda: _viewers(server, run_id) == 2, 10, "two viewers")
                    resumed = time.monotonic()
                    assert client.post(f"/api/runs/{run_id}/resume", headers=rest.steering(run_id)).status_code == 200
                    async for text in websocket:
                        watched.messages.append(validated(text))
                        watched.times.append(time.monotonic())
                return watched, resumed

            healthy, resumed = run_async(healthy_view())
            info = client.get(f"/api/runs/{run_id}").json()
            history = history_losses(client, run_id)
            stalled_texts, stalled_close = stalled.read_all()
        finally:
            stalled.close()

    assert info["status"] == "finished"
    check_order(healthy.messages)
    assert losses_received(healthy.messages) == history
    healthy_frames = [m for m in healthy.messages if m["type"] == "frame"]
    run_seconds = healthy.times[-1] - resumed
    assert len(healthy_frames) >= 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(healthy.times)]
    assert max(gaps) < 1.0, f"the reading viewer waited {max(gaps):.2f} s on the stalled one"

    steps_after_resume = steps - len(healthy.messages[0]["loss"])
    rate = steps_after_resume / run_seconds
    assert rate > baseline_rate / 4, f"the stalled viewer slowed the run to {rate:.0f} steps/s from {baseline_rate:.0f}"

    stalled_messages = [validated(text) for text in stalled_texts]
    check_order(stalled_messages)
    assert stalled_close == 1000
    assert losses_received(stalled_messages) == history
    stalled_frames = [m for m in stalled_messages if m["type"] == "frame"]
    assert len(stalled_frames) < len(healthy_frames) / 2, (
        f"the stalled viewer's frames should have merged: {len(stalled_frames)} against {len(healthy_frames)}"
    )


def _moment(iso: str) -> datetime:
    """A timestamp of RunInfo as a datetime."""
    return datetime.fromisoformat(iso)


def _viewers(server: LiveServer, run_id: str) -> int:
    """How many sockets the server's hub feeds this run to (white-box: the hub lives in this process)."""
    feed = server.app.state.hub._feeds.get(run_id)
    return len(feed.viewers) if feed is not None else 0
