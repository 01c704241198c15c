"""JSON bodies read strictly: no NaN or Infinity, no lone surrogates, no deep nesting, answered 422 at the edge."""

import asyncio
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.asgi_answer import send_json

MAX_DEPTH = 64  # far past any body this API takes; Python's own parser gives up near 1000, with a 400
THREAD_BYTES = 256 * 1024  # larger bodies are parsed off the event loop, so other clients go on being served


def is_json(content_type: str | None) -> bool:
    """The media types FastAPI reads as JSON: application/json and application/*+json, any parameters."""
    if content_type is None:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def header(scope: Scope, name: bytes) -> str | None:
    """One request header, decoded (Latin-1, as HTTP sends them), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0)."""
    deepest = 0
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def check(body: bytes) -> tuple[int, str] | None:
    """Where and why the body is not strict JSON, or None when it is."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return error.pos, error.msg
    if depth(value) > MAX_DEPTH:
        return 0, f"arrays and objects nested more than {MAX_DEPTH} deep"
    return None


def invalid(position: int, reason: str) -> dict[str, Any]:
    """A 422 in FastAPI's own json_invalid shape; the reason names a place in the body, not its content."""
    problem = {"type": "json_invalid", "loc": ["body", position], "msg": f"JSON decode error: {reason}"}
    return {"detail": [problem | {"input": {}, "ctx": {"error": reason}}]}


class StrictJson:
    """Reads a JSON body whole (the body limit outside it bounds its size) and checks it with orjson, which
    refuses what Python's json module lets through and the error answer could then not write back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json(header(scope, b"content-type")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left (or the body limit refused it): no one to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            problem = await asyncio.to_thread(check, body) if len(body) > THREAD_BYTES else check(body)
            if problem is not None:
                await send_json(send, 422, invalid(*problem))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, when it comes

        await self.app(scope, replay, send)
