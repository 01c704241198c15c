"""A run's QR code, as a browser draws it, decodes to the run's short link, and the link opens the run."""

from __future__ import annotations

import io
import json
import urllib.request
from typing import TYPE_CHECKING

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

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
