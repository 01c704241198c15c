"""The short link and the QR code of a run: what they answer for known and unknown runs."""

import io
from typing import Any

import httpx
import pytest
import segno

from app.config import Settings
from app.web import share
from app.web.addresses import is_loopback, listened_addresses, network_addresses, reachable_by_others
from app.web.share import detected_host


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


def test_a_links_qr_code_is_made_once_however_many_pages_ask() -> None:
    """A hall opening one run's page asks for its QR code hundreds of times: it is made once per link (and the
    links kept are bounded), each link its own."""
    first = share.qr_svg("http://192.0.2.7:8000/r/once")
    assert share.qr_svg("http://192.0.2.7:8000/r/once") is first
    assert share.qr_svg("http://192.0.2.7:8000/r/other") != first
    assert share.qr_svg.cache_info().maxsize == share.QR_CODES_KEPT


@pytest.mark.parametrize("path", ["/r/nope", "/api/runs/nope/qr.svg", "/api/runs/nope/share"])
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
    """detected_host: the first network address the server listens on, else the listening host."""
    others = network_addresses()
    assert all(reachable_by_others(a) and not is_loopback(a) for a in others)
    assert detected_host(Settings(host="0.0.0.0")) == next((a for a in others if ":" not in a), "127.0.0.1")
    assert detected_host(Settings(host="127.0.0.1")) == "127.0.0.1"
    assert detected_host(Settings(host="10.1.2.3")) == "10.1.2.3"


def test_the_network_addresses_are_every_interfaces_but_loopback_and_link_local() -> None:
    """Every address `hostname -I` would list but loopback and link-local, and nothing else: what phones can reach."""
    found = set(network_addresses())
    for address in ("127.0.0.1", "::1", "fe80::1", "169.254.3.4", "0.0.0.0", "224.0.0.1"):
        assert not reachable_by_others(address)
    for address in ("192.168.1.20", "10.0.0.5", "fd00::2", "2001:db8::5"):
        assert reachable_by_others(address)
    assert listened_addresses("127.0.0.1") == () and listened_addresses("localhost") == ()
    assert listened_addresses("0.0.0.0") == tuple(a for a in network_addresses() if ":" not in a)
    assert set(listened_addresses("::")) == found
    assert listened_addresses("192.168.1.20") == ("192.168.1.20",)


LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"]


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_a_page_opened_as_localhost_shares_the_network_address(serve: Any, host: str) -> None:
    """Listening everywhere, a link asked for through loopback names the server's network address (the one the QR
    code encodes, as phones need it), with the others beside it; no warning."""
    server = serve(Settings(max_steps=1000, host="0.0.0.0"))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 5}).json()
        netloc = {"Host": f"{host}:{server.port}"}
        link = client.get(f"/api/runs/{run['id']}/share", headers=netloc).json()
        svg = client.get(f"/api/runs/{run['id']}/qr.svg", headers=netloc).text
    addresses = [host_in_url(a) for a in listened_addresses("0.0.0.0")]
    if not addresses:
        pytest.skip("this machine has no network address but loopback")
    urls = [f"http://{a}:{server.port}/r/{run['id']}" for a in addresses]
    assert link == {"url": urls[0], "others": urls[1:], "reachable": True, "warning": link["warning"]}
    assert link["warning"] is None or "container" in link["warning"]  # its own address in a container: a caution
    assert svg == qr_of(urls[0])


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_a_server_on_loopback_says_phones_cannot_reach_it(serve: Any, host: str) -> None:
    """Listening on loopback only, the link stays as asked and the answer says plainly that phones cannot use it."""
    server = serve(Settings(max_steps=1000, host="127.0.0.1"))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 5}).json()
        netloc = {"Host": f"{host}:{server.port}"}
        link = client.get(f"/api/runs/{run['id']}/share", headers=netloc).json()
        svg = client.get(f"/api/runs/{run['id']}/qr.svg", headers=netloc).text
    url = f"http://{host}:{server.port}/r/{run['id']}"  # the address asked, as asked
    assert (link["url"], link["others"], link["reachable"]) == (url, [], False)
    assert "Phones cannot reach this link" in link["warning"] and "--host 0.0.0.0" in link["warning"]
    assert svg == qr_of(url)


def test_a_machine_without_a_network_address_says_so(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listening everywhere on a machine with no address but loopback (a laptop off every network): said so."""
    monkeypatch.setattr(share, "listened_addresses", lambda host: ())
    server = serve(Settings(max_steps=1000, host="0.0.0.0"))
    with httpx.Client(base_url=server.http, timeout=10) as client:
        run = client.post("/api/runs", json={"steps": 5}).json()
        link = client.get(f"/api/runs/{run['id']}/share").json()
    assert (link["url"], link["reachable"]) == (f"http://127.0.0.1:{server.port}/r/{run['id']}", False)
    assert "no network address" in link["warning"]


@pytest.mark.parametrize("host", ["127.0.0.1", "evil.example", "lecture.example:8080"])
def test_the_link_and_the_qr_code_agree(serve: Any, host: str) -> None:
    """Whatever Host a request names, /share's link is the one the QR code encodes, on both servers' settings."""
    for settings in (
        Settings(max_steps=1000, host="0.0.0.0", allowed_origins=["http://lecture.example:8080"]),
        Settings(max_steps=1000, public_url="https://hall.example/autograd/"),
    ):
        server = serve(settings)
        with httpx.Client(base_url=server.http, timeout=10) as client:
            run = client.post("/api/runs", json={"steps": 5}).json()
            link = client.get(f"/api/runs/{run['id']}/share", headers={"Host": host}).json()
            svg = client.get(f"/api/runs/{run['id']}/qr.svg", headers={"Host": host}).text
        assert svg == qr_of(link["url"]) and "evil" not in link["url"]
        if settings.public_url:
            assert link == {
                "url": f"https://hall.example/autograd/r/{run['id']}",
                "others": [],
                "reachable": True,
                "warning": None,
            }
