"""Requests another site's page could send: a state change from a foreign Origin (403), and a body that is not
declared JSON (415), the "simple" request a browser sends cross-site without asking the server first."""

from collections.abc import Sequence

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.web.asgi_answer import send_json
from app.web.origins import origin_allowed
from app.web.strict_json import header, is_json

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN_ORIGIN = (
    "this server's runs are changed from its own pages (or a script without an Origin header) only; "
    "add another site to the allowed_origins setting to let its pages"
)
NOT_JSON = "this route takes a JSON body: send it with the header Content-Type: application/json"


def takes_json(scope: Scope) -> bool:
    """Whether the route this request reaches reads a JSON body."""
    for route in iter_route_contexts(scope["app"].routes):  # as the app matches them: the first full match
        if route.matches(scope)[0] == Match.FULL:
            return isinstance(route.original_route, APIRoute) and route.original_route.body_field is not None
    return False


class CrossSite:
    """Refuses, before any body is read, what a page on another site could make a visitor's browser send."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]) -> None:
        self.app = app
        self.allowed_origins = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING and scope["path"].startswith("/api/"):
            origin = header(scope, b"origin")
            if not origin_allowed(origin, header(scope, b"host"), self.allowed_origins):
                await send_json(send, 403, {"detail": FOREIGN_ORIGIN})
                return
            if not is_json(header(scope, b"content-type")) and takes_json(scope):
                await send_json(send, 415, {"detail": NOT_JSON})
                return
        await self.app(scope, receive, send)
