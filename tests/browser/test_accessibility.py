"""Accessibility: axe-core finds no serious or critical violation on the page idle, mid-run, ended and in presenter
mode, in the light and the dark theme, on a laptop and a phone; every coloured text reads in every theme.

axe-core comes from npm (package.json's devDependencies, in node_modules): the test hands it to the page under a
path of the app's own host, so the page's Content-Security-Policy (scripts from 'self' only) lets it run as is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import StartRun

pytestmark = pytest.mark.browser

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__axe__/axe.min.js"  # answered by the test's route: the server has no such file
BLOCKING = ("serious", "critical")
LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}
THEME_STORAGE = "autograd-live:presentation"  # static/js/present/theme.js keeps the hall's choice here
ALL_PHASES_ENGINE = "torch-function"  # its step has all six phases: forward, loss, backward, update, zero, record

# A rule to set aside inside one part of the page, should a known violation ever wait for its fix: none does.
SET_ASIDE: dict[str, str] | None = None

RUN_AXE = """async ({ include, rules, setAside }) => {
  const options = { resultTypes: ["violations"] };
  if (rules) options.runOnly = { type: "rule", values: rules };
  const { violations } = await axe.run(include ? { include } : document, options);
  const setAsideHere = (rule, node) =>
    rule === setAside?.rule && document.querySelector(node.target[0])?.closest(setAside.within);
  return violations
    .map((v) => ({ ...v, nodes: v.nodes.filter((node) => !setAsideHere(v.id, node)) }))
    .filter((v) => v.nodes.length > 0)
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((node) => `${node.target.join(" ")}: ${node.failureSummary.split("\\n").pop().trim()}`),
    }));
}"""


def serve_axe(page: Page) -> None:
    """The page may fetch axe-core from its own host: the test answers from node_modules, the server never."""
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: scripts/install.sh --dev installs it (npm ci)")
    source = AXE_SOURCE.read_text()
    page.route(f"**{AXE_PATH}", lambda route: route.fulfill(body=source, content_type="text/javascript"))


def violations(page: Page, *, include: list[str] | None = None, rules: list[str] | None = None) -> list[Any]:
    """axe-core's serious and critical violations on the page as it is now (or in `include`, for `rules`)."""
    if not page.evaluate("() => 'axe' in window"):  # a navigation forgets it
        page.add_script_tag(url=AXE_PATH)
    found = page.evaluate(RUN_AXE, {"include": include, "rules": rules, "setAside": SET_ASIDE})
    return [v for v in found if v["impact"] in BLOCKING]


def assert_accessible(page: Page, view: str, **scope: Any) -> None:
    found = violations(page, **scope)
    assert found == [], f"{view}: axe-core found\n{json.dumps(found, indent=1, ensure_ascii=False)}"


def open_page(page: Page, url: str, *, dark: bool, size: tuple[int, int]) -> None:
    """The page at a size and in a theme, still: axe reads colours as they are, and a colour in the middle of a
    transition (a phase lighting up) is neither end's. The moving highlights are checked at rest below."""
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(reduced_motion="reduce")
    # Every load starts in the theme asked for, out of presenter mode unless the address asks for it.
    choice = json.dumps({"presenting": False, "dark": dark})
    store = f"localStorage.setItem({json.dumps(THEME_STORAGE)}, {json.dumps(choice)})"
    page.context.add_init_script(f"if (location.protocol.startsWith('http')) {store};")  # not on about:blank
    serve_axe(page)
    load(page, url)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark" if dark else "light")


def load(page: Page, url: str) -> None:
    """A fresh load of `url`, even where only its fragment differs from the page's (which would not reload)."""
    page.goto("about:blank")
    page.goto(url)


def wait_for_status(page: Page, status: str, *, past_step: int = -1) -> None:
    page.wait_for_function(
        "([status, step]) => { const line = document.querySelector('#status');"
        " return line.dataset.status === status && Number(line.dataset.step) > step; }",
        arg=[status, past_step],
        timeout=LIVE_TIMEOUT,
    )


def wait_for_code(page: Page) -> None:
    page.wait_for_function("() => document.querySelectorAll('[data-code-lines] .code-line').length > 0")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_every_view_has_no_serious_violation(
    page: Page, start_run: StartRun, server_url: str, dark: bool, size: tuple[int, int]
) -> None:
    open_page(page, f"{server_url}/", dark=dark, size=size)
    open_settings(page)  # the settings sheet open: its fields are checked too
    page.select_option("#engine", ALL_PHASES_ENGINE)
    wait_for_code(page)
    assert_accessible(page, "idle")

    # Mid-run: a long run at a walking pace, its frames still arriving.
    running = start_run(page, engine=ALL_PHASES_ENGINE, steps=100_000, pace=20)
    wait_for_status(page, "running", past_step=3)
    assert_accessible(page, "mid-run")

    # The projector's view of it.
    page.goto(f"{server_url}/present/{running}")
    expect(page.locator("html")).to_have_class("presenting")
    wait_for_status(page, "running", past_step=3)
    assert_accessible(page, "presenter mode, mid-run")

    # Ended: the long run stopped; then the common mistake, zero_grad off, whose gradients pile up until the run
    # diverges: the warnings and the alarm shown.
    load(page, f"{server_url}/#run={running}")
    expect(page.locator("html")).not_to_have_class("presenting")
    wait_for_status(page, "running")
    page.click("[data-command=stop]")
    wait_for_status(page, "stopped")
    load(page, f"{server_url}/")  # no run in the address: start_run reads the new one from it
    open_settings(page)  # the settings sheet open: its fields are checked too
    page.select_option("#engine", ALL_PHASES_ENGINE)
    page.uncheck("#zero_grad")
    ended = start_run(page, steps=300, seed=1, pace="")
    wait_for_status(page, "diverged")
    expect(page.locator(".badge[data-accumulating]")).to_be_visible()
    expect(page.locator("#status .status-message")).to_be_visible()
    assert_accessible(page, "ended")

    page.goto(f"{server_url}/present/{ended}")
    expect(page.locator("html")).to_have_class("presenting")
    wait_for_status(page, "diverged")
    assert_accessible(page, "presenter mode, ended")

    # The key list, a modal dialog over the page.
    page.evaluate("() => document.activeElement?.blur()")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Presenter keys")).to_be_visible()
    assert_accessible(page, "presenter mode, the key list open")


# Every status and every phase, as the page draws them, on each background they sit on: statuses a test run
# does not reach (failed, diverged, interrupted...) and the phases' moving highlights held still. The badges and
# rows are drawn in a panel of their own, which the run list's refreshes leave alone.
SHOW_EVERY_TONE = """async () => {
  const { Status } = await import("/static/js/protocol.js");
  const statuses = Object.values(Status);
  const make = (tag, className, textContent = "") =>
    Object.assign(document.createElement(tag), { className, textContent });
  const panel = make("section", "panel");
  panel.dataset.testTones = "";
  const rows = make("table", "runs-table").createTBody();
  for (const status of statuses) {
    const line = make("div", "status-line");
    line.dataset.status = status;
    line.append(make("span", "status-badge", status));
    panel.append(line);
    for (const current of [false, true]) {
      const row = rows.insertRow();
      if (current) row.setAttribute("aria-current", "true");
      const pill = make("span", "status-pill", status);
      pill.dataset.status = status;
      row.insertCell().append(pill);
      row.insertCell().textContent = "torch-nn";
    }
  }
  panel.append(rows.parentElement);
  document.body.append(panel);
  for (const part of ["[data-part=message]", "[data-form-error]", "[data-error-for=steps]"]) {
    const text = document.querySelector(part);
    Object.assign(text, { hidden: false, textContent: "steps: must be a whole number" });
    text.classList.add("alarming");
  }
  document.querySelector("[data-accumulating]").hidden = false;
  return statuses.length;
}"""

MARK_PHASES = """(mark) => {
  for (const item of document.querySelectorAll(".code-line, .phase-chip")) {
    item.classList.remove("current", "done");
    item.classList.add(mark);
  }
}"""


@pytest.mark.parametrize("presenting", [False, True], ids=["page", "presenter"])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_coloured_text_reads_in_every_theme(page: Page, server_url: str, presenting: bool, dark: bool) -> None:
    url = f"{server_url}/#present=1" if presenting else f"{server_url}/"
    open_page(page, url, dark=dark, size=SIZES["laptop"])
    open_settings(page)  # the settings sheet open: its fields are checked too
    page.select_option("#engine", ALL_PHASES_ENGINE)
    wait_for_code(page)
    assert page.evaluate(SHOW_EVERY_TONE) >= 9
    contrast = {"rules": ["color-contrast"]}
    assert_accessible(page, "every status and message", include=["main", "[data-test-tones]"], **contrast)
    # Under the pointer: a row of the run list (followed or not), a button: their tints follow the theme too.
    rows = "[data-test-tones] tr"
    for hovered in (f"{rows}:not([aria-current])", f"{rows}[aria-current]", "[data-present-help]"):
        target = page.locator(hovered).last
        target.hover()
        assert_accessible(page, f"{hovered} under the pointer", include=[hovered], **contrast)
    phases = page.locator(".code-line:not(.blank) .phase-tag")
    expect(phases.filter(has_text="zero grads").first).to_be_visible()
    for mark in ("done", "current"):
        page.evaluate(MARK_PHASES, mark)
        assert_accessible(page, f"every phase, {mark}", include=["#code"], **contrast)
