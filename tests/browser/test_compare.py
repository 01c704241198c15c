"""Two runs side by side: the same config on another engine computes the same thing, step by step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


# The rule the compare panel states (static/js/compare.js): at each step both runs have, the weights and the loss
# within the dtype's rounding of each other, relative to the larger, the gradients within 1000 times that.
ROUNDING = {"float64": 1e-12, "float32": 1e-5}


def relative(a: dict[str, list[float]], b: dict[str, list[float]], i: int) -> float:
    difference = max(abs(a[name][i] - b[name][i]) for name in a)
    size = max(max(abs(a[name][i]), abs(b[name][i])) for name in a)
    return difference / size if size > 0 else 0.0


def first_difference(a: dict[str, Any], b: dict[str, Any], tolerance: float) -> int | None:
    for i in range(min(len(a["loss"]), len(b["loss"]))):
        if (
            relative(a["params"], b["params"], i) > tolerance
            or relative(a["grads"], b["grads"], i) > tolerance * 1000
            or relative({"loss": a["loss"]}, {"loss": b["loss"]}, i) > tolerance
        ):
            return i
    return None


def compared(page: Page, server_url: str, api: AppClient, first: dict[str, Any], second: dict[str, Any]) -> Any:
    """Both runs to their end, compared on the page; the verdict's element and both runs' histories."""
    a, b = api.post("/api/runs", first), api.post("/api/runs", second)
    page.goto(f"{server_url}/#run={a['id']}&compare={b['id']}")
    panel = page.locator("#compare")
    steps = min(first["steps"], second["steps"])
    expect(panel).to_have_attribute("data-steps", str(steps), timeout=LIVE_TIMEOUT)
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    return panel.locator("[data-compare-verdict]"), [api.get(f"/api/runs/{r['id']}/history") for r in (a, b)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_twin_on_another_engine_is_identical_up_to_rounding(
    page: Page, server_url: str, api: AppClient, dtype: str
) -> None:
    config = {"engine": "numpy", "steps": 300, "seed": 11, "dtype": dtype}
    verdict, (a, b) = compared(page, server_url, api, config, {**config, "engine": "torch-autograd"})
    assert first_difference(a, b, ROUNDING[dtype]) is None
    expect(verdict).to_have_attribute("data-verdict", "identical", timeout=LIVE_TIMEOUT)
    expect(verdict).to_contain_text("Identical up to rounding over all 300 steps")
    expect(verdict).to_contain_text(f"{dtype}'s rounding")
    assert float(verdict.get_attribute("data-tolerance") or "nan") == ROUNDING[dtype]


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({"learning_rate": 2e-6}, 1),
        ({"zero_grad": False}, 1),
        ({"steps": 120}, None),
        ({"engine": "torch-optim", "optimizer": "momentum"}, 2),
        ({"dtype": "float32"}, None),
    ],
)
def test_two_runs_that_part_say_from_which_step(
    page: Page, server_url: str, api: AppClient, second: dict[str, Any], expected: int | None
) -> None:
    """Another learning rate moves the weights at step 1; gradients left to pile up differ at step 1; momentum's
    first step is plain SGD's, so its weights part at step 2; a shorter run of the same config agrees over the
    steps both have, and a float32 twin within float32's rounding."""
    first = {"engine": "torch-autograd", "steps": 200, "seed": 4, "learning_rate": 1e-6}
    verdict, (a, b) = compared(page, server_url, api, first, {**first, **second})
    assert first_difference(a, b, ROUNDING[second.get("dtype", "float64")]) == expected
    if expected is None:
        expect(verdict).to_have_attribute("data-verdict", "identical", timeout=LIVE_TIMEOUT)
        both = " both have" if "steps" in second else ""
        steps = second.get("steps", first["steps"])
        expect(verdict).to_contain_text(f"Identical up to rounding over {'the' if both else 'all'} {steps} steps{both}")
        return
    expect(verdict).to_have_attribute("data-verdict", "differ", timeout=LIVE_TIMEOUT)
    expect(verdict).to_have_attribute("data-differ-from", str(expected))
    expect(verdict).to_contain_text(f"Differ from step {expected}:")
