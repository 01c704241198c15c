"""The lecture's first slides in the page: a linear model on features chosen in the form, the least-squares fit it
heads for and its residuals on the fit chart, and the equations panel with the step's own numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, StartRun

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds


def test_the_features_are_chosen_in_the_form_and_the_model_follows(page: Page, server_url: str) -> None:
    page.goto(server_url)
    open_settings(page)
    features = page.locator("#degree")
    expect(features).to_be_hidden()  # the cubic engines fit [1, x, x², x³], and say so in their model
    expect(features).to_be_disabled()
    page.select_option("#engine", "linear")
    expect(features).to_be_visible()
    expect(features).to_be_enabled()
    expect(features.locator("option:checked")).to_have_text("[1, x]")  # linear's own default: a line
    expect(page.locator("#engine-model")).to_have_text("y = b + w1 x")
    features.select_option("3")
    expect(page.locator("#engine-model")).to_have_text("y = b + w1 x + w2 x² + w3 x³")
    page.select_option("#engine", "numpy")
    expect(features).to_be_hidden()
    expect(page.locator("#engine-model")).to_have_text("y = a + b x + c x² + d x³")


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_the_equations_carry_the_histories_numbers_at_the_paused_step(
    page: Page, start_run: StartRun, server_url: str, api: AppClient, reduction: str
) -> None:
    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "linear-torch")
    page.select_option("#degree", "2")
    page.check(f"input[name=reduction][value={reduction}]")
    run_id = start_run(page, steps=2000, pace=40, seed=5, noise=0.1)
    fit = page.locator("#fit-chart")
    # The fit chart draws where descent is heading (least squares) and each residual εᵢ, keyed under it.
    page.wait_for_function("() => Number(document.querySelector('#fit-chart').dataset.residuals) > 10")
    page.wait_for_function("() => Number(document.querySelector('#fit-chart').dataset.leastSquares) > 10")
    expect(page.locator("[data-key-least-squares]")).to_be_visible()
    expect(page.locator("[data-key-residuals]")).to_be_visible()
    expect(fit).to_be_visible()

    page.wait_for_function("() => Number(document.querySelector('#equations').dataset.step) >= 5")
    page.click("[data-command=pause]")
    expect(page.locator("#status")).to_have_attribute("data-status", "paused", timeout=LIVE_TIMEOUT)
    run = api.get(f"/api/runs/{run_id}")
    step = run["steps_done"] - 1
    equations = page.locator("#equations")
    expect(equations).to_have_attribute("data-step", str(step), timeout=LIVE_TIMEOUT)
    history = api.get(f"/api/runs/{run_id}/history?start={step}&limit=1")
    assert history["step"] == [step]

    # The loss and every gradient are the history's at that step, the update lands on the run's weights now.
    assert float(equations.locator("[data-eq-loss]").get_attribute("data-eq-loss") or "nan") == history["loss"][0]
    expect(equations.locator(".equation")).to_contain_text("(1/n) Σ εᵢ²" if reduction == "mean" else "L = Σ εᵢ²")
    rows = equations.locator(".equations-gradient tbody tr")
    expect(rows).to_have_count(3)
    for name in ("b", "w1", "w2"):
        row = equations.locator(f"tr[data-weight='{name}']")
        assert float(row.locator("[data-eq-grad]").get_attribute("data-eq-grad") or "nan") == history["grads"][name][0]
        assert float(row.locator("[data-eq-after]").get_attribute("data-eq-after") or "nan") == run["params"][name]
    expect(rows.first.locator("td").first).to_have_text("(2/n) Σ εᵢ" if reduction == "mean" else "2 Σ εᵢ")
    # The features X: a column per power of x, and each shown point's residual.
    expect(equations.locator(".equations-features thead th")).to_have_text(
        ["i", "1", "x", "x²", "yᵢ", "f(xᵢ) = xᵢᵀw", "εᵢ = f(xᵢ) − yᵢ"]
    )
    expect(equations.locator(".equations-features td.residual")).to_have_count(3)
