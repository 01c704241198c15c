"""Every answer, page, API, static file or error, carries the security headers; the policy allows only this
server's own scripts, styles and connections, and no framing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from app.config import Settings
from app.web.security_headers import SECURITY_HEADERS

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """A server with a small body limit, to provoke a 413."""
    return serve(Settings(max_steps=1000, max_body_bytes=1024))


REQUESTS = [
    ("GET", "/", None),
    ("GET", "/docs", None),
    ("GET", "/openapi.json", None),
    ("GET", "/api/runs", None),
    ("GET", "/static/js/main.js", None),
    ("GET", "/static/vendor/swagger-ui/swagger-ui.css", None),
    ("GET", "/api/runs/nope", None),  # 404
    ("PUT", "/api/runs", None),  # 405
    ("POST", "/api/runs", b"x" * 2000),  # 413
    ("POST", "/api/runs", b"{}"),  # 415: no content type
    ("GET", "/present/abc", None),  # redirect
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_every_answer_carries_the_security_headers(
    client: httpx.Client, method: str, path: str, body: bytes | None
) -> None:
    """Content-Security-Policy, X-Content-Type-Options, X-Frame-Options and Referrer-Policy, as set."""
    answer = client.request(method, path, content=body, follow_redirects=False)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, f"{method} {path} ({answer.status_code}): {name}"


def test_the_policy_forbids_inline_code_framing_and_other_hosts() -> None:
    """Each directive as the page needs it: nothing inline, nothing from another host, no frames of it."""
    directives = dict(part.split(" ", 1) for part in SECURITY_HEADERS["Content-Security-Policy"].split("; "))
    assert directives["default-src"] == directives["script-src"] == directives["connect-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'self'"
    assert directives["img-src"] == "'self' data: blob:"
    assert SECURITY_HEADERS["X-Frame-Options"] == "DENY" and SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
