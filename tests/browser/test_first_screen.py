"""The first screen: a first-time student presses Start and watches the run, on a laptop and on a phone."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext

    from tests.browser.conftest import AppClient, PageWatch, StartRun

LIVE_TIMEOUT = 60_000
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# What a first-time student must see together, without scrolling, once they have pressed Start.
RUN_CONTROLS = ("[data-start]", "[data-command=pause]", "[data-command=step]", "#pace")
BOARD = ("#fit", "#loss", "#weights", "#graph")
SENTENCE = re.compile(
    r"^Step ([\d,]+): the loss fell from ([\d,.]+) to ([\d,.e−]+); ([abcd]) is (−?[\d.]+), heading for (−?[\d.]+)"
    r" \(least squares\)\.$"
)


def inside_viewport(page: Page, selector: str) -> bool:
    """Whether the element's whole box is on the first screen, with the page not scrolled."""
    return bool(
        page.evaluate(
            """(selector) => {
              const box = document.querySelector(selector).getBoundingClientRect();
              return scrollY === 0 && box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
                && box.bottom <= innerHeight && box.right <= innerWidth;
            }""",
            selector,
        )
    )


def test_a_laptop_shows_the_run_controls_and_everything_they_move_on_one_screen(
    page: Page, server_url: str, api: AppClient
) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(server_url)
    expect(page.locator("[data-settings]")).to_be_hidden()  # the settings start folded
    for selector in (*RUN_CONTROLS, *BOARD):
        assert inside_viewport(page, selector), selector

    # The lecture's defaults, paced to be watched: the default run lasts seconds, not a blink.
    page.click("[data-start]")
    page.wait_for_function("() => location.hash.startsWith('#run=')")
    run_id = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('run')")
    config = api.get(f"/api/runs/{run_id}")["config"]
    assert 10 <= config["steps"] / config["pace"] <= 20, config
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    page.wait_for_function("() => Number(document.querySelector('[data-narration]').dataset.step) > 50")
    for selector in (*RUN_CONTROLS, *BOARD):
        assert inside_viewport(page, selector), selector
    page.click("[data-command=stop]")
    expect(status).to_have_attribute("data-status", "stopped")


def test_the_sentence_says_what_happens_and_where_the_weights_are_going(page: Page, server_url: str) -> None:
    page.goto(server_url)
    narration = page.locator("[data-narration]")
    expect(narration).to_contain_text("Press Start")
    page.click("[data-start]")
    page.wait_for_function("() => Number(document.querySelector('[data-narration]').dataset.step) > 20")
    text = narration.inner_text()
    match = SENTENCE.match(text)
    assert match, text
    first, last = (float(match[i].replace(",", "").replace("−", "-")) for i in (2, 3))
    assert first > last

    # The target it names is the least-squares cubic through the lecture's data, solved independently here.
    x = np.linspace(-math.pi, math.pi, 2000)
    features = np.stack([np.ones_like(x), x, x**2, x**3], axis=1)
    solution = dict(zip("abcd", np.linalg.lstsq(features, np.sin(x), rcond=None)[0], strict=True))
    name = match[4]
    assert float(match[6]) == pytest.approx(solution[name], abs=2e-3)
    exact = float(narration.get_attribute("data-least-squares") or "nan")
    assert exact == pytest.approx(solution[name], abs=1e-3)  # the page solves on the 500 points it draws

    page.click("[data-command=pause]")
    expect(narration).to_contain_text(re.compile(r"^Paused at step [\d,]+: the loss fell"))
    page.click("[data-command=stop]")
    expect(narration).to_contain_text(re.compile(r"^Stopped at step [\d,]+: .*least squares gives"))


def test_a_refused_field_opens_the_settings_at_it_with_focus_there(
    page: Page, server_url: str, watch: PageWatch
) -> None:
    watch.expected_errors.append("status of 422")
    page.set_viewport_size(LAPTOP)
    page.goto(server_url)
    open_settings(page)
    page.fill("#steps", "20O")  # a typo: the letter O for a zero
    page.click("[data-settings-close]")
    expect(page.locator("[data-settings]")).to_be_hidden()
    page.click("[data-start]")

    field = page.locator("#steps")
    message = page.locator("#steps-error")
    expect(message).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    # The message sits under its field, in sight: not a screen away.
    gap = page.evaluate(
        """() => document.querySelector('#steps-error').getBoundingClientRect().top
                 - document.querySelector('#steps').getBoundingClientRect().bottom"""
    )
    assert 0 <= gap < 40
    assert page.evaluate("document.querySelector('#steps-error').getBoundingClientRect().bottom") <= LAPTOP["height"]


def test_a_live_runs_pace_changes_from_the_run_bar(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    page.goto(server_url)
    run_id = start_run(page, steps=100_000, pace=20)
    expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    page.fill("#pace", "300")
    page.press("#pace", "Enter")  # Enter commits the field; it starts nothing while a run is live
    page.wait_for_function(
        "() => Number(document.querySelector('#status [data-part=rate]').textContent.replace(/\\D/g, '')) > 100",
        timeout=LIVE_TIMEOUT,
    )
    assert api.get(f"/api/runs/{run_id}")["config"]["pace"] == 300


@pytest.fixture
def phone(browser: Browser, server_url: str, watch_context: Callable[[BrowserContext], None]) -> Iterator[Page]:
    """A phone: 390×844, touch, a mobile browser's viewport."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    watch_context(context)
    page = context.new_page()
    yield page
    context.close()


def test_a_phones_first_screen_is_the_run_bar_and_the_fit(phone: Page, server_url: str) -> None:
    phone.goto(server_url)
    for selector in ("[data-start]", "#pace", "#fit-chart"):
        assert inside_viewport(phone, selector), selector
    # Only what a student can use: the lecturer's switches are not on a phone.
    for selector in ("[data-present-toggle]", "[data-full-screen]", "[data-present-help]"):
        expect(phone.locator(selector)).to_be_hidden()
    expect(phone.locator("[data-theme-toggle]")).to_be_visible()
    # A touch screen has no arrow keys: the graph's stepper names its button.
    hint = phone.locator("#graph [data-step-text]")
    expect(hint).to_contain_text("tap next")
    assert "←" not in (hint.text_content() or "")

    # A network's long headline wraps instead of widening the page.
    open_settings(phone)
    phone.select_option("#engine", "torch-mlp")
    phone.fill("#layers", "64, tanh, 64, tanh, 64, tanh, 64, tanh")
    phone.click("[data-start]")
    expect(phone.locator("#status")).to_have_attribute(
        "data-status", re.compile("running|finished"), timeout=LIVE_TIMEOUT
    )
    expect(phone.locator("#headline [data-model]")).to_contain_text("64")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.click("[data-command=stop]")


def test_a_phones_run_list_shows_every_run_without_clipping(phone: Page, server_url: str, api: AppClient) -> None:
    # Every engine's name, a diverged run's status and a network's long loss: the widest rows the list can have.
    configs = [
        {"engine": "torch-optim", "optimizer": "adam", "steps": 30},
        {"engine": "dynamic-net", "steps": 20},
        {"engine": "lecture-net", "steps": 20},
        {"engine": "numpy", "learning_rate": 1e-3, "steps": 50},
        *({"steps": 5, "points": 10} for _ in range(8)),
    ]
    for config in configs:
        api.post("/api/runs", config)
    phone.goto(server_url)
    rows = phone.locator("#runs [data-runs-body] tr")
    expect(rows.nth(len(configs) - 1)).to_be_attached()
    expect(phone.locator("#runs [data-runs-body]")).to_contain_text("diverged", timeout=LIVE_TIMEOUT)
    box = phone.locator("#runs .runs-scroll")
    scrolls = box.evaluate("b => [b.scrollHeight > b.clientHeight + 1, b.scrollWidth > b.clientWidth + 1]")
    assert scrolls == [False, False]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_follower_sees_the_watched_runs_settings_and_no_button_it_cannot_use(
    page: Page, server_url: str, api: AppClient
) -> None:
    config = {"engine": "torch-optim", "optimizer": "adam", "learning_rate": 0.01, "steps": 100_000, "pace": 20}
    run = api.post("/api/runs", config)  # the lecturer's run, started by a script: this page holds no token
    page.goto(f"{server_url}/#run={run['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    for command in ("pause", "resume", "step", "stop"):
        expect(page.locator(f"[data-command={command}]")).to_be_hidden()
    expect(page.locator("#pace")).to_be_hidden()
    expect(page.locator("[data-read-only]")).to_be_visible()

    open_settings(page)
    expect(page.locator("#engine")).to_have_value("torch-optim")
    expect(page.locator("#optimizer")).to_have_value("adam")
    expect(page.locator("#learning_rate")).to_have_value("0.01")
    expect(page.locator("#engine-description")).not_to_contain_text("derived by hand")
    expect(page.locator("[data-settings-source]")).to_contain_text("run you are watching")

    # On the projector the settings give way to the run: no sheet, no switch.
    page.goto(f"{server_url}/#run={run['id']}&present=1")
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile(r"\bpresenting\b"))
    expect(page.locator("[data-settings-toggle]")).to_be_hidden()
    expect(page.locator("[data-settings]")).to_be_hidden()
    api.post(f"/api/runs/{run['id']}/stop")
