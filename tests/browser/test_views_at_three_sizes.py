"""Every view at a laptop's, a phone's and a projector's size: none widens the page, each keeps Start or the run in
the first screen, and a screenshot of each is kept for people to look at (under artifacts/screenshots, not
committed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext

    from tests.browser.conftest import AppClient

SHOTS = ROOT / "artifacts" / "screenshots"
LIVE_TIMEOUT = 60_000
SIZES = {
    "laptop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "projector": {"viewport": {"width": 1280, "height": 720}},
}


def shoot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


# Each visible button of a panel that lies over one of its drawings (a chart's canvas or the graph's svg), or
# outside the panel's box (cut off by it): "panel: button text".
COVERED_CONTROLS = """() => {
  const seen = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? r : null; };
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const found = [];
  for (const panel of document.querySelectorAll(".board > .panel")) {
    const box = seen(panel);
    if (!box) continue;
    const drawings = [...panel.querySelectorAll("canvas, svg.graph-svg")].map(seen).filter(Boolean);
    for (const button of panel.querySelectorAll("button")) {
      const r = seen(button);
      if (!r || button.closest("svg, .graph-inspector, .u-legend")) continue;
      const cut = r.bottom > box.bottom + 1 || r.right > box.right + 1;
      if (cut || drawings.some((d) => meet(r, d))) found.push(`${panel.id}: ${button.textContent.trim()}`);
    }
  }
  return found;
}"""


def covered_controls(page: Page) -> list[str]:
    """The panels' buttons that sit over a drawing or are cut off by their panel."""
    return list(page.evaluate(COVERED_CONTROLS))


@pytest.mark.parametrize("size", SIZES)
def test_each_view_fits_the_width_and_keeps_the_run_in_the_first_screen(
    browser: Browser,
    server_url: str,
    api: AppClient,
    watch_context: Callable[[BrowserContext], None],
    size: str,
) -> None:
    context = browser.new_context(**SIZES[size])  # type: ignore[arg-type]
    watch_context(context)
    page = context.new_page()
    width = SIZES[size]["viewport"]["width"]  # type: ignore[index]
    present = "&present=1" if size == "projector" else ""
    try:
        page.goto(server_url)
        expect(page.locator("[data-start]")).to_be_in_viewport()
        assert page_width(page) <= width
        assert shoot(page, f"{size}-idle").stat().st_size > 0

        live = api.post("/api/runs", {"engine": "torch-autograd", "steps": 100_000, "pace": 30, "seed": 1})
        page.goto(f"{server_url}/#run={live['id']}{present}")
        page.reload()  # the address's present=1 is read on load
        expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
        page.wait_for_function("() => Number(document.querySelector('#status').dataset.step) > 10")
        expect(page.locator("#fit-chart")).to_be_in_viewport()
        assert page_width(page) <= width
        shoot(page, f"{size}-running")
        assert covered_controls(page) == []
        if present:  # keys 1 to 4 are presenter mode's
            page.keyboard.press("4")
            expect(page.locator("#graph")).to_have_class(re.compile(r"\benlarged\b"))
            page.wait_for_timeout(500)  # the enlarged drawing settles into its new size before the picture
            shoot(page, f"{size}-graph-enlarged")
            page.keyboard.press("4")
        api.post(f"/api/runs/{live['id']}/stop")
        expect(page.locator("#status")).to_have_attribute("data-status", "stopped")

        ended = api.post("/api/runs", {"engine": "torch-mlp", "steps": 300, "layers": [32, "tanh", 32, "tanh"]})
        page.goto(f"{server_url}/#run={ended['id']}{present}")
        page.reload()
        expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
        assert page_width(page) <= width
        shoot(page, f"{size}-ended-network")
        page.click("[data-theme-toggle]")
        shoot(page, f"{size}-ended-dark")
        page.click("[data-theme-toggle]")
    finally:
        context.close()
