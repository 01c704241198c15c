"""lecture-net on the page: two outputs drawn as predictions against targets, and twin runs that pick their own η."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
MINUS = "\u2212"
SHOWN_NORM = re.compile(r"^\u2007\d+\.\d+(e\u2212?\d+)?$")  # a norm as the weights panel writes it
TENSORS = ["0.weight", "0.bias", "2.weight", "2.bias"]


def shown_number(text: str) -> float:
    return float(text.strip().replace(MINUS, "-"))


def is_new_run(request: Request) -> bool:
    return request.url.endswith("/api/runs") and request.method == "POST"


def run_id(page: Page, key: str = "run") -> str:
    page.wait_for_function(f"() => new URLSearchParams(location.hash.slice(1)).has('{key}')")
    return str(page.evaluate(f"new URLSearchParams(location.hash.slice(1)).get('{key}')"))


def test_lecture_net_draws_predictions_against_targets(page: Page, server_url: str, api: AppClient) -> None:
    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "lecture-net")
    # Its data comes from the seed: no formula to type; its slide's loss (the mean) and its own default rate.
    expect(page.locator("#target")).to_be_hidden()
    expect(page.locator("#controls [data-pairs-hint]")).to_be_visible()
    expect(page.locator("input[name=reduction][value=mean]")).to_be_checked()
    expect(page.locator("#learning_rate")).to_have_attribute("placeholder", "0.25")
    page.fill("#steps", "400")
    page.fill("#pace", "1000")
    page.fill("#seed", "5")
    with page.expect_request(is_new_run) as sent:
        page.click("[data-start]")
    body = json.loads(sent.value.post_data or "{}")
    assert body["engine"] == "lecture-net" and "target" not in body and "layers" not in body
    first = run_id(page)

    # The fit chart turns into predictions against targets, the model drawn as points.
    chart = page.locator("#fit-chart")
    expect(chart).to_have_attribute("data-view", "outputs", timeout=LIVE_TIMEOUT)
    expect(chart).to_have_attribute("data-x-label", "target")
    expect(chart).to_have_attribute("data-y-label", "prediction")
    page.wait_for_function("() => Number(document.querySelector('#fit-chart').dataset.modelPoints) > 0")
    expect(page.locator("#fit-title")).to_have_text("Predictions against targets")
    expect(page.locator("#fit [data-fit-caption]")).to_contain_text("diagonal")
    expect(page.locator("#fit [data-key-target]")).to_contain_text("prediction = target")
    expect(page.locator("#fit [data-key-data]")).to_be_hidden()

    # The weights are the four tensors of Linear(2, 3) and Linear(3, 2), as norms, under the architecture.
    weights = page.locator("#weights")
    expect(weights).to_have_attribute("data-network", "true")
    expect(weights.locator("tbody th")).to_have_text(TENSORS)
    expect(weights.locator("[data-cubic]")).to_have_text("2 → 3 → Sigmoid → 2")
    expect(page.locator("#headline [data-target]")).to_contain_text("teacher network")

    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", "400")
    expect(weights).to_have_attribute("data-step", "399")
    for cell in weights.locator("td").all():
        expect(cell).to_have_text(SHOWN_NORM)
        assert math.isfinite(shown_number(cell.inner_text()))
    history = api.get(f"/api/runs/{first}/history")
    assert shown_number(weights.locator("[data-loss]").inner_text()) < history["loss"][0] / 10

    # A fit engine brings back y against x, with the data, and no points for the model.
    open_settings(page)
    page.select_option("#engine", "numpy")
    expect(page.locator("#target")).to_be_visible()
    page.fill("#steps", "50")
    page.click("[data-start]")
    page.wait_for_function(f"() => new URLSearchParams(location.hash.slice(1)).get('run') !== '{first}'")
    expect(chart).to_have_attribute("data-view", "fit", timeout=LIVE_TIMEOUT)
    expect(chart).to_have_attribute("data-x-label", "x")
    expect(chart).to_have_attribute("data-y-label", "y")
    expect(chart).to_have_attribute("data-model-points", "0", timeout=LIVE_TIMEOUT)
    expect(page.locator("#fit-title")).to_have_text("Fit")
    expect(page.locator("#fit [data-fit-caption]")).to_be_hidden()
    expect(page.locator("#fit [data-key-data]")).to_be_visible()
    expect(weights.locator("tbody th")).to_have_text(["a", "b", "c", "d"])


def test_a_twin_run_takes_its_own_engines_default_rate(page: Page, server_url: str, api: AppClient) -> None:
    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "torch-mlp")
    page.fill("#steps", "200")
    page.fill("#pace", "1000")
    page.fill("#seed", "2")
    page.click("[data-start]")
    first = run_id(page)
    assert api.get(f"/api/runs/{first}")["config"]["learning_rate"] == 0.01  # torch-mlp's Adam rate

    # torch-mlp's 0.01 on plain SGD over the summed loss would diverge: the twin leaves η to the server.
    page.select_option("#twin-engine", "torch-autograd")
    with page.expect_request(is_new_run) as sent:
        page.locator("#compare [data-twin-start]").click()
    body = json.loads(sent.value.post_data or "{}")
    assert body["engine"] == "torch-autograd"
    assert "learning_rate" not in body and "layers" not in body
    assert body["seed"] == 2 and body["steps"] == 200
    twin = api.get(f"/api/runs/{run_id(page, 'compare')}")
    assert twin["config"]["learning_rate"] == 1e-6  # the lecture's rate for the summed loss
    compare = page.locator("#compare")
    expect(compare).to_have_attribute("data-steps", "200", timeout=LIVE_TIMEOUT)
    compared = api.get(f"/api/runs/{twin['id']}")
    assert compared["status"] == "finished" and math.isfinite(compared["loss"])


def test_a_typed_rate_carries_over_and_another_view_is_not_overlaid(page: Page, server_url: str) -> None:
    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "numpy")
    page.fill("#steps", "100")
    page.fill("#learning_rate", "2e-6")
    page.fill("#seed", "3")
    page.click("[data-start]")
    run_id(page)

    # A rate the user typed is theirs: it goes along; the formula does not, to an engine that reads none.
    page.select_option("#twin-engine", "lecture-net")
    with page.expect_request(is_new_run) as sent:
        page.locator("#compare [data-twin-start]").click()
    body = json.loads(sent.value.post_data or "{}")
    assert body["engine"] == "lecture-net" and body["learning_rate"] == 2e-6
    assert "target" not in body and "layers" not in body

    # The twin's predictions against targets do not belong on the fit chart of y against x: the panel says so.
    compare = page.locator("#compare")
    expect(compare).to_have_attribute("data-views-differ", "true", timeout=LIVE_TIMEOUT)
    expect(compare.locator("[data-compare-summary]")).to_contain_text("The fit chart shows A only")
    chart = page.locator("#fit-chart")
    expect(chart).to_have_attribute("data-compare", "other-view", timeout=LIVE_TIMEOUT)
    expect(chart).to_have_attribute("data-view", "fit")
    expect(page.locator("#fit [data-key-compare]")).to_be_hidden()
