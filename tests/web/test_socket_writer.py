"""Frames written straight to sockets on a real uvicorn server: the same bytes a WebSocket client reads, every
loss once, and the ordinary path whenever the connection cannot take prepared frames."""

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from app.config import Settings
from app.runs.viewer import Encoded
from app.web.socket_writer import SocketWriter, text_frame

WaitUntil = Callable[..., None]
Message = dict[str, Any]


def parse(data: bytes) -> Frame:
    """One frame read back by the WebSocket library's own reader, as a client reads it."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False, max_size=None, extensions=[])
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        assert reader.at_eof(), "bytes left after the frame"
        return frame
    raise AssertionError("the frame was incomplete")


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 300_000])
def test_a_prepared_frame_is_one_final_unmasked_text_frame(size: int) -> None:
    """Every payload length form of RFC 6455 (7-bit, 16-bit, 64-bit) reads back as the message's JSON."""
    message = Encoded({"type": "frame", "pad": "x" * size})
    data = text_frame(message)
    frame = parse(data)
    assert frame.opcode is Opcode.TEXT and frame.fin and not frame.rsv1
    assert frame.data == message.data
    assert data[1] & 0x80 == 0, "a server's frames are not masked"
    assert text_frame(message) is data, "framed once, then shared"


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What every SocketWriter.write_now answered, in order (the server runs in this process)."""
    answers: list[bool] = []
    write_now = SocketWriter.write_now

    def counted(self: SocketWriter, message: Encoded) -> bool:
        answers.append(write_now(self, message))
        return answers[-1]

    monkeypatch.setattr(SocketWriter, "write_now", counted)
    return answers


def start_run(server: Any, **body: Any) -> str:
    """A paced run; its id."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        answer = client.post("/api/runs", json={"seed": 0, "points": 50, **body})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


async def read_all(url: str, **options: Any) -> list[Message]:
    """Every message of a run's socket until the server closes it."""
    async with connect(url, max_size=None, **options) as websocket:
        return [json.loads(text) async for text in websocket]


def losses(messages: list[Message]) -> list[float]:
    """The snapshot's and frames' losses, each frame starting where the one before ended."""
    received = list(messages[0]["loss"])
    for message in messages[1:]:
        if message["type"] == "frame":
            assert message["from"] == len(received)
            received += message["loss"]
    return received


@pytest.fixture(scope="module")
def plain(serve: Callable[..., Any]) -> Any:
    """A server as `python -m app` runs it."""
    return serve(Settings(frame_rate=30, curve_points=50))


@pytest.fixture(scope="module")
def deflating(serve: Callable[..., Any]) -> Any:
    """A server that offers per-message deflate, which a prepared frame cannot carry."""
    return serve(Settings(frame_rate=30, curve_points=50), ws_per_message_deflate=True)


@pytest.fixture
def history() -> Iterator[Callable[[Any, str], list[float]]]:
    """Reads a run's recorded losses."""
    with httpx.Client(timeout=10) as client:
        yield lambda server, run_id: client.get(f"{server.http}/api/runs/{run_id}/history").json()["loss"]


def test_a_viewer_that_keeps_up_gets_prepared_frames(
    plain: Any, writes: list[bool], history: Callable[[Any, str], list[float]]
) -> None:
    """A live run's snapshot and frames reach a reading viewer written straight to its socket, and it reads
    every loss once, in order."""
    run_id = start_run(plain, steps=400, pace=800)
    received = asyncio.run(asyncio.wait_for(read_all(f"{plain.ws}/ws/runs/{run_id}"), 30))
    frames = [m for m in received if m["type"] == "frame"]
    assert received[0]["type"] == "snapshot" and received[-1]["final"] is True
    assert losses(received) == history(plain, run_id)
    assert len(frames) >= 5
    assert writes.count(True) >= len(frames), "snapshot and frames should have been written straight"


def test_under_per_message_deflate_messages_go_the_ordinary_way(
    deflating: Any, writes: list[bool], history: Callable[[Any, str], list[float]]
) -> None:
    """With deflate negotiated, the writer refuses every message and the viewer still gets all of them."""
    run_id = start_run(deflating, steps=300, pace=800)
    url = f"{deflating.ws}/ws/runs/{run_id}"
    received = asyncio.run(asyncio.wait_for(read_all(url, compression="deflate"), 30))
    assert received[0]["type"] == "snapshot" and received[-1]["final"] is True
    assert losses(received) == history(deflating, run_id)
    assert writes and not any(writes)
