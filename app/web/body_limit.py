"""The largest request body each route takes: refused by its declared length, or cut off once it streams past."""

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.asgi_answer import send_json

IMPORT_PATH = "/api/runs/import"

# The route's limit and the setting that sets it, for a request's path and method.
LimitFor = Callable[[Scope], tuple[int, str]]


def too_large(limit: int, setting: str) -> str:
    """What a 413 says: the limit and the setting that sets it."""
    return f"the request body is larger than this route takes: at most {limit} bytes (setting {setting})"


class BodyLimit:
    """Refuses a body over its route's limit with 413: at once when Content-Length says so, else when the bytes
    streamed (a chunked body) pass it, reading no further. The app then sees the client as gone."""

    def __init__(self, app: ASGIApp, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await send_json(send, 413, {"detail": too_large(limit, setting)})
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await send_json(send, 413, {"detail": too_large(limit, setting)})
                    return {"type": "http.disconnect"}  # the app stops reading; its answer goes nowhere
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


def limit_by_route(max_body_bytes: int, max_import_bytes: int) -> LimitFor:
    """Import takes whole exported runs; every other route takes small JSON at most."""

    def limit_for(scope: Scope) -> tuple[int, str]:
        if scope["method"] == "POST" and scope["path"] == IMPORT_PATH:
            return max_import_bytes, "max_import_bytes"
        return max_body_bytes, "max_body_bytes"

    return limit_for
