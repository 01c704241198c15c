"""Frames written straight to a socket: a message framed (and compressed) once is written to every viewer with
one call each.

uvicorn's ASGI send frames, encodes and compresses a message once per socket and passes through the middleware
stack: tens of microseconds per viewer per frame. `WriterProtocol` (uvicorn's sans-I/O WebSocket protocol, which
`python -m app` serves with) offers each connection's `SocketWriter` to the app as an ASGI scope extension;
under any other server the extension is absent and messages go the ordinary way.

Per-message deflate is negotiated with `server_no_context_takeover`: every message the server sends is
compressed on its own, so one compressed frame is valid on every socket with the same window size. A frame is a
third of the JSON's size, which is what a lecture hall's network carries to hundreds of laptops.
"""

from collections.abc import Callable, Hashable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from app.runs.viewer import Encoded

EXTENSION = "autograd_live.socket_writer"
DEFLATE = ServerPerMessageDeflateFactory(
    server_no_context_takeover=True,  # what makes one compression serve every socket
    server_max_window_bits=12,  # uvicorn's own choices from here on: small windows, little memory per socket
    client_max_window_bits=12,
    compress_settings={"memLevel": 5, "level": 1},  # a frame per step of hundreds of runs: speed over a few bytes
)
PLAIN = "plain"  # the framing of a connection without extensions
CLIENT_MESSAGE_LIMIT = 4096  # bytes: viewers send nothing, so a longer message is refused (1009) before it is read
SHUTDOWN_GRACE = 10.0  # seconds the app has at server shutdown to end a stream before the socket is cut (1012)


def framing(extensions: list[Any]) -> Hashable | None:
    """How a connection with these extensions frames a message, as a key under which sockets can share one
    frame; None when each socket must frame its own (compression that carries context across messages)."""
    if not extensions:
        return PLAIN
    match extensions:
        case [PerMessageDeflate(local_no_context_takeover=True) as deflate]:
            return ("deflate", deflate.local_max_window_bits, tuple(sorted(deflate.compress_settings.items())))
    return None


def text_frame(message: Encoded, key: Hashable, extensions: list[Any]) -> bytes:
    """The message as one final, unmasked text frame, framed as `key` says (or plain, if the message is not to be
    compressed): made by the first socket that needs it, then the same bytes for every socket with the same key."""
    if not message.compress:
        key, extensions = PLAIN, []
    frame = message.frames.get(key)
    if frame is None:
        frame = message.frames[key] = Frame(Opcode.TEXT, message.data).serialize(mask=False, extensions=extensions)
    return frame


class SocketWriter:
    """Writes prepared frames to one open WebSocket, as long as the socket keeps up."""

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol
        self._key: Hashable | None = None  # known once the connection is open
        # Called instead of closing the socket when the server shuts down: the app ends the stream itself (with
        # the final status the protocol promises), then closes it.
        self.on_shutdown: Callable[[], None] | None = None

    def write_now(self, message: Encoded) -> bool:
        """Write the message now if the socket is open, its framing can be shared and nothing of earlier
        messages still waits in its buffer; False: send it the ordinary way, later."""
        protocol = self._protocol
        if (
            not protocol.writable.is_set()
            or protocol.disconnected
            or protocol.close_sent
            or protocol.conn.state is not State.OPEN
            or protocol.transport.is_closing()
        ):
            return False
        if self._key is None:
            self._key = framing(protocol.conn.extensions)
            if self._key is None:
                return False
        try:
            protocol.transport.write(text_frame(message, self._key, protocol.conn.extensions))
        except (RuntimeError, OSError):  # the peer went away before the protocol heard of it: the viewer's own
            return False  # task finds out, sending the ordinary way; the feed goes on for everyone else
        return True


class WriterProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, with shareable compression and a `SocketWriter` in each
    connection's ASGI scope."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn.available_extensions = [DEFLATE]
        self.writer: SocketWriter | None = None

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
            self.writer = SocketWriter(self)
            extensions[EXTENSION] = {"writer": self.writer}

    def shutdown(self) -> None:
        """At server shutdown uvicorn closes every socket at once (1012), before the app's lifespan ends; a socket
        whose app asked (`SocketWriter.on_shutdown`) is left to the app to end, and closed after SHUTDOWN_GRACE
        only if the app has not done so by then."""
        ending = self.writer.on_shutdown if self.writer is not None else None
        if ending is None or self.close_sent or self.disconnected:
            super().shutdown()
            return
        assert self.writer is not None
        self.writer.on_shutdown = None
        ending()
        self.loop.call_later(SHUTDOWN_GRACE, self._shutdown_late)

    def _shutdown_late(self) -> None:
        if not self.disconnected:
            super().shutdown()


def socket_writer(scope: Any) -> SocketWriter | None:
    """The connection's writer, when the server offers one."""
    offered = (scope.get("extensions") or {}).get(EXTENSION)
    return offered["writer"] if offered else None


# How uvicorn serves the app: through writers (with per-message deflate, uvicorn's default, that they share), and
# with client messages capped (uvicorn's default is 16 MiB, read whole into memory before the app sees it).
UVICORN_OPTIONS: dict[str, Any] = {"ws": WriterProtocol, "ws_max_size": CLIENT_MESSAGE_LIMIT}
