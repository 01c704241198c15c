"""Request bodies past a route's limit are refused with 413, by declared length or once streamed past it, on every
route; the server goes on answering others meanwhile."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from app.config import Settings

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

BODY_LIMIT = 2048
IMPORT_LIMIT = 8192
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """A server with small body limits."""
    return serve(Settings(max_steps=1000, max_body_bytes=BODY_LIMIT, max_import_bytes=IMPORT_LIMIT))


def padded(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    head = b'{"pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def count_runs(client: httpx.Client) -> int:
    return len(client.get("/api/runs").json())


ROUTES = [
    ("POST", "/api/runs"),
    ("POST", "/api/runs/some-id/pause"),
    ("POST", "/api/runs/some-id/pace"),
    ("POST", "/api/runs/some-id/presenter"),
    ("DELETE", "/api/runs/some-id"),
    ("GET", "/api/runs"),
    ("GET", "/healthz"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_declared_length_over_the_limit_is_413_on_every_route(client: httpx.Client, method: str, path: str) -> None:
    """Content-Length past max_body_bytes: refused before the body is read, naming the limit and its setting."""
    before = count_runs(client)
    answer = client.request(method, path, content=padded(BODY_LIMIT + 1), headers=JSON)
    assert answer.status_code == 413, answer.text
    assert f"at most {BODY_LIMIT} bytes" in answer.json()["detail"] and "max_body_bytes" in answer.json()["detail"]
    assert count_runs(client) == before


def test_a_body_at_the_limit_is_read(client: httpx.Client) -> None:
    """Exactly max_body_bytes is taken: the route itself answers (here: 422 for the unknown field)."""
    answer = client.post("/api/runs", content=padded(BODY_LIMIT), headers=JSON)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "pad"]


def test_import_has_its_own_larger_limit(client: httpx.Client) -> None:
    """POST /api/runs/import takes up to max_import_bytes (past max_body_bytes), and refuses past that."""
    within = client.post("/api/runs/import", content=padded(IMPORT_LIMIT), headers=JSON)
    assert within.status_code == 422, within.text  # read and refused as an export, not for its size
    over = client.post("/api/runs/import", content=padded(IMPORT_LIMIT + 1), headers=JSON)
    assert over.status_code == 413
    assert f"at most {IMPORT_LIMIT} bytes" in over.json()["detail"] and "max_import_bytes" in over.json()["detail"]


def chunked_request(server: LiveServer, path: str, chunks: int, chunk: bytes) -> socket.socket:
    """A raw connection that sends a chunked JSON body (no Content-Length) of `chunks` chunks, never ending it."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    connection.sendall(head.encode())
    for _ in range(chunks):
        connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    return connection


def read_answer(connection: socket.socket) -> bytes:
    """What the server wrote back until it closed the connection (or the answer was complete)."""
    received = b""
    while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
        data = connection.recv(65536)
        if not data:
            break
        received += data
    return received


@pytest.mark.parametrize(("path", "limit"), [("/api/runs", BODY_LIMIT), ("/api/runs/import", IMPORT_LIMIT)])
def test_a_chunked_body_is_cut_off_past_the_limit(
    server: LiveServer, client: httpx.Client, path: str, limit: int
) -> None:
    """A body with no Content-Length is refused once it passes the limit, without waiting for its end (it never
    comes); /healthz answers while the connection is still open."""
    before = count_runs(client)
    chunk = b'{"a": "' + b"x" * 1000
    connection = chunked_request(server, path, limit // len(chunk) + 1, chunk)
    try:
        assert client.get("/healthz").json() == {"status": "ok"}
        answer = read_answer(connection)
    finally:
        connection.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert f"at most {limit} bytes".encode() in answer
    assert client.get("/healthz").json() == {"status": "ok"}
    assert count_runs(client) == before


def test_a_chunked_body_within_the_limit_is_read(server: LiveServer) -> None:
    """Chunks adding up to less than the limit reach the route (which creates the run)."""
    with httpx.Client(base_url=server.http, timeout=10) as client:
        parts = [b'{"steps": ', b"5, ", b'"points": 4}']
        answer = client.post("/api/runs", content=iter(parts), headers=JSON)
    assert answer.status_code == 201, answer.text
    assert answer.json()["config"]["steps"] == 5
