"""The short link and the QR code of a run: what they answer for known and unknown runs."""

from typing import Any

import httpx
import pytest

from app.config import Settings


@pytest.fixture(scope="module")
def client(serve: Any) -> httpx.Client:
    """A client of a real server started for this module."""
    server = serve(Settings(max_steps=1000))
    return httpx.Client(base_url=server.http, timeout=10)


def test_short_link_redirects_to_the_page_following_the_run(client: httpx.Client) -> None:
    """/r/{id} sends the browser to the page with the run in the fragment."""
    run = client.post("/api/runs", json={"steps": 5}).json()
    answer = client.get(f"/r/{run['id']}", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == f"/#run={run['id']}"


def test_qr_code_is_an_svg_of_a_run(client: httpx.Client) -> None:
    """The QR code is served as SVG, with no script or outside reference in it."""
    run = client.post("/api/runs", json={"steps": 5}).json()
    answer = client.get(f"/api/runs/{run['id']}/qr.svg")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg") and "<script" not in answer.text and "href" not in answer.text


@pytest.mark.parametrize("path", ["/r/nope", "/api/runs/nope/qr.svg"])
def test_unknown_runs_are_404(client: httpx.Client, path: str) -> None:
    """No link or code for a run that does not exist."""
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 404
    assert "nope" in answer.json()["detail"]


def test_present_link_opens_the_page_in_presenter_mode(client: httpx.Client) -> None:
    """/present/{id} sends the browser to the page following the run in presenter mode."""
    answer = client.get("/present/abc", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/#run=abc&present=1"
