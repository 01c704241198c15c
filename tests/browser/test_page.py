"""The page, end to end: a real server, a real Chromium, and what a student or a lecturer would do."""

from __future__ import annotations

import json
import math
import re
import urllib.error
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, PageWatch, StartRun

pytestmark = pytest.mark.browser

MINUS = "\u2212"
# A number as the weights panel writes it: a sign (minus or figure space), digits, maybe an exponent.
SHOWN_NUMBER = re.compile(r"^[\u2212\u2007]\d+\.\d+(e\u2212?\d+)?$")
CUBIC = re.compile(r"^y = \u2212?\d+\.\d{4}(\s[+\u2212]\s\d+\.\d{4}\sx[²³]?){3}$")
LIVE_TIMEOUT = 15_000  # ms: generous for a loaded CI machine; every wait ends as soon as its condition holds


def number_attribute(locator: Locator, name: str) -> int:
    value = locator.get_attribute(name)
    assert value is not None, f"{name} is not set"
    return int(value)


def wait_for_attribute_above(page: Page, selector: str, name: str, floor: int) -> int:
    """Waits until the element's numeric data attribute exceeds `floor`; returns the value seen."""
    page.wait_for_function(
        "([selector, name, floor]) => Number(document.querySelector(selector).getAttribute(name)) > floor",
        arg=[selector, name, floor],
        timeout=LIVE_TIMEOUT,
    )
    return number_attribute(page.locator(selector), name)


def shown_number(text: str) -> float:
    """Reads back a number the page wrote with a real minus sign."""
    return float(text.strip().replace(MINUS, "-"))


def test_offline_page_draws_a_run_live(
    page: Page, start_run: StartRun, server_url: str, api: AppClient, watch: PageWatch
) -> None:
    page.goto(server_url)
    run_id = start_run(page, steps=3000, pace=600)

    # Both charts draw again and again as frames arrive, and the steps they report having drawn grow (the loss
    # chart's drawn points stop growing at about two a pixel, soon in a run of 600 steps/s).
    wait_for_attribute_above(page, "#loss-chart", "data-points", 0)
    losses = wait_for_attribute_above(page, "#loss-chart", "data-losses", 0)
    wait_for_attribute_above(page, "#loss-chart", "data-losses", losses)
    fit_step = wait_for_attribute_above(page, "#fit-chart", "data-step", 0)
    wait_for_attribute_above(page, "#fit-chart", "data-step", fit_step)
    assert number_attribute(page.locator("#fit-chart"), "data-points") > 500  # the data's dots, and lines

    # The weights panel shows numbers, and the cubic they make, while the run is live.
    for cell in page.locator("#weights td").all():
        expect(cell).to_have_text(SHOWN_NUMBER)
    expect(page.locator("#weights [data-cubic]")).to_have_text(CUBIC)

    # At the end the page holds every loss, and shows the weights the server ended with.
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", "3000")
    expect(page.locator("#weights")).to_have_attribute("data-step", "2999")
    final = api.get(f"/api/runs/{run_id}")
    for name, value in final["params"].items():
        shown = page.locator(f"#weights tr[data-param={name}] td").first.inner_text()
        assert math.isclose(shown_number(shown), value, rel_tol=1e-4, abs_tol=5e-5), name

    # The offline promise: nothing but this server was asked for anything, and nothing went wrong.
    assert watch.foreign_requests == []
    assert watch.console_errors == []


def test_pause_step_resume_and_stop(page: Page, start_run: StartRun, server_url: str, api: AppClient) -> None:
    page.goto(server_url)
    run_id = start_run(page, steps=3000, pace=300)
    status = page.locator("#status")
    button = {name: page.locator(f"[data-command={name}]") for name in ("pause", "resume", "step", "stop")}
    start = page.locator("[data-start]")

    expect(status).to_have_attribute("data-status", "running")
    wait_for_attribute_above(page, "#status", "data-step", 5)
    expect(start).to_be_disabled()
    expect(button["resume"]).to_be_disabled()

    button["pause"].click()
    expect(status).to_have_attribute("data-status", "paused")
    expect(button["pause"]).to_be_disabled()
    expect(button["resume"]).to_be_enabled()
    # Paused: the page catches up with the server's last step, and the server takes no more of its own.
    held = api.get(f"/api/runs/{run_id}")["step"]
    expect(status).to_have_attribute("data-step", str(held))

    button["step"].click()
    expect(status).to_have_attribute("data-step", str(held + 1))
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", str(held + 2))
    assert api.get(f"/api/runs/{run_id}")["step"] == held + 1  # exactly one step, still paused
    expect(status).to_have_attribute("data-status", "paused")

    button["resume"].click()
    expect(status).to_have_attribute("data-status", "running")
    wait_for_attribute_above(page, "#status", "data-step", held + 1)

    button["stop"].click()
    expect(status).to_have_attribute("data-status", "stopped")
    expect(status.locator("[data-part=status]")).to_have_text("stopped")
    expect(start).to_be_enabled()
    for command in button.values():
        expect(command).to_be_disabled()
    assert api.get(f"/api/runs/{run_id}")["status"] == "stopped"


def test_a_diverging_run_says_so_and_shows_no_nan(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    page.goto(server_url)
    run_id = start_run(page, learning_rate="1e-5", steps=2000)

    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "diverged", timeout=LIVE_TIMEOUT)
    run = api.get(f"/api/runs/{run_id}")
    message = status.locator("[data-part=message]")
    expect(message).to_be_visible()
    expect(message).to_have_class(re.compile(r"\balarming\b"))
    expect(message).to_have_text(run["message"])

    weights = page.locator("#weights")
    expect(weights).to_have_attribute("data-step", str(run["step"]))
    for cell in weights.locator("td").all():
        expect(cell).to_have_text(SHOWN_NUMBER)
    assert not re.search(r"NaN|Infinity", weights.inner_text())


def test_a_rejected_field_is_marked_where_it_was_typed(
    page: Page, start_run: StartRun, server_url: str, api: AppClient, watch: PageWatch
) -> None:
    watch.expected_errors.append("status of 422")  # Chromium logs every failed fetch; this one is the point
    try:
        api.post("/api/runs", {"learning_rate": -1})
        pytest.fail("the server accepted a negative learning rate")
    except urllib.error.HTTPError as error:
        assert error.code == 422
        [problem] = json.load(error)["detail"]
    runs_before = len(api.get("/api/runs"))

    page.goto(server_url)
    open_settings(page)
    page.fill("#learning_rate", "-1")
    page.click("[data-start]")

    error_slot = page.locator("#learning_rate-error")
    expect(error_slot).to_have_text(problem["msg"])
    expect(error_slot).to_be_visible()
    expect(page.locator("#learning_rate")).to_have_attribute("aria-invalid", "true")
    for other in ("engine", "reduction", "steps", "seed", "pace"):
        expect(page.locator(f"#{other}-error")).to_be_hidden()
    assert "#run=" not in page.url
    assert len(api.get("/api/runs")) == runs_before

    # Corrected, the same form starts a run and the mark goes away.
    start_run(page, learning_rate="1e-6", steps=20)
    expect(error_slot).to_be_hidden()
    expect(page.locator("#learning_rate")).to_have_attribute("aria-invalid", "false")


def test_reloading_the_address_rejoins_the_run(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    page.goto(server_url)
    run_id = start_run(page, steps=1500, pace=1000)
    wait_for_attribute_above(page, "#loss-chart", "data-losses", 100)

    page.reload()  # the address still says #run=<id>: the page joins again from scratch, mid-run
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    history: dict[str, Any] = api.get(f"/api/runs/{run_id}/history")
    assert len(history["loss"]) == 1500
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", str(len(history["loss"])))
    expect(status).to_have_attribute("data-step", str(history["step"][-1]))


def test_a_dropped_connection_resumes_without_losing_or_doubling_a_loss(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    # Keep a handle on the page's sockets, to cut one as a flaky network would.
    page.add_init_script(
        """
        const NativeWebSocket = window.WebSocket;
        window.openedSockets = [];
        window.WebSocket = class extends NativeWebSocket {
          constructor(...args) { super(...args); window.openedSockets.push(this); }
        };
        """
    )
    urls: list[str] = []
    page.on("websocket", lambda socket: urls.append(socket.url))
    page.goto(server_url)
    run_id = start_run(page, steps=2000, pace=800)
    held = wait_for_attribute_above(page, "#loss-chart", "data-losses", 200)

    page.evaluate("window.openedSockets.at(-1).close()")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)

    assert len(urls) == 2, urls
    assert int(urls[1].rsplit("since=", 1)[1]) >= held  # it asked only for what it did not hold
    history = api.get(f"/api/runs/{run_id}/history")
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", str(len(history["loss"])))


def test_a_shared_link_draws_a_long_history_at_about_two_points_per_pixel(
    page: Page, server_url: str, api: AppClient
) -> None:
    # Few points make 1e5 steps quick to train; the page must keep every loss yet draw only what shows.
    run = api.post("/api/runs", {"steps": 100_000, "points": 20, "reduction": "mean"})
    page.goto(f"{server_url}/#run={run['id']}")

    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    chart = page.locator("#loss-chart")
    expect(chart).to_have_attribute("data-losses", "100000")
    box = chart.bounding_box()
    assert box is not None
    assert 100 < number_attribute(chart, "data-points") <= 2 * box["width"] + 1
    expect(page.locator("[data-start]")).to_be_enabled()
