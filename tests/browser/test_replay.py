"""Replay of an ended run: the timeline's step shows that step's recorded weights, loss, gradient and fit."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

MINUS = "\u2212"
FIGURE_SPACE = "\u2007"
TIMEOUT = 15_000  # ms

# The fit chart's uPlot, through the page's own registry of plots (views/chart.js): x and the model series.
DRAWN_MODEL = """async () => {
  const { plotIn } = await import("/static/js/views/chart.js");
  const [x, , , model] = plotIn(document.querySelector("#fit-chart")).data;
  return x.map((value, i) => [value, model[i]]).filter(([, y]) => y != null);
}"""


def ended_run(api: AppClient, **config: object) -> tuple[str, dict[str, Any]]:
    """A run trained to its end through the API, and its history as the server records it."""
    run = api.post("/api/runs", {"points": 200, "seed": 5, **config})
    for _ in range(300):
        if api.get(f"/api/runs/{run['id']}")["status"] == "finished":
            return run["id"], api.get(f"/api/runs/{run['id']}/history")
        time.sleep(0.1)
    pytest.fail(f"run {run['id']} did not finish")


def open_replay(page: Page, server_url: str, run_id: str) -> None:
    page.goto(f"{server_url}/#run={run_id}")
    expect(page.locator("[data-replay]")).to_be_visible(timeout=TIMEOUT)


def seek(page: Page, step: int) -> None:
    page.locator("[data-replay-range]").fill(str(step))
    expect(page.locator("[data-replay]")).to_have_attribute("data-step", str(step))


def magnitude(v: float, digits: int) -> str:
    """format.js's magnitude: fixed decimals, or an exponent where they would show nothing or too much."""
    a = abs(v)
    if a != 0 and (a < 10**-digits or a >= 1e6):
        mantissa, exponent = f"{a:.{digits - 1}e}".split("e")
        return f"{mantissa}e{int(exponent)}".replace("-", MINUS)
    return f"{a:.{digits}f}"


def signed(v: float) -> str:
    """format.js's formatSigned: the weights table's cells."""
    return (MINUS if v < 0 else FIGURE_SPACE) + magnitude(v, 4)


def value(v: float) -> str:
    """format.js's formatValue: five significant digits, grouped, an exponent only when huge or tiny."""
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e7):
        text = magnitude(v, 4)
    else:
        decimals = max(0, 4 - math.floor(math.log10(a))) if a else 0
        text = f"{round(a, decimals):,.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return (MINUS if v < 0 else "") + text


def check_weights_and_loss(page: Page, history: dict[str, Any], step: int) -> None:
    weights = page.locator("#weights")
    expect(weights).to_have_attribute("data-replay-step", str(step))
    for name, column in history["params"].items():
        row = weights.locator(f"tr[data-param='{name}'] td")
        expect(row.nth(0)).to_have_text(signed(column[step]))
        expect(row.nth(1)).to_have_text(signed(history["grads"][name][step]))
    expect(weights.locator("[data-loss]")).to_have_text(value(history["loss"][step]))
    expect(weights.locator("[data-loss-step]")).to_have_text(f"{step:,}")
    expect(page.locator("[data-replay-readout-loss]")).to_have_text(value(history["loss"][step]))
    expect(page.locator("[data-replay-readout-step]")).to_have_text(f"{step:,}")
    expect(page.locator("#loss-chart")).to_have_attribute("data-replay-step", str(step))
    expect(page.locator("#loss-chart .replay-marker")).to_be_visible()


def check_curve(page: Page, model: Any, params: dict[str, float]) -> None:
    drawn = page.evaluate(DRAWN_MODEL)
    assert len(drawn) > 10
    for x, y in drawn[:: len(drawn) // 7]:
        assert y == pytest.approx(model(params, x), rel=1e-9, abs=1e-12), x


def cubic(p: dict[str, float], x: float) -> float:
    return p["a"] + p["b"] * x + p["c"] * x**2 + p["d"] * x**3


def legendre(p: dict[str, float], x: float) -> float:
    z = p["c"] + p["d"] * x
    return p["a"] + p["b"] * 0.5 * (5 * z**3 - 3 * z)


def at(history: dict[str, Any], step: int) -> dict[str, float]:
    return {name: column[step] for name, column in history["params"].items()}


def test_replay_at_a_chosen_step_equals_the_recorded_history(page: Page, server_url: str, api: AppClient) -> None:
    run_id, history = ended_run(api, engine="numpy", steps=300)
    assert history["step"] == list(range(300))
    open_replay(page, server_url, run_id)
    timeline = page.locator("[data-replay]")
    expect(timeline).to_have_attribute("data-step", "")  # it opens on the final view
    expect(page.locator("[data-replay-range]")).to_have_attribute("max", "299")

    seek(page, 123)
    check_weights_and_loss(page, history, 123)
    expect(page.locator("#fit-chart")).to_have_attribute("data-replay-step", "123")
    check_curve(page, cubic, at(history, 123))
    expect(page.locator("[data-replay-fit-note]")).to_be_hidden()

    # The keyboard moves it too: one step, then the ends.
    page.locator("[data-replay-range]").press("ArrowRight")
    expect(timeline).to_have_attribute("data-step", "124")
    page.locator("[data-replay-range]").press("Home")
    expect(timeline).to_have_attribute("data-step", "0")
    check_weights_and_loss(page, history, 0)
    check_curve(page, cubic, at(history, 0))

    # Play at 10 steps/s moves forward, Pause holds the step.
    page.select_option("[data-replay-speed]", "10")
    page.click("[data-replay-play]")
    expect(timeline).to_have_attribute("data-playing", "true")
    page.wait_for_function("Number(document.querySelector('[data-replay]').dataset.step) >= 3")
    page.click("[data-replay-pause]")
    expect(timeline).to_have_attribute("data-playing", "false")
    held = int(timeline.get_attribute("data-step") or "-1")
    assert 3 <= held < 100
    page.wait_for_timeout(300)
    expect(timeline).to_have_attribute("data-step", str(held))
    check_weights_and_loss(page, history, held)

    # At 1000 steps/s it runs to the end and stops there, on the final view again.
    page.select_option("[data-replay-speed]", "1000")
    page.click("[data-replay-play]")
    expect(timeline).to_have_attribute("data-playing", "false", timeout=TIMEOUT)
    expect(timeline).to_have_attribute("data-step", "")
    expect(page.locator("[data-replay-range]")).to_have_value("299")
    expect(page.locator("#fit-chart")).to_have_attribute("data-replay-step", "")
    expect(page.locator("#loss-chart .replay-marker")).to_be_hidden()

    # "Final" leaves a replay for the final view.
    seek(page, 42)
    page.click("[data-replay-final]")
    expect(timeline).to_have_attribute("data-step", "")
    expect(page.locator("#weights")).to_have_attribute("data-replay-step", "")


def test_a_custom_function_run_replays_with_its_legendre_formula(page: Page, server_url: str, api: AppClient) -> None:
    run_id, history = ended_run(api, engine="torch-function", steps=300)
    open_replay(page, server_url, run_id)
    graph_step = page.locator("#graph").get_attribute("data-step")
    seek(page, 100)
    check_weights_and_loss(page, history, 100)
    check_curve(page, legendre, at(history, 100))
    # The server keeps only the last captured graph: the page says which step it is.
    assert graph_step is not None and int(graph_step) != 100
    expect(page.locator("[data-replay-graph-note]")).to_have_text(
        f"graph of step {graph_step} (the last captured), not of step 100"
    )


def test_a_network_replays_its_norms_and_says_its_past_fits_cannot_be_redrawn(
    page: Page, server_url: str, api: AppClient
) -> None:
    run_id, history = ended_run(api, engine="torch-mlp", steps=120)
    open_replay(page, server_url, run_id)
    note = page.locator("[data-replay-fit-note]")
    expect(note).to_contain_text("cannot be redrawn")
    seek(page, 30)
    check_weights_and_loss(page, history, 30)
    expect(note).to_be_visible()
    expect(page.locator("#fit-chart")).to_have_attribute("data-replay-step", "")  # the final curve, said so
