"""Presenter keys after a click on any kind of control: space pauses and → steps the run (the control keeps
its state) unless the focus is in a place that takes typing (a text box, a text area, editable text), which
keeps every key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms

# Elements of each kind a lecturer may click, for a page that shows none of them at the moment (a folded
# panel, a replay slider that shows only once a run has ended): added to the page, handled by their kind.
STAND_INS = {
    "range": '<input type="range" min="0" max="10" value="5" aria-label="stand-in slider">',
    "summary": "<details><summary>stand-in details</summary><p>more</p></details>",
    "checkbox": '<label><input type="checkbox"> stand-in box</label>',
    "textarea": '<textarea aria-label="stand-in notes"></textarea>',
    "contenteditable": '<div contenteditable="true" aria-label="stand-in text">x</div>',
    "number": '<input type="number" aria-label="stand-in number">',
}


def _control(page: Page, selector: str, kind: str) -> Locator:
    """The page's first visible, enabled element of `selector`, else a stand-in of `kind` put at the top."""
    found = page.locator(f"{selector} >> visible=true")
    for i in range(found.count()):
        if found.nth(i).is_enabled():
            return found.nth(i)
    page.evaluate(
        "(html) => { const box = document.createElement('div'); box.className = 'stand-in'; box.innerHTML = html;"
        " document.body.prepend(box); }",
        STAND_INS[kind],
    )
    return page.locator(".stand-in").last.locator(selector.split(",")[0].strip())


def _state(control: Locator) -> object:
    """What a key may change of a control by itself: its value, checked or pressed state, an open details."""
    return control.evaluate(
        "(e) => [e.value ?? null, e.checked ?? null, e.getAttribute('aria-pressed'),"
        " e.closest('details')?.open ?? null, document.documentElement.dataset.theme ?? null]"
    )


@pytest.fixture
def lecturer(page: Page, api: AppClient, server_url: str) -> tuple[Page, str]:
    """The page in presenter mode, holding the token of a long run going at 20 steps/s."""
    run = api.post("/api/runs", {"engine": "torch-autograd", "steps": 1_000_000, "pace": 20, "points": 8})
    page.add_init_script(f"localStorage.setItem('autograd-live:control:{run['id']}', {run['control_token']!r})")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server_url}/#run={run['id']}&present=1")
    expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    page.wait_for_function("() => document.querySelectorAll('#graph .graph-node').length > 3", timeout=LIVE_TIMEOUT)
    return page, run["id"]


# (name, what to click, its kind for a stand-in, how it is clicked: "click", or "focus" where a click would
# leave the page or open the browser's own list; the focus is where the click would leave it.)
CONTROLS = [
    ("button", "[data-theme-toggle]", "button", "click"),
    ("checkbox", "input[type=checkbox]", "checkbox", "click"),
    ("radio", "[data-graph-mode][value=forward]", "radio", "click"),
    ("select", "select", "select", "select"),
    ("range slider", "input[type=range]", "range", "click"),
    ("link", "a[href]", "link", "focus"),
    ("summary", "summary", "summary", "click"),
    ("graph node", "#graph [data-graph-svg] .graph-node", "node", "click"),
]


@pytest.mark.parametrize(("name", "selector", "kind", "how"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_keys_pause_and_step_after_a_click_on_a_control(
    lecturer: tuple[Page, str], api: AppClient, name: str, selector: str, kind: str, how: str
) -> None:
    page, run_id = lecturer
    svg = page.locator("#graph [data-graph-svg]")
    if kind == "node" and svg.get_attribute("data-pannable") == "true":  # all of it in view, to click a box
        page.locator("#graph [data-zoom-fit]").click()
        expect(svg).to_have_attribute("data-zoomed", "true")
    control = _control(page, selector, kind)
    if how == "click":
        control.click()
    elif how == "select":
        values = control.evaluate("(e) => [...e.options].filter((o) => !o.disabled).map((o) => o.value)")
        control.select_option(values[-1])
        control.focus()
    else:
        control.focus()
    expect(control).to_be_focused()
    before = _state(control)
    status = page.locator("#status")

    page.keyboard.press(" ")  # with the focus left where the click put it
    expect(status).to_have_attribute("data-status", "paused")
    assert api.get(f"/api/runs/{run_id}")["status"] == "paused"
    held = api.get(f"/api/runs/{run_id}")["step"]
    expect(status).to_have_attribute("data-step", str(held))
    page.keyboard.press("ArrowRight")
    expect(status).to_have_attribute("data-step", str(held + 1))
    page.keyboard.press(" ")
    expect(status).to_have_attribute("data-status", "running")
    assert _state(control) == before, f"the {name} took the keys too"
    expect(control).to_be_focused()


TYPED = [
    ("text box", "#steps, input[type=text]", "text"),
    ("number box", "input[type=number]", "number"),
    ("text area", "textarea", "textarea"),
    ("editable text", "[contenteditable=true]", "contenteditable"),
]


@pytest.mark.parametrize(("name", "selector", "kind"), TYPED, ids=[t[0] for t in TYPED])
def test_keys_typed_into_text_stay_there(lecturer: tuple[Page, str], name: str, selector: str, kind: str) -> None:
    page, _ = lecturer
    if kind == "text":
        found = page.locator(f"{selector} >> visible=true")
        control = found.first if found.count() else _control(page, "textarea", "textarea")
    else:
        control = _control(page, selector, kind)
    control.click()
    page.keyboard.press("End")
    text = "(e) => e.value ?? e.textContent"
    before = control.evaluate(text)
    for key in (" ", "4", "f"):
        page.keyboard.press(key)
    assert control.evaluate(text) == before + " 4f" or kind == "number", f"the {name} lost its keys"
    expect(page.locator("#status")).to_have_attribute("data-status", "running")
    expect(page.locator(".panel.enlarged")).to_have_count(0)
