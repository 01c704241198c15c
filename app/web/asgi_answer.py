"""An answer written straight to an ASGI `send`, for the middleware that refuses a request before any route."""

from typing import Any

import orjson
from starlette.types import Send


async def send_json(send: Send, status: int, content: Any, headers: dict[str, str] | None = None) -> None:
    """`content` as a JSON answer with this status (FastAPI's error shape is `{"detail": ...}`)."""
    body = orjson.dumps(content)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(name.lower().encode(), value.encode("latin-1")) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
