"""The short link and the QR code of a run: what they answer for known and unknown runs."""

import io
from ipaddress import ip_address
from typing import Any

import httpx
import pytest
import segno

from app.config import Settings
from app.web.share import detected_host, machine_addresses


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


def qr_of(url: str) -> str:
    """The SVG the server draws for a link (the same segno call): comparing SVGs compares the encoded links."""
    code = segno.make(url, error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False, svgclass="qr-code")
    return svg.getvalue().decode()


def test_a_foreign_host_header_does_not_make_the_link(serve: Any) -> None:
    """Host: evil.example gives the link on the server's detected address and the port it was reached at."""
    settings = Settings(max_steps=1000)
    server = serve(settings)
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 5}).json()
        answer = client.get(f"/api/runs/{run['id']}/qr.svg", headers={"Host": "evil.example"})
    expected = f"http://{host_in_url(detected_host(settings))}:{server.port}/r/{run['id']}"
    assert "evil" not in expected
    assert answer.text == qr_of(expected)


def host_in_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "lecture.example:8080", "LOCALHOST"])
def test_a_host_naming_this_server_makes_the_link(serve: Any, host: str) -> None:
    """Loopback names and the hosts of allowed_origins are this server's: the link keeps the address asked."""
    server = serve(Settings(max_steps=1000, allowed_origins=["http://lecture.example:8080"]))
    netloc = host if ":" in host else f"{host}:{server.port}"
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 5}).json()
        answer = client.get(f"/api/runs/{run['id']}/qr.svg", headers={"Host": netloc})
    assert answer.text == qr_of(f"http://{netloc}/r/{run['id']}")


def test_public_url_wins(serve: Any) -> None:
    """With public_url set, the link is under it whatever Host the request names."""
    server = serve(Settings(max_steps=1000, public_url="https://hall.example/autograd/"))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 5}).json()
        for host in ("evil.example", f"127.0.0.1:{server.port}"):
            answer = client.get(f"/api/runs/{run['id']}/qr.svg", headers={"Host": host})
            assert answer.text == qr_of(f"https://hall.example/autograd/r/{run['id']}")


def test_the_detected_address_is_not_loopback_when_the_machine_has_another() -> None:
    """detected_host: the machine's first non-loopback address, else the listening host."""
    _, addresses = machine_addresses()
    others = [a for a in addresses if not ip_address(a.split("%", 1)[0]).is_loopback]
    found = detected_host(Settings(host="0.0.0.0"))
    assert found == (others[0] if others else "127.0.0.1")
    if not others:
        assert detected_host(Settings(host="10.1.2.3")) == "10.1.2.3"
