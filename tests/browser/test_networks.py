"""torch-mlp on the page: the layers typed become a network, and its weights show as one norm per tensor."""

from __future__ import annotations

import json
import math
import re
import urllib.error
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, PageWatch

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
MINUS = "\u2212"
# A norm as the weights panel writes it: never negative, so a figure space where a minus would be.
SHOWN_NORM = re.compile(r"^\u2007\d+\.\d+(e\u2212?\d+)?$")


def shown_number(text: str) -> float:
    return float(text.strip().replace(MINUS, "-"))


def test_a_network_is_composed_trained_and_shown_by_layer(page: Page, server_url: str, api: AppClient) -> None:
    page.goto(server_url)
    open_settings(page)
    layers = page.locator("#layers")
    expect(layers).to_be_hidden()  # only the network engine reads `layers`
    page.select_option("#engine", "torch-mlp")
    expect(layers).to_be_visible()
    expect(page.locator("#learning_rate")).to_have_attribute("placeholder", "0.01")  # Adam's, for any reduction

    # A preset fills the list; typing another list redraws the architecture as it is typed.
    page.get_by_role("button", name="1 → 32 → ReLU → 32 → ReLU → 1").click()
    expect(layers).to_have_value("32, relu, 32, relu")
    layers.fill("16, Tanh")
    architecture = page.locator("#layers-architecture")
    expect(architecture).to_have_text("1 → 16 → Tanh → 1")
    expect(page.locator("#controls [data-modules]")).to_contain_text("Linear(1, 16) → Tanh → Linear(16, 1)")

    page.fill("#steps", "600")
    page.fill("#pace", "1000")
    page.fill("#seed", "1")
    with page.expect_request(lambda request: request.url.endswith("/api/runs") and request.method == "POST") as sent:
        page.click("[data-start]")
    assert json.loads(sent.value.post_data or "{}")["layers"] == [16, "tanh"]  # a list, the width a number
    page.wait_for_function("() => location.hash.startsWith('#run=')")
    run_id = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('run')")

    # While it trains: the four tensors of Linear(1, 16) and Linear(16, 1), as norms, and the architecture.
    weights = page.locator("#weights")
    expect(weights).to_have_attribute("data-network", "true")
    expect(weights.locator("[data-weights-caption]")).to_contain_text("norms")
    expect(weights.locator("thead")).to_contain_text("‖W‖")
    expect(weights.locator("[data-cubic]")).to_have_text("1 → 16 → Tanh → 1")
    expect(page.locator("#headline [data-model]")).to_have_text("y = network(x), 1 → 16 → Tanh → 1,")
    page.wait_for_function("() => Number(document.querySelector('#fit-chart').dataset.step) > 0", timeout=LIVE_TIMEOUT)
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]
    expect(weights.locator("tbody th")).to_have_text(names)
    for cell in weights.locator("td").all():
        expect(cell).to_have_text(SHOWN_NORM)
    assert int(page.locator("#fit-chart").get_attribute("data-points") or 0) > 500  # data, target and the net

    # At the end: every step's loss, falling far, and the norms the server ended with.
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", "600")
    expect(weights).to_have_attribute("data-step", "599")
    history = api.get(f"/api/runs/{run_id}/history")
    assert shown_number(weights.locator("[data-loss]").inner_text()) < history["loss"][0] / 100
    final = api.get(f"/api/runs/{run_id}")
    for name in names:
        shown = shown_number(weights.locator(f"tr[data-param='{name}'] td").first.inner_text())
        assert math.isfinite(shown) and math.isclose(shown, final["params"][name], rel_tol=1e-4, abs_tol=5e-5), name


def test_a_bad_layer_list_is_marked_under_the_field(
    page: Page, server_url: str, api: AppClient, watch: PageWatch
) -> None:
    watch.expected_errors.append("status of 422")  # Chromium logs every failed fetch; this one is the point
    try:
        api.post("/api/runs", {"engine": "torch-mlp", "layers": [16, "gelu"]})
        pytest.fail("the server accepted a layer it does not know")
    except urllib.error.HTTPError as error:
        assert error.code == 422
        problems = json.load(error)["detail"]
    assert all(problem["loc"][:2] == ["body", "layers"] for problem in problems)

    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "torch-mlp")
    page.fill("#layers", "16, gelu")
    expect(page.locator("#layers-architecture")).to_have_text("1 → 16 → gelu? → 1")  # marked before it is sent
    page.click("[data-start]")

    error_slot = page.locator("#layers-error")
    expect(error_slot).to_be_visible()
    expect(error_slot).to_contain_text("layer 2 ('gelu')")  # which entry, as typed, then why
    for problem in problems:
        expect(error_slot).to_contain_text(problem["msg"])
    expect(page.locator("#layers")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-form-error]")).not_to_contain_text("layers")  # placed under its field, not below
    assert "#run=" not in page.url

    # Another engine hides the field, and does not send it.
    open_settings(page)
    page.select_option("#engine", "numpy")
    expect(page.locator("#layers")).to_be_hidden()
    with page.expect_request(lambda request: request.url.endswith("/api/runs") and request.method == "POST") as sent:
        page.fill("#steps", "20")
        page.click("[data-start]")
    assert "layers" not in json.loads(sent.value.post_data or "{}")
