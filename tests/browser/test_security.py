"""The page runs under its Content-Security-Policy: code injected inline does not run, and the tests see it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import PageWatch

pytestmark = pytest.mark.browser


def test_injected_inline_code_is_blocked_and_reported(page: Page, server_url: str, watch: PageWatch) -> None:
    """An inline script, an inline event handler and a style attribute added to the page do nothing; each is
    reported as a violation (which fails any other test)."""
    page.goto(f"{server_url}/")
    expect(page.locator("[data-start]")).to_be_enabled()
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
          const image = document.createElement("img");
          image.setAttribute("onerror", "window.handled = true");
          image.src = "data:,";
          document.body.append(image);
          document.body.setAttribute("style", "background: red");
        }"""
    )
    page.wait_for_function("() => document.readyState === 'complete'")
    expect(page.locator("body")).not_to_have_css("background-color", "rgb(255, 0, 0)")
    assert page.evaluate("() => [window.injected, window.handled]") == [None, None]
    # The reports arrive asynchronously, each twice: as an event, and as the browser's console message about it.
    events = wait_for_reports(page, watch, lambda report: report.split(" ", 1)[0].endswith(("-attr", "-elem")))
    wait_for_reports(page, watch, lambda report: "Content Security Policy" in report)
    assert sorted(report.split(" ", 1)[0] for report in events) == [
        "script-src-attr",
        "script-src-elem",
        "style-src-attr",
    ]
    watch.csp_violations.clear()  # provoked here on purpose
    watch.expected_errors.append("Content Security Policy")


def wait_for_reports(page: Page, watch: PageWatch, kind: Callable[[str], bool], count: int = 3) -> list[str]:
    """The violation reports of a kind, once `count` have come."""
    deadline = time.monotonic() + 15
    while len(found := [report for report in watch.csp_violations if kind(report)]) < count:
        assert time.monotonic() < deadline, f"only these reports came: {watch.csp_violations}"
        page.wait_for_timeout(50)  # lets playwright deliver the page's events
    return found
