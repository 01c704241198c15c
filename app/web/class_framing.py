"""Class messages framed and compressed in the worker thread that builds them, so the event loop only writes."""

from websockets.extensions.permessage_deflate import PerMessageDeflate

from app.runs.viewer import Encoded
from app.web.socket_writer import DEFLATE, framing, text_frame


def usual_deflate() -> PerMessageDeflate:
    """The compression a browser's offer negotiates with the server's (a fresh one: an encoder is not shared)."""
    return PerMessageDeflate(
        remote_no_context_takeover=False,
        local_no_context_takeover=True,
        remote_max_window_bits=DEFLATE.client_max_window_bits or 15,
        local_max_window_bits=DEFLATE.server_max_window_bits or 15,
        compress_settings=dict(DEFLATE.compress_settings or {}),
    )


def preframe(message: Encoded) -> Encoded:
    """Make the message's frame for sockets with the usual compression now (a large snapshot takes tens of
    milliseconds to compress: not on the loop that serves everyone); other sockets frame it when they send it."""
    extensions = [usual_deflate()]
    key = framing(extensions)
    if key is not None:
        text_frame(message, key, extensions)
    return message
