"""Following the lecturer at any pace: what the lecturer's screen shows (the enlarged panel, the graph's mode,
the node inspected, the backward stepper's place) reaches a following student's screen while the run goes at
1, 20, 50 steps/s and as fast as it goes, not only once it holds still.

The latencies are printed (pytest -s) for the record; the test asserts only that each change arrives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, PageWatch

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms
ARRIVAL_TIMEOUT = 20_000  # ms: generous, a loaded machine may be slow; the measured figure is printed, not judged
STEPS = 1_000_000  # a run long enough to be still going after every change, even at full speed

# Before the page's own scripts: the moment of each key or click the lecturer makes, from the same clock the
# student's page reads (both pages run on this machine: performance.timeOrigin + now() is the wall clock), and
# how many frames the page had drawn by then and by the time the view was posted to the server.
LECTURER_CLOCK = """
window.firstInput = null;
window.frames = 0;
window.framesAtInput = null;
window.framesAtPost = null;
for (const type of ["keydown", "pointermove", "pointerdown"]) {
  const note = () => {
    window.firstInput ??= performance.timeOrigin + performance.now();
    window.framesAtInput ??= window.frames;
  };
  addEventListener(type, note, { capture: true });
}
new MutationObserver((records) => {
  if (records.some((record) => record.target.id === "status")) window.frames += 1;
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-step"] });
const pageFetch = window.fetch;
window.fetch = (resource, options) => {
  if (String(resource).endsWith("/presenter")) window.framesAtPost ??= window.frames;
  return pageFetch(resource, options);
};
"""
# The student's page notes when its screen first shows what `check` looks for (checked on every change of the
# page and on every animation frame, so a state that holds is seen within a frame).
STUDENT_WATCH = """(check) => {
  const holds = new Function("return " + check);
  window.seenAt = null;
  const look = () => {
    if (window.seenAt === null && holds()) window.seenAt = performance.timeOrigin + performance.now();
  };
  const observer = new MutationObserver(look);
  observer.observe(document.documentElement, { attributes: true, subtree: true, childList: true });
  const frame = () => { look(); if (window.seenAt === null) requestAnimationFrame(frame); else observer.disconnect(); };
  requestAnimationFrame(frame);
  look();
}"""


def _context(browser: Browser, watch: PageWatch, watch_context: Callable[[BrowserContext], None]) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    watch_context(context)
    context.on("console", lambda message: message.type == "error" and watch.console_errors.append(message.text))
    return context


@pytest.fixture
def hall(
    browser: Browser, watch: PageWatch, watch_context: Callable[[BrowserContext], None]
) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    """Two browsers: the lecturer's and a student's (each its own storage: only the lecturer holds the token)."""
    lecturer, student = _context(browser, watch, watch_context), _context(browser, watch, watch_context)
    yield lecturer, student
    lecturer.close()
    student.close()
    assert watch.unexpected_errors() == [], "a page logged errors"
    assert watch.csp_violations == [], "a page broke its Content-Security-Policy"


def _open(context: BrowserContext, url: str, watch: PageWatch) -> Page:
    page = context.new_page()
    page.on("pageerror", lambda error: watch.console_errors.append(f"uncaught: {error}"))
    page.goto(url)
    return page


class Measure:
    """Times changes made on the lecturer's page until the student's page shows them."""

    def __init__(self, lecturer: Page, student: Page, pace: float | None) -> None:
        self.lecturer, self.student, self.pace = lecturer, student, pace
        self.latencies: dict[str, float] = {}

    def __call__(self, name: str, act: Callable[[], None], shown: str) -> None:
        """`act` on the lecturer's page; `shown`, a JS expression, holds on the student's page once it arrived."""
        assert not self.student.evaluate(f"() => {shown}"), f"{name}: the student shows it before the lecturer did"
        self.student.evaluate(STUDENT_WATCH, shown)
        self.lecturer.wait_for_timeout(150)  # past the last post's 100 ms: this change may leave at once
        # A click's move to the node counts as its start.
        self.lecturer.evaluate("() => { window.firstInput = window.framesAtInput = window.framesAtPost = null; }")
        act()
        self.student.wait_for_function("() => window.seenAt !== null", timeout=ARRIVAL_TIMEOUT)
        latency = self.student.evaluate("() => window.seenAt") - self.lecturer.evaluate("() => window.firstInput")
        self.latencies[name] = round(latency)
        # The view left with the frame it was made in: frames coming do not hold it back. (A frame already on its way
        # when the key came may be drawn first, on a loaded machine: one, never a run of them.)
        frames = self.lecturer.evaluate("() => [window.framesAtInput, window.framesAtPost]")
        assert frames[1] - frames[0] <= 1, f"{name}: posted only after {frames[1] - frames[0]} more frames were drawn"

    def report(self) -> None:
        pace = "unlimited" if self.pace is None else f"{self.pace:g} steps/s"
        print(f"\nfollow latency at {pace}: " + ", ".join(f"{k} {v} ms" for k, v in self.latencies.items()))


def _key(page: Page, key: str) -> None:
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press(key)


@pytest.mark.parametrize("pace", [1, 20, 50, None], ids=["1", "20", "50", "unlimited"])
def test_a_student_follows_the_lecturer_at_any_pace(
    hall: tuple[BrowserContext, BrowserContext], api: AppClient, server_url: str, watch: PageWatch, pace: float | None
) -> None:
    lecturer_context, student_context = hall
    run = api.post("/api/runs", {"engine": "torch-autograd", "steps": STEPS, "pace": pace, "points": 8})
    run_id, token = run["id"], run["control_token"]
    lecturer_context.add_init_script(
        f"localStorage.setItem('autograd-live:control:{run_id}', {token!r});" + LECTURER_CLOCK
    )
    lecturer = _open(lecturer_context, f"{server_url}/#run={run_id}&present=1", watch)
    student = _open(student_context, f"{server_url}/#run={run_id}", watch)
    for page in (lecturer, student):
        expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    expect(student.locator("[data-follow-switch]")).to_be_checked()
    # The graph is drawn on both screens and the run is moving.
    for page in (lecturer, student):
        page.wait_for_function("() => document.querySelectorAll('#graph .graph-node').length > 3", timeout=LIVE_TIMEOUT)
    step = int(lecturer.locator("#status").get_attribute("data-step") or 0)
    expect(lecturer.locator("#status")).not_to_have_attribute("data-step", str(step), timeout=LIVE_TIMEOUT)

    measure = Measure(lecturer, student, pace)
    graph = "document.querySelector('#graph')"
    measure("enlarge (key 4)", lambda: _key(lecturer, "4"), f"{graph}.classList.contains('enlarged')")
    for mode, name in (("forward", "values"), ("backward", "gradients")):
        switch = f"[data-graph-mode][value={mode}]"
        measure(f"{name} (switch)", lambda switch=switch: lecturer.click(switch), f"{graph}.dataset.mode === '{mode}'")
    node = lecturer.locator("#graph [data-graph-svg] .graph-node:not(.kind-layer)").last
    node_id = node.get_attribute("data-node")
    inspected = f"document.querySelector('[data-graph-inspector]').dataset.node === {node_id!r}"
    measure("inspect a node (click)", lambda: node.click(), inspected)
    measure("restore (key 4)", lambda: _key(lecturer, "4"), f"!{graph}.classList.contains('enlarged')")
    # Still running: every change above arrived while frames kept coming.
    assert api.get(f"/api/runs/{run_id}")["status"] == "running"

    # Paused, the graph enlarged: → walks the backward pass, node by node, on both screens.
    _key(lecturer, " ")
    expect(student.locator("#status")).to_have_attribute("data-status", "paused", timeout=LIVE_TIMEOUT)
    measure("enlarge, paused", lambda: _key(lecturer, "4"), f"{graph}.classList.contains('enlarged')")
    expect(lecturer.locator("#graph [data-step-next]")).to_be_enabled()
    for index in range(2):
        measure(f"stepper → {index}", lambda: _key(lecturer, "ArrowRight"), f"{graph}.dataset.stepIndex === '{index}'")
    measure.report()
    api.post(f"/api/runs/{run_id}/stop")
