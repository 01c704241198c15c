"""Two runs side by side: the same config on another engine computes the same thing, step by step."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
STEPS = 400


def address(page: Page) -> dict[str, str]:
    return dict(page.evaluate("Object.fromEntries(new URLSearchParams(location.hash.slice(1)))"))


def test_the_same_config_on_torch_autograd_agrees_with_numpy(page: Page, server_url: str, api: AppClient) -> None:
    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "numpy")
    page.fill("#steps", str(STEPS))
    page.fill("#pace", "400")
    page.fill("#seed", "11")
    page.click("[data-start]")
    page.wait_for_function("() => location.hash.startsWith('#run=')")
    first = address(page)["run"]

    compare = page.locator("#compare")
    page.select_option("#twin-engine", "torch-autograd")
    compare.locator("[data-twin-start]").click()
    page.wait_for_function("() => new URLSearchParams(location.hash.slice(1)).has('compare')")
    second = address(page)["compare"]
    assert address(page)["run"] == first
    twin = api.get(f"/api/runs/{second}")
    assert twin["config"] == {**api.get(f"/api/runs/{first}")["config"], "engine": "torch-autograd"}

    # Both runs end, both losses are drawn on one chart, and the difference covers every step.
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    loss_chart = page.locator("#loss-chart")
    expect(loss_chart).to_have_attribute("data-losses", str(STEPS), timeout=LIVE_TIMEOUT)
    expect(loss_chart).to_have_attribute("data-compared", str(STEPS), timeout=LIVE_TIMEOUT)
    expect(compare).to_have_attribute("data-steps", str(STEPS), timeout=LIVE_TIMEOUT)
    expect(page.locator("#fit [data-key-compare]")).to_contain_text("torch-autograd")
    expect(page.locator("#loss [data-key-compare]")).to_be_visible()

    # numpy's hand-derived gradients and torch's autograd agree to rounding: ~1e-16 of the weights.
    assert float(compare.get_attribute("data-rel-dweight") or "nan") < 1e-9
    assert float(compare.get_attribute("data-rel-dgrad") or "nan") < 1e-9
    expect(compare.locator("[data-compare-numbers]")).to_contain_text("max |Δweight|")
    expect(page.locator("#diff-chart")).to_have_attribute("data-steps", str(STEPS))

    # The address names both runs: reloading it shows the same comparison.
    page.reload()
    expect(compare).to_have_attribute("data-comparing", "true")
    expect(compare).to_have_attribute("data-steps", str(STEPS), timeout=LIVE_TIMEOUT)
    expect(compare.locator("[data-compare-select]")).to_have_value(second)
    assert float(compare.get_attribute("data-rel-dweight") or "nan") < 1e-9

    # Choosing "no other run" ends the comparison, and the address says so.
    page.select_option("#compare-with", "")
    expect(compare).to_have_attribute("data-comparing", "false")
    expect(page.locator("#loss [data-key-compare]")).to_be_hidden()
    assert address(page) == {"run": first}


def test_compare_with_an_earlier_run_from_the_list(page: Page, server_url: str, api: AppClient) -> None:
    earlier = api.post("/api/runs", {"engine": "torch-function", "steps": 50, "seed": 4})
    later = api.post("/api/runs", {"engine": "torch-function", "steps": 50, "seed": 4, "zero_grad": False})
    page.goto(f"{server_url}/#run={later['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    # The equation is the engine's own model, not the cubic.
    expect(page.locator("#weights [data-cubic]")).to_contain_text("P3(")

    select = page.locator("#compare-with")
    select.focus()  # the list is fetched again when it is opened
    expect(select.locator(f"option[value='{earlier['id']}']")).to_contain_text("torch-function · seed 4")
    select.select_option(earlier["id"])
    compare = page.locator("#compare")
    expect(compare).to_have_attribute("data-steps", "50", timeout=LIVE_TIMEOUT)
    # The same start, then zero_grad makes the difference: the weights part after the first step.
    assert float(compare.get_attribute("data-dweight") or 0) > 1e-6
    assert address(page) == {"run": later["id"], "compare": earlier["id"]}
