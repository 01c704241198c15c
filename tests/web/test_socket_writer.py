"""Frames written straight to sockets on a real uvicorn server: the same bytes a WebSocket client reads, every
loss once, and the ordinary path whenever the connection cannot take prepared frames."""

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import zlib
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.streams import StreamReader

from app.config import Settings
from app.runs.viewer import COMPRESS_ALONE, Encoded
from app.web.socket_writer import PLAIN, SocketWriter, framing, text_frame

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
    data = text_frame(message, PLAIN, [])
    frame = parse(data)
    assert frame.opcode is Opcode.TEXT and frame.fin and not frame.rsv1
    assert frame.data == message.data
    assert data[1] & 0x80 == 0, "a server's frames are not masked"
    assert text_frame(message, PLAIN, []) is data, "framed once, then shared"


def deflate(context_takeover: bool = False, bits: int = 12) -> PerMessageDeflate:
    """The server's side of a negotiated per-message deflate."""
    return PerMessageDeflate(False, not context_takeover, 12, bits, {"memLevel": 5})


def payload(data: bytes) -> tuple[int, bytes]:
    """The first byte and the payload of one unmasked frame, read by hand (RFC 6455, section 5.2)."""
    length, start = data[1] & 0x7F, 2
    if length == 126:
        length, start = int.from_bytes(data[2:4]), 4
    elif length == 127:
        length, start = int.from_bytes(data[2:10]), 10
    assert len(data) == start + length
    return data[0], data[start:]


def test_a_compressed_frame_inflates_on_its_own_to_the_json() -> None:
    """With no context taken over, each message's frame inflates with a fresh decompressor (zlib, as RFC 7692
    says: append 00 00 ff ff), so one compressed frame serves every socket; it is much smaller than the JSON."""
    extension = deflate()
    key = framing([extension])
    messages = [Encoded({"type": "frame", "loss": [1 / (i + 1) for i in range(400)], "n": n}) for n in range(3)]
    for message in messages:
        data = text_frame(message, key, [extension])
        first, body = payload(data)
        assert first == 0b1100_0001, "FIN, RSV1 (compressed), text"
        assert zlib.decompressobj(-12).decompress(body + b"\x00\x00\xff\xff") == message.data
        assert len(body) < len(message.data) / 2
        assert text_frame(message, key, [extension]) is data


def test_framing_is_shared_only_where_it_can_be() -> None:
    """No extension, or deflate without context takeover: a key that sockets share (one per window size);
    deflate that carries context from message to message: none, each socket frames its own."""
    assert framing([]) == PLAIN
    assert framing([deflate(bits=12)]) == framing([deflate(bits=12)]) != framing([deflate(bits=10)])
    assert framing([deflate(context_takeover=True)]) is None


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
def server(serve: Callable[..., Any]) -> Any:
    """A server as `python -m app` runs it."""
    return serve(Settings(frame_rate=30, curve_points=50))


@pytest.fixture
def history() -> Iterator[Callable[[Any, str], list[float]]]:
    """Reads a run's recorded losses."""
    with httpx.Client(timeout=10) as client:
        yield lambda server, run_id: client.get(f"{server.http}/api/runs/{run_id}/history").json()["loss"]


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_a_viewer_that_keeps_up_gets_prepared_frames(
    server: Any, writes: list[bool], history: Callable[[Any, str], list[float]], compression: str | None
) -> None:
    """A live run's snapshot and frames reach a reading viewer written straight to its socket, compressed or
    not, and it reads every loss once, in order."""
    run_id = start_run(server, steps=400, pace=800)
    url = f"{server.ws}/ws/runs/{run_id}"
    received = asyncio.run(asyncio.wait_for(read_all(url, compression=compression), 30))
    frames = [m for m in received if m["type"] == "frame"]
    assert received[0]["type"] == "snapshot" and received[-1]["final"] is True
    assert losses(received) == history(server, run_id)
    assert len(frames) >= 5
    assert writes.count(True) >= len(frames), "snapshot and frames should have been written straight"


def read_compressed(port: int, path: str) -> tuple[str, list[tuple[int, bytes]]]:
    """A bare WebSocket client that offers per-message deflate: the handshake's answer, then each frame's first
    byte and payload, as sent, up to the server's close."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock, sock.makefile("rb") as stream:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n".encode()
        )
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += stream.read(1)
        frames = []
        while True:
            first, second = stream.read(2)
            length = second & 0x7F
            if length >= 126:
                length = int.from_bytes(stream.read(2 if length == 126 else 8))
            frames.append((first, stream.read(length)))
            if first & 0x0F == 0x8:
                return head.decode(), frames


def inflated(first: int, body: bytes) -> bytes:
    """A message's payload as JSON bytes: inflated by a fresh decompressor when RSV1 says it is compressed."""
    return zlib.decompressobj(-12).decompress(body + b"\x00\x00\xff\xff") if first & 0x40 else body


def test_a_lone_viewers_small_frames_come_plain_and_the_rest_compressed(server: Any) -> None:
    """Offered per-message deflate, the server takes it without context takeover. A run's frames for its one
    viewer, small, come as plain text frames (RSV1 clear: per message, compression is the sender's choice); the
    snapshot and the final status come compressed, each inflating alone, far smaller than their JSON."""
    run_id = start_run(server, steps=300, pace=600)
    head, frames = read_compressed(server.port, f"/ws/runs/{run_id}")
    assert head.startswith("HTTP/1.1 101") and "server_no_context_takeover" in head
    texts = [(first, body) for first, body in frames if first & 0x0F == 0x1]
    received = [json.loads(inflated(first, body)) for first, body in texts]
    assert [m["type"] for m in received[:2]] == ["snapshot", "frame"] and received[-1]["final"] is True
    with httpx.Client(timeout=10) as client:
        assert losses(received) == client.get(f"{server.http}/api/runs/{run_id}/history").json()["loss"]
    kinds = {message["type"]: first for message, (first, _) in zip(received, texts, strict=True)}
    assert kinds == {"snapshot": 0b1100_0001, "frame": 0b1000_0001, "status": 0b1100_0001}
    small = [len(body) for (first, body), m in zip(texts, received, strict=True) if m["type"] == "frame"]
    assert len(small) >= 5 and max(small) <= COMPRESS_ALONE
    snapshot_first, snapshot_body = texts[0]
    assert len(snapshot_body) < len(inflated(snapshot_first, snapshot_body)) / 2


def test_only_messages_for_one_socket_that_are_small_go_plain() -> None:
    """Compressed: a message several sockets share, or one larger than COMPRESS_ALONE; plain: a small one for one
    socket. Either way the frame reads back as the JSON."""
    extension = deflate()
    key = framing([extension])
    small = {"type": "frame", "loss": [0.5] * 10}
    large = {"type": "frame", "curve": [1 / (i + 1) for i in range(2000)]}
    for body, shared, compressed in [(small, True, True), (small, False, False), (large, False, True)]:
        message = Encoded(body, shared=shared)
        first, data = payload(text_frame(message, key, [extension]))
        assert bool(first & 0x40) == compressed
        assert inflated(first, data) == message.data


class GoneTransport:
    """A transport whose peer has just gone: closing, or refusing writes as a closed handle does."""

    def __init__(self, closing: bool) -> None:
        self.closing = closing

    def is_closing(self) -> bool:
        return self.closing

    def write(self, data: bytes) -> None:
        raise RuntimeError("unable to perform operation on a closed transport")


@pytest.mark.parametrize("closing", [True, False])
def test_a_socket_whose_peer_is_gone_refuses_instead_of_raising(closing: bool) -> None:
    """Whether the transport already says it is closing or only fails the write, write_now answers False, so
    the feed's pass over the other viewers goes on."""
    protocol = SimpleNamespace(
        writable=asyncio.Event(),
        disconnected=False,
        close_sent=False,
        conn=SimpleNamespace(state=State.OPEN, extensions=[]),
        transport=GoneTransport(closing),
    )
    protocol.writable.set()
    assert SocketWriter(protocol).write_now(Encoded({"type": "status"})) is False  # type: ignore[arg-type]


def hang_up_abruptly(port: int, path: str, after: float) -> None:
    """A viewer that completes the handshake, reads for `after` seconds, then resets the connection (RST)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    sock.settimeout(after)
    with contextlib.suppress(TimeoutError):
        while sock.recv(65536):
            pass
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    sock.close()


def test_viewers_that_vanish_mid_stream_cost_the_others_nothing(
    server: Any, history: Callable[[Any, str], list[float]]
) -> None:
    """Twenty viewers reset their connections at different moments while a run streams; the one that stays
    still gets every loss once and the final status."""
    run_id = start_run(server, steps=600, pace=600)
    path = f"/ws/runs/{run_id}"

    async def scenario() -> list[Message]:
        staying = asyncio.create_task(read_all(f"{server.ws}{path}"))
        await asyncio.gather(*(asyncio.to_thread(hang_up_abruptly, server.port, path, 0.05 * i) for i in range(1, 21)))
        return await staying

    received = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert received[0]["type"] == "snapshot" and received[-1]["final"] is True
    assert losses(received) == history(server, run_id)
