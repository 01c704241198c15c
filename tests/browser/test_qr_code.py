"""A run's QR code, as a browser draws it, decodes to the run's short link, and the link opens the run."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from app.web.addresses import is_loopback, network_addresses
from tests.browser.conftest import APP_HOST, ROOT, SERVER_START_TIMEOUT, _free_port, _healthy

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser


def test_qr_code_decodes_to_the_short_link_that_opens_the_run(browser: Browser, server_url: str) -> None:
    """Chromium renders the SVG; an independent decoder reads the link; following it shows that run."""
    request = urllib.request.Request(
        f"{server_url}/api/runs",
        data=json.dumps({"steps": 50}).encode(),
        headers={"content-type": "application/json"},
    )
    run = json.load(urllib.request.urlopen(request, timeout=10))

    page = browser.new_page()
    try:
        page.goto(f"{server_url}/api/runs/{run['id']}/qr.svg")
        pixels = np.asarray(Image.open(io.BytesIO(page.locator("svg").screenshot())).convert("L"))
        decoded = zxingcpp.read_barcodes(pixels)
        assert [code.text for code in decoded] == [f"{server_url}/r/{run['id']}"]

        page.goto(decoded[0].text)
        assert page.url.endswith(f"/#run={run['id']}")
        expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=15_000)
    finally:
        page.close()


def test_a_run_started_elsewhere_is_watched_read_only(page: Page, api: AppClient, server_url: str) -> None:
    """Opened by link, a run this browser did not start shows no commands, only a note saying why."""
    run = api.post("/api/runs", {"steps": 100_000, "pace": 200, "points": 20})
    page.goto(f"{server_url}/#run={run['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=15_000)
    expect(page.locator("[data-read-only]")).to_be_visible()
    for command in ("pause", "resume", "step", "stop"):
        expect(page.locator(f"[data-command='{command}']")).to_be_hidden()


def test_a_foreign_host_header_gives_no_qr_code_of_it(browser: Browser, server_url: str) -> None:
    """A request naming Host: evil.example gets a QR code of the server's own address, not of evil.example."""
    run = json.load(
        urllib.request.urlopen(
            urllib.request.Request(
                f"{server_url}/api/runs", data=b'{"steps": 5}', headers={"content-type": "application/json"}
            ),
            timeout=10,
        )
    )
    asked = urllib.request.Request(f"{server_url}/api/runs/{run['id']}/qr.svg", headers={"Host": "evil.example"})
    svg = urllib.request.urlopen(asked, timeout=10).read().decode()
    page = browser.new_page()
    try:
        page.set_content(svg)
        pixels = np.asarray(Image.open(io.BytesIO(page.locator("svg").screenshot())).convert("L"))
        (decoded,) = [code.text for code in zxingcpp.read_barcodes(pixels)]
    finally:
        page.close()
    assert "evil" not in decoded
    port = server_url.rsplit(":", 1)[1]
    assert decoded.startswith("http://") and decoded.endswith(f":{port}/r/{run['id']}")


@pytest.fixture(scope="module")
def hall_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app as a lecturer starts it for a hall (`--host 0.0.0.0`), as the browser on the lecturer's laptop
    reaches it: through loopback."""
    port = _free_port()
    server_dir = tmp_path_factory.mktemp("hall")
    env = {**os.environ, "AUTOGRAD_LIVE_DATA_DIR": str(server_dir / "data"), "AUTOGRAD_LIVE_DATABASE_URL": ""}
    with (server_dir / "server.log").open("wb") as log:
        command = [sys.executable, "-m", "app", "--host", "0.0.0.0", "--port", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://{APP_HOST}:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not come up; its log:\n{(server_dir / 'server.log').read_text()}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


QR_WAIT = 10.0  # seconds the share box's code may take to settle on the address it shows


def _shared(page: Page, base: str) -> tuple[str, str, str]:
    """Open a new run of `base` on the page: the share box's link, its QR code decoded, and its warning."""
    request = urllib.request.Request(
        f"{base}/api/runs", data=json.dumps({"steps": 5}).encode(), headers={"content-type": "application/json"}
    )
    run = json.load(urllib.request.urlopen(request, timeout=10))
    page.goto(f"{base}/#run={run['id']}")
    share = page.locator("[data-share]")
    link = share.locator("[data-share-link]")
    expect(link).to_have_attribute("href", re.compile(f"/r/{run['id']}$"))
    page.wait_for_function("() => document.querySelector('[data-share-qr]').naturalWidth > 0")
    expect(share).to_have_attribute("data-reachable", re.compile("true|false"))
    # The code may be drawn again once the server has said which address phones reach: read it until it holds
    # one code (at most QR_WAIT seconds), then compare that with the link.
    deadline = time.monotonic() + QR_WAIT
    while True:
        pixels = np.asarray(Image.open(io.BytesIO(share.locator("[data-share-qr]").screenshot())).convert("L"))
        codes = [code.text for code in zxingcpp.read_barcodes(pixels)]
        if len(codes) == 1 or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    (decoded,) = codes
    warning = share.locator("[data-share-warning]")
    return link.inner_text(), decoded, warning.inner_text() if warning.is_visible() else ""


def test_a_page_opened_as_localhost_shows_a_code_phones_can_scan(browser: Browser, hall_server: str) -> None:
    """Listening everywhere and opened through 127.0.0.1, the share box's link and QR code name the server's
    network address (when the machine has one), and that address reaches the server."""
    page = browser.new_page()
    try:
        link, decoded, warning = _shared(page, hall_server)
    finally:
        page.close()
    assert decoded == link
    host = urlsplit(decoded).hostname or ""
    print(f"\nQR code of a page opened as {hall_server}: {decoded}")
    if not network_addresses():
        assert is_loopback(host) and "Phones cannot reach this link" in warning
        return
    assert not is_loopback(host) and host in network_addresses()
    assert not warning or "container" in warning  # a caution only: this address is the container's own
    # Not only written: a request to it reaches this server, and the link opens the run.
    opened = urllib.request.urlopen(decoded, timeout=10)
    assert opened.url == f"{decoded.rsplit('/r/', 1)[0]}/#run={decoded.rsplit('/', 1)[1]}"


def test_a_server_on_loopback_says_phones_cannot_reach_it(browser: Browser, server_url: str) -> None:
    """Listening only on loopback (the default), the link stays loopback and the share box says phones cannot
    reach it, and what to do."""
    page = browser.new_page()
    try:
        link, decoded, warning = _shared(page, server_url)
    finally:
        page.close()
    assert decoded == link and decoded.startswith(f"{server_url}/r/")
    assert "Phones cannot reach this link" in warning and "--host 0.0.0.0" in warning
