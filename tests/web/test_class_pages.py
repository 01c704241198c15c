"""The class pages of a real server: the form that opens a class, a class's view and a student's page inside it,
each for a class that exists (its code in any case) and 404 for a code no class has; every asset from the app."""

import re
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.web.conftest import LiveServer, Serve

SCRIPT_OR_STYLE = re.compile(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"')


@pytest.fixture(scope="module")
def server(serve: Serve) -> LiveServer:
    """A real server for this module."""
    return serve(Settings())


@pytest.fixture(scope="module")
def code(server: LiveServer) -> str:
    """A class on the server."""
    with httpx.Client(base_url=server.http) as client:
        answer = client.post("/api/classes", json={"title": "Lecture 3", "settings": {"steps": 40}, "free": None})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["code"])


def page(client: httpx.Client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


def assets(html: str) -> list[str]:
    """The scripts and stylesheets a page loads (its inline icon is no request)."""
    return [url for url in SCRIPT_OR_STYLE.findall(html) if not url.startswith("data:")]


def test_the_class_view_names_its_class_and_loads_only_the_apps_assets(client: httpx.Client, code: str) -> None:
    html = page(client, f"/class/{code.lower()}")  # any case: the class's own code in the page
    assert f'data-code="{code}"' in html and f"/api/classes/{code}/qr.svg" in html
    assert "<script>" not in html and "/static/js/class/view.js" in assets(html)
    for asset in assets(html):
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset


def test_the_join_page_is_the_run_page_inside_the_class(client: httpx.Client, code: str) -> None:
    html = page(client, f"/join/{code}")
    assert f'data-class-code="{code}"' in html and 'class="in-class"' in html
    # The run page's own form and views are there, and the class's script and styles beside them.
    for part in ('id="controls"', 'id="fit-chart"', 'id="loss-chart"', "data-class-chart", "data-class-fixed-note"):
        assert part in html, part
    assert {"/static/js/main.js", "/static/js/class/join.js", "/static/css/class.css"} <= set(assets(html))
    for asset in assets(html):
        assert client.get(asset).status_code == 200, asset


def test_the_run_page_has_no_class(client: httpx.Client) -> None:
    html = page(client, "/")
    assert "data-class-code" not in html and "/static/js/class/" not in html and "class.css" not in html


def test_the_form_opens_a_class_with_every_engine(client: httpx.Client) -> None:
    html = page(client, "/class")
    engines: list[dict[str, Any]] = client.get("/api/engines").json()
    for engine in engines:
        assert f'<option value="{engine["name"]}"' in html, engine["name"]
    assert "/static/js/class/open.js" in assets(html)


@pytest.mark.parametrize("path", ["/class/ZZZZZZ", "/join/ZZZZZZ", "/class/not-a-code", "/join/0O1I00", "/join/"])
def test_a_code_no_class_has_is_not_found(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404
