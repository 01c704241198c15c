"""Which pages may open the WebSocket and change runs: the server's own, and the origins its settings add."""

from collections.abc import Sequence
from urllib.parse import urlsplit


def origin_allowed(origin: str | None, host: str | None, allowed: Sequence[str] = ()) -> bool:
    """True for a request without an Origin (a script, curl), one from the page's own origin (the Host it asked),
    or one of the `allowed` extra origins; False for every other site, including the opaque origin "null"."""
    if origin is None:
        return True
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or host is None:
        return False
    return parts.netloc.lower() == host.lower()
