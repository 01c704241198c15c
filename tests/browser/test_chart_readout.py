"""The charts' read-out: pointing at (or stepping the keyboard to) a step shows that step, its loss and the
weights its loss was computed with, the same numbers the REST history holds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
STEPS = 200

# Where step (or x) `value` of the chart in `selector` is on screen: its uPlot's own scale, in page pixels.
POSITION = """async ([selector, value]) => {
  const { plotIn } = await import('/static/js/views/chart.js');
  const container = document.querySelector(selector);
  const plot = plotIn(container);
  const over = plot.over.getBoundingClientRect();
  return { x: over.left + plot.valToPos(value, 'x'), y: over.top + over.height / 2 };
}"""


def readout(page: Page, selector: str) -> dict[str, Any]:
    text = page.locator(selector).get_attribute("data-readout") or ""
    return dict(json.loads(text)) if text else {}


def point_at(page: Page, selector: str, value: float) -> None:
    page.locator(selector).scroll_into_view_if_needed()
    where = page.evaluate(POSITION, [selector, value])
    page.mouse.move(where["x"], where["y"])


def wait_readout(page: Page, selector: str, **expected: Any) -> dict[str, Any]:
    """Waits until the read-out holds these values, and returns all it holds."""
    page.wait_for_function(
        """([selector, expected]) => {
          const text = document.querySelector(selector).dataset.readout;
          if (!text) return false;
          const found = JSON.parse(text);
          return Object.entries(expected).every(([key, value]) => JSON.stringify(found[key]) === JSON.stringify(value));
        }""",
        arg=[selector, expected],
        timeout=LIVE_TIMEOUT,
    )
    return readout(page, selector)


def weights_at(history: dict[str, Any], step: int) -> dict[str, float]:
    return {name: column[step] for name, column in history["params"].items()}


def test_pointing_at_the_loss_chart_reads_out_step_loss_and_weights(
    page: Page, server_url: str, api: AppClient
) -> None:
    run = api.post("/api/runs", {"engine": "numpy", "steps": STEPS, "seed": 7})
    page.goto(f"{server_url}/#run={run['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", str(STEPS), timeout=LIVE_TIMEOUT)
    history = api.get(f"/api/runs/{run['id']}/history")

    for aim in (37, 150):
        point_at(page, "#loss-chart", aim)
        # The step under the pointer's pixel: the aimed one, or a neighbour where a pixel spans several steps.
        page.wait_for_function(
            """aim => {
              const text = document.querySelector('#loss-chart').dataset.readout;
              return Boolean(text) && Math.abs(JSON.parse(text).step - aim) <= 3;
            }""",
            arg=aim,
        )
        found = readout(page, "#loss-chart")
        step = found["step"]
        assert found["loss"] == history["loss"][step]
        page.wait_for_function("() => JSON.parse(document.querySelector('#loss-chart').dataset.readout).weights")
        assert readout(page, "#loss-chart")["weights"] == weights_at(history, step)
        box = page.locator("#loss-chart .chart-readout")
        expect(box).to_be_visible()
        expect(box).to_contain_text(f"step {step}")

    # The pointer leaves: the read-out goes.
    page.mouse.move(0, 0)
    expect(page.locator("#loss-chart .chart-readout")).to_be_hidden()

    # The keyboard: focus the chart, End is the last step, ← one back, Shift+← ten, Home the first.
    page.focus("#loss-chart")
    for key, step in (("End", STEPS - 1), ("ArrowLeft", STEPS - 2), ("Shift+ArrowLeft", STEPS - 12), ("Home", 0)):
        page.keyboard.press(key)
        found = wait_readout(page, "#loss-chart", step=step)
        assert found["loss"] == history["loss"][step]
    page.wait_for_function("() => JSON.parse(document.querySelector('#loss-chart').dataset.readout).weights")
    assert readout(page, "#loss-chart")["weights"] == weights_at(history, 0)
    expect(page.locator("#loss-chart .chart-readout")).to_have_attribute("role", "status")


def test_a_running_run_reads_past_weights_from_the_server(page: Page, server_url: str, api: AppClient) -> None:
    """While a run goes the page holds only its latest weights: the read-out asks for the step's row."""
    run = api.post("/api/runs", {"engine": "torch-autograd", "steps": 2000, "seed": 3, "pace": 20})
    page.goto(f"{server_url}/#run={run['id']}")
    page.wait_for_function("() => Number(document.querySelector('#loss-chart').dataset.losses) > 80")
    point_at(page, "#loss-chart", 40)  # a pixel spans several of the run's 2000 steps: one of those is read
    page.wait_for_function("() => JSON.parse(document.querySelector('#loss-chart').dataset.readout || '{}').weights")
    history = api.get(f"/api/runs/{run['id']}/history")
    found = readout(page, "#loss-chart")
    step = found["step"]
    assert abs(step - 40) <= 20 and found["loss"] == history["loss"][step]
    assert found["weights"] == weights_at(history, step)
    assert page.locator("#status").get_attribute("data-status") == "running"


def test_the_fit_and_gradient_charts_read_out_what_they_draw(page: Page, server_url: str, api: AppClient) -> None:
    run = api.post("/api/runs", {"engine": "torch-autograd", "steps": STEPS, "seed": 5})
    page.goto(f"{server_url}/#run={run['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    expect(page.locator("#fit-chart")).to_have_attribute("data-step", str(STEPS - 1), timeout=LIVE_TIMEOUT)
    info = api.get(f"/api/runs/{run['id']}")
    history = api.get(f"/api/runs/{run['id']}/history")

    # The fit: the model at the x pointed at, drawn with the weights after the last step.
    point_at(page, "#fit-chart", 1.0)
    found = wait_readout(page, "#fit-chart", step=STEPS - 1)
    assert abs(found["x"] - 1.0) < 0.05 and found["weights"] == info["params"]
    a, b, c, d = (info["params"][name] for name in "abcd")
    x = found["x"]
    # The curve travels at float32's precision (docs/protocol.md): within float32's rounding of the model's value.
    assert found["model"] == pytest.approx(a + b * x + c * x**2 + d * x**3, rel=2**-23)
    assert found["loss"] == history["loss"][STEPS - 1]
    expect(page.locator("#fit-chart .chart-readout")).to_contain_text("model")

    # The gradient's length, at a sampled step: the loss and weights of that step.
    page.focus("#grad-norm-chart")
    page.keyboard.press("End")
    found = wait_readout(page, "#grad-norm-chart", step=STEPS - 1)
    page.wait_for_function("() => JSON.parse(document.querySelector('#grad-norm-chart').dataset.readout).weights")
    found = readout(page, "#grad-norm-chart")
    grads = [history["grads"][name][STEPS - 1] for name in "abcd"]
    assert found["norm"] == pytest.approx(sum(g * g for g in grads) ** 0.5, rel=1e-12)
    assert found["weights"] == weights_at(history, STEPS - 1) and found["loss"] == history["loss"][STEPS - 1]
