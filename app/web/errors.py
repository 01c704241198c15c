"""Error answers that can always be written: validation errors quote a short, clean excerpt of the input, and a
405 lists every method its path takes."""

import reprlib
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

EXCERPT = 80  # characters of the input an error quotes
MESSAGE = 300  # characters of a message (a refused formula is quoted in it)
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

_short = reprlib.Repr()  # a container's first few items, two levels deep: never the whole input
_short.maxlevel, _short.maxdict, _short.maxlist, _short.maxtuple, _short.maxset = 2, 4, 4, 4, 4
_short.maxstring = _short.maxother = EXCERPT


def clean(text: str, limit: int = EXCERPT) -> str:
    """At most `limit` characters, lone surrogates written as escapes (they cannot be encoded as UTF-8)."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return cut.encode("utf-8", "backslashreplace").decode("utf-8")


def excerpt(value: Any) -> Any:
    """What an error may show of an input: short strings and finite numbers as they are, anything else as a short
    repr (a container's first few items, a non-finite float's name)."""
    if value is None or (isinstance(value, bool | int) and abs(value) < 2**53):
        return value
    if isinstance(value, float) and value - value == 0:  # finite
        return value
    if isinstance(value, str):
        return clean(value)
    return clean(_short.repr(value))


def problem(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error, every part of it short and writable."""
    cleaned: dict[str, Any] = {
        "type": clean(str(error.get("type", "")), MESSAGE),
        "loc": [part if isinstance(part, int) else clean(str(part)) for part in error.get("loc", ())],
        "msg": clean(str(error.get("msg", "")), MESSAGE),
    }
    if "input" in error:
        cleaned["input"] = excerpt(error["input"])
    if isinstance(ctx := error.get("ctx"), dict):
        cleaned["ctx"] = {
            clean(str(key)): excerpt(v if isinstance(v, str | int | float) else str(v)) for key, v in ctx.items()
        }
    return cleaned


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 in FastAPI's shape, `{"detail": [{type, loc, msg, input, ctx}]}`, quoting at most an excerpt."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": [problem(error) for error in exc.errors()]}, status_code=422)


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Every method of the routes that serve this request's path as their resource: of all routes whose template
    matches it, those with the fewest parameters (POST /api/runs/import, not the GET of /api/runs/{run_id} that
    also matches it); mounted static files take GET and HEAD."""
    matching: list[tuple[int, set[str]]] = []
    for route in iter_route_contexts(routes):  # every route of every included router, as the app matches them
        if route.matches(scope)[0] == Match.NONE:
            continue
        mounted = isinstance(route.original_route, Mount)
        methods = {"GET", "HEAD"} if mounted else set(route.methods or ())
        matching.append((1 if mounted else str(route.path_format).count("{"), methods))
    fewest = min((parameters for parameters, _ in matching), default=0)
    allowed = set().union(*(methods for parameters, methods in matching if parameters == fewest))
    return sorted(allowed, key=lambda method: (*METHOD_ORDER, method).index(method))


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer, its detail at most a message long; a 405's Allow names the methods of every route on
    the path, not only the first."""
    assert isinstance(exc, HTTPException)
    if isinstance(exc.detail, str) and len(exc.detail) > MESSAGE:  # such as a 404 quoting a very long id
        exc = HTTPException(exc.status_code, clean(exc.detail, MESSAGE), exc.headers)
    if exc.status_code == 405:
        scope = request.scope  # as the app first saw it: a mount has since moved its prefix into root_path
        app_scope = {**scope, "root_path": scope.get("app_root_path", scope.get("root_path", ""))}
        allow = ", ".join(allowed_methods(request.app.routes, app_scope))
        exc = HTTPException(405, exc.detail, {**(exc.headers or {}), "Allow": allow})
    return await http_exception_handler(request, exc)


def install(app: FastAPI) -> None:
    """Put these answers in place of FastAPI's defaults."""
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
