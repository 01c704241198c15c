"""Frames written straight to a socket: a message framed once is written to every viewer with one call each.

uvicorn's ASGI send frames and encodes a message once per socket and passes through the middleware stack: tens
of microseconds per viewer per frame. `WriterProtocol` (uvicorn's sans-I/O WebSocket protocol, which `python -m
app` serves with) offers each connection's `SocketWriter` to the app as an ASGI scope extension; under any other
server the extension is absent and messages go the ordinary way.
"""

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from app.runs.viewer import Encoded

EXTENSION = "autograd_live.socket_writer"


def text_frame(message: Encoded) -> bytes:
    """The message as one final, unmasked text frame: the same bytes for every socket (made once, then kept)."""
    if message.frame is None:
        message.frame = Frame(Opcode.TEXT, message.data).serialize(mask=False)
    return message.frame


class SocketWriter:
    """Writes prepared frames to one open WebSocket, as long as the socket keeps up."""

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def write_now(self, message: Encoded) -> bool:
        """Write the message now if the socket is open, uses no extension (per-message deflate would have to
        compress it per socket) and has nothing of earlier messages still waiting; False: send it later."""
        protocol = self._protocol
        if (
            not protocol.writable.is_set()
            or protocol.disconnected
            or protocol.close_sent
            or protocol.conn.state is not State.OPEN
            or protocol.conn.extensions
        ):
            return False
        protocol.transport.write(text_frame(message))
        return True


class WriterProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, with a `SocketWriter` in each connection's ASGI scope."""

    def connection_made(self, transport: Any) -> None:
        """Count the socket as backed up as soon as anything waits in its buffer, so a viewer that falls behind
        gets merged frames from its slot rather than a queue of stale ones."""
        super().connection_made(transport)
        self.transport.set_write_buffer_limits(high=0)

    def handle_connect(self, event: Any) -> None:
        """Accept or refuse the handshake as uvicorn does; an accepted connection's scope gets its writer."""
        super().handle_connect(event)
        if self.response.status_code == 101:
            extensions = self.scope.setdefault("extensions", {})
            assert extensions is not None
            extensions[EXTENSION] = {"writer": SocketWriter(self)}


def socket_writer(scope: Any) -> SocketWriter | None:
    """The connection's writer, when the server offers one."""
    offered = (scope.get("extensions") or {}).get(EXTENSION)
    return offered["writer"] if offered else None


# How uvicorn serves the app: with writers, and without per-message deflate (which compresses a frame once per
# viewer, and which a writer would have to leave to the ordinary path anyway).
UVICORN_OPTIONS: dict[str, Any] = {"ws": WriterProtocol, "ws_per_message_deflate": False}
