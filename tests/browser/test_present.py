"""The lecture hall: presenter mode's keys steer the run and the page, its themes switch, and a viewer who
follows the lecturer moves with them (and stays put when browsing on their own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, PageWatch, StartRun

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
PACE_MISSING = "changing the pace needs a newer server"


def press(page: Page, key: str) -> None:
    """A key pressed on the page itself, not in a field (the form keeps focus after Start)."""
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press(key)


@pytest.fixture
def viewer(browser: Browser, watch: PageWatch, watch_context: Callable[[BrowserContext], None]) -> Iterator[Page]:
    """A second browser (its own context: no control tokens), watched like `page`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch_context(context)  # its policy violations go to `watch`, which the page fixture checks
    other = context.new_page()
    other.on("console", lambda message: message.type == "error" and watch.console_errors.append(message.text))
    other.on("pageerror", lambda error: watch.console_errors.append(f"uncaught: {error}"))
    yield other
    context.close()


def test_presenter_keys_steer_the_run_and_the_page(
    page: Page, start_run: StartRun, server_url: str, api: AppClient, watch: PageWatch
) -> None:
    page.goto(f"{server_url}/#present=1")
    expect(page.locator("html")).to_have_class("presenting")
    run_id = start_run(page, engine="torch-autograd", steps=5000, pace=40)
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)

    # Space pauses, and the server says so; → takes exactly one step; space again resumes.
    press(page, " ")
    expect(status).to_have_attribute("data-status", "paused")
    assert api.get(f"/api/runs/{run_id}")["status"] == "paused"
    held = api.get(f"/api/runs/{run_id}")["step"]
    expect(status).to_have_attribute("data-step", str(held))
    press(page, "ArrowRight")
    expect(status).to_have_attribute("data-step", str(held + 1))
    assert api.get(f"/api/runs/{run_id}")["step"] == held + 1
    assert api.get(f"/api/runs/{run_id}")["status"] == "paused"
    press(page, " ")
    expect(status).to_have_attribute("data-status", "running")
    assert api.get(f"/api/runs/{run_id}")["status"] == "running"

    # 1-4 enlarge fit, loss, weights, graph; the same key again restores.
    for key, panel in zip("1234", ("fit", "loss", "weights", "graph"), strict=True):
        press(page, key)
        expect(page.locator(f"#{panel}")).to_have_class(f"panel {panel} enlarged")
        expect(page.locator(".panel.enlarged")).to_have_count(1)
        press(page, key)
        expect(page.locator(".panel.enlarged")).to_have_count(0)

    # ? opens the key list, a modal dialog; Escape closes it.
    press(page, "?")
    dialog = page.get_by_role("dialog", name="Presenter keys")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("pause / resume")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # + / − ask the server for another pace: its answer, or the honest word that this server cannot yet.
    watch.expected_errors.append("404")  # the browser logs the missing route's answer
    note = page.locator("[data-present-note]")
    press(page, "+")
    expect(note).to_contain_text("ace")
    if PACE_MISSING not in (note.text_content() or ""):
        expect(note).to_have_text("Pace: 50 steps/s.")
        press(page, "-")
        expect(note).to_have_text("Pace: 20 steps/s.")  # the ladder: ... 20, 50 ...
        assert api.get(f"/api/runs/{run_id}")["config"]["pace"] == 20
    else:
        press(page, "-")
        expect(note).to_have_text(PACE_MISSING)

    # Keys typed into a field stay in the field.
    page.fill("#pace", "")
    page.focus("#pace")
    page.keyboard.press("1")
    expect(page.locator(".panel.enlarged")).to_have_count(0)
    expect(page.locator("#pace")).to_have_value("1")


def test_presenter_keys_still_work_after_a_switch_is_clicked(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    """Clicking the graph's gradients/values switch leaves focus on a radio button: space still pauses and →
    still takes one step (the switch keeps its choice), as they do anywhere but in a text box."""
    page.goto(f"{server_url}/#present=1")
    run_id = start_run(page, engine="torch-autograd", steps=5000, pace=40)
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    forward = page.locator("[data-graph-mode][value=forward]")
    forward.check()
    expect(forward).to_be_focused()
    page.keyboard.press(" ")  # not press(): the focus stays on the switch, as after a click
    expect(status).to_have_attribute("data-status", "paused")
    held = api.get(f"/api/runs/{run_id}")["step"]
    expect(status).to_have_attribute("data-step", str(held))
    page.keyboard.press("ArrowRight")
    expect(status).to_have_attribute("data-step", str(held + 1))
    expect(forward).to_be_checked()


def test_the_theme_toggle_switches_to_dark(page: Page, server_url: str) -> None:
    page.goto(server_url)
    background = "() => getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    page.click("[data-theme-toggle]")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("[data-theme-toggle]")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(background) not in {light, ""}
    assert page.evaluate(background) == "rgb(0, 0, 0)"


def test_the_charts_colours_follow_the_theme(page: Page, server_url: str) -> None:
    """The charts read their colours once, and again after each change of theme: always the page's current ones."""
    page.goto(server_url)
    colours = """async () => {
        const { cssVar } = await import("/static/js/views/chart.js");
        const styled = getComputedStyle(document.documentElement).getPropertyValue("--loss").trim();
        return [cssVar("--loss"), styled];
    }"""
    light, styled_light = page.evaluate(colours)
    page.click("[data-theme-toggle]")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark, styled_dark = page.evaluate(colours)
    assert light == styled_light and dark == styled_dark
    assert dark != light


def test_a_viewer_follows_the_lecturer_unless_browsing_alone(
    page: Page, start_run: StartRun, viewer: Page, server_url: str
) -> None:
    page.goto(f"{server_url}/#present=1")
    run_id = start_run(page, engine="torch-autograd", steps=5000, pace=40)
    expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    viewer.goto(f"{server_url}/#run={run_id}")
    follow = viewer.locator("[data-follow]")
    expect(follow).to_be_visible()
    expect(follow.locator("[data-follow-switch]")).to_be_checked()
    expect(page.locator("[data-follow]")).to_be_hidden()  # the lecturer follows no one

    # The lecturer pauses, enlarges the graph and walks its backward pass: the viewer's page moves with it.
    press(page, " ")
    expect(viewer.locator("#status")).to_have_attribute("data-status", "paused", timeout=LIVE_TIMEOUT)
    press(page, "4")
    expect(viewer.locator("#graph")).to_have_class("panel graph enlarged", timeout=LIVE_TIMEOUT)
    graph = page.locator("#graph")
    expect(graph.locator("[data-step-next]")).to_be_enabled()
    for index in range(3):
        press(page, "ArrowRight")  # with the graph enlarged, → walks the pass
        expect(graph).to_have_attribute("data-step-index", str(index))
    expect(viewer.locator("#graph")).to_have_attribute("data-step-index", "2", timeout=LIVE_TIMEOUT)
    node = graph.locator("[data-graph-inspector]").get_attribute("data-node")
    expect(viewer.locator("[data-graph-inspector]")).to_have_attribute("data-node", node or "")

    # Browsing on their own, the viewer stays where they are while the lecturer moves on.
    follow.locator("[data-follow-switch]").uncheck()
    press(page, "ArrowRight")
    press(page, "4")
    expect(graph).to_have_attribute("data-step-index", "3")
    expect(page.locator(".panel.enlarged")).to_have_count(0)
    viewer.wait_for_timeout(600)  # several presenter ticks: nothing may arrive
    expect(viewer.locator("#graph")).to_have_class("panel graph enlarged")
    expect(viewer.locator("#graph")).to_have_attribute("data-step-index", "2")

    # Following again catches up with the lecturer at once.
    follow.locator("[data-follow-switch]").check()
    expect(viewer.locator(".panel.enlarged")).to_have_count(0)
    expect(viewer.locator("#graph")).to_have_attribute("data-step-index", "3")


BOXES = """(selector) => [...document.querySelectorAll(selector)].map((element) => {
  const r = element.getBoundingClientRect();
  return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
})"""
# The graph panel's box, its drawing's (the laid-out nodes and edges) and its SVG's viewBox.
GRAPH_FIT = """() => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
  };
  const svg = document.querySelector('#graph [data-graph-svg]');
  return { panel: box(document.querySelector('#graph')), svg: box(svg), drawing: box(svg.querySelector('.graph-root')),
           viewBox: svg.getAttribute('viewBox') };
}"""
FILLED = 0.8  # the share of the panel's width or height the enlarged drawing must take, whichever binds
FILLS = f"Math.max(f.drawing.width / f.panel.width, f.drawing.height / f.panel.height) >= {FILLED}"


def filled(fit: dict[str, dict[str, float]]) -> float:
    """How much of the panel the drawing takes along the side that limits it (the aspect is kept)."""
    panel, drawing = fit["panel"], fit["drawing"]
    return max(drawing["width"] / panel["width"], drawing["height"] / panel["height"])


@pytest.mark.parametrize(
    ("width", "height", "engine"),
    [(1280, 720, "torch-autograd"), (1920, 1080, "lecture-net")],  # a tall graph; a small one, once zoomed 1.35x
)
def test_an_enlarged_graph_fills_its_panel(
    page: Page, start_run: StartRun, server_url: str, width: int, height: int, engine: str
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{server_url}/#present=1")
    start_run(page, engine=engine, steps=5000, pace=40)
    graph = page.locator("#graph")
    page.wait_for_function(
        "() => document.querySelector('#graph .graph-root')?.getBBox().height > 0", timeout=LIVE_TIMEOUT
    )
    before = page.evaluate(GRAPH_FIT)
    title_before = page.evaluate(BOXES, "#graph .node-title")[0]["height"]

    press(page, "4")
    expect(graph).to_have_class("panel graph enlarged")
    # The zoom follows the panel's new size a frame or two later: wait for it, then measure.
    fills = f"() => {{ const f = ({GRAPH_FIT})(); return {FILLS}; }}"
    page.wait_for_function(fills, timeout=LIVE_TIMEOUT)
    fit = page.evaluate(GRAPH_FIT)
    assert filled(fit) >= FILLED, fit
    # Larger than in the page (where a wide panel may already be filled by a left-to-right layout).
    assert fit["drawing"]["width"] * fit["drawing"]["height"] > before["drawing"]["width"] * before["drawing"]["height"]
    # All of it in view, inside its panel and inside the window: nothing cut off.
    drawing, svg = fit["drawing"], fit["svg"]
    assert svg["left"] - 1 <= drawing["left"] and drawing["right"] <= svg["right"] + 1, fit
    assert svg["top"] - 1 <= drawing["top"] and drawing["bottom"] <= svg["bottom"] + 1, fit
    assert fit["panel"]["bottom"] <= height and fit["panel"]["right"] <= width, fit
    # Its labels grew with it: the loss box's title is taller on screen than in the page.
    assert page.evaluate(BOXES, "#graph .node-title")[0]["height"] > title_before

    # Restored, the panel draws the graph as it did before.
    press(page, "4")
    expect(page.locator(".panel.enlarged")).to_have_count(0)
    page.wait_for_function(f"() => (({GRAPH_FIT})()).viewBox === {before['viewBox']!r}", timeout=LIVE_TIMEOUT)


@pytest.mark.parametrize("engine", ["torch-autograd", "torch-mlp"])  # single letters; a network's "8.weight"
def test_the_weights_table_fits_a_1280_pixel_window(
    page: Page, start_run: StartRun, server_url: str, engine: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server_url}/#present=1")
    start_run(page, engine=engine, steps=20)
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    weights = page.locator("#weights")
    expect(weights.locator("tbody td").first).not_to_have_text("—")
    # The widest numbers the page writes in fixed notation, in every cell, as an early summed gradient can be.
    page.evaluate(
        """async () => {
          const { formatSigned } = await import('/static/js/format.js');
          const widest = formatSigned(-999999.9999);
          for (const cell of document.querySelectorAll('#weights tbody td')) cell.textContent = widest;
        }"""
    )

    def assert_inside(where: str) -> None:
        panel = page.evaluate(
            """() => {
              const panel = document.querySelector('#weights');
              const r = panel.getBoundingClientRect();
              const style = getComputedStyle(panel);
              return { left: r.left + parseFloat(style.paddingLeft), right: r.right - parseFloat(style.paddingRight) };
            }"""
        )
        cells = page.evaluate(BOXES, "#weights .weights-table th, #weights .weights-table td")
        assert len(cells) >= 3 * 5, cells  # the head and at least four rows
        outside = [
            c for c in cells if c["left"] < panel["left"] - 1 or c["right"] > panel["right"] + 1 or c["right"] > 1280
        ]
        assert outside == [], f"{where}: cells cut off at the side of {panel}"
        size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('#weights tbody td')).fontSize)")
        assert size >= 18, f"{where}: the numbers shrank to {size}px"  # still large type, beyond the page's 16 px

    weights.scroll_into_view_if_needed()
    assert_inside("in the page")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing makes the page scroll sideways

    press(page, "3")
    expect(weights).to_have_class("panel weights enlarged")
    assert_inside("enlarged")
    cells = page.evaluate(BOXES, "#weights .weights-table th, #weights .weights-table td")
    assert max(c["bottom"] for c in cells) <= 720, "enlarged: rows cut off at the bottom"


def test_the_bar_says_the_view_is_shown_only_while_it_is(
    page: Page, viewer: Page, api: AppClient, server_url: str, watch: PageWatch
) -> None:
    """The bar's "your view is shown to everyone following" holds: a view the server refuses, or a run that has ended
    (its followers' feeds are closed), is said so instead."""
    run = api.post("/api/runs", {"engine": "torch-autograd", "steps": 1_000_000, "pace": 20, "points": 8})
    sharing = page.locator("[data-present-sharing]")
    # A browser holding a wrong token believes it steers the run: the server refuses its view.
    watch.expected_errors.append("403")
    page.add_init_script(f"localStorage.setItem('autograd-live:control:{run['id']}', 'not-the-token')")
    page.goto(f"{server_url}/#run={run['id']}&present=1")
    expect(page.locator("#status")).to_have_attribute("data-status", "running", timeout=LIVE_TIMEOUT)
    press(page, "4")
    expect(sharing).to_be_visible()
    expect(sharing).to_contain_text("not reaching the students", timeout=LIVE_TIMEOUT)
    expect(sharing).to_contain_text("control token")  # the server's reason

    # With the run's own token the view is taken, and a following viewer shows it.
    page.add_init_script(f"localStorage.setItem('autograd-live:control:{run['id']}', {run['control_token']!r})")
    page.reload()
    viewer.goto(f"{server_url}/#run={run['id']}")
    press(page, "4")
    expect(viewer.locator("#graph")).to_have_class("panel graph enlarged", timeout=LIVE_TIMEOUT)
    expect(sharing).to_have_text("your view is shown to everyone following")
    expect(sharing).to_have_attribute("data-shared", "true")

    # Once the run has ended its followers hear no more: the bar no longer promises it.
    api.post(f"/api/runs/{run['id']}/stop")
    expect(sharing).to_contain_text("the run has ended", timeout=LIVE_TIMEOUT)
    expect(sharing).to_have_attribute("data-shared", "false")
