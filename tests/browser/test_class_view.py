"""The class view (/class/{code}) in a real browser: fifty students' runs, started over the REST API with learning
rates over four decades, drawn as fifty curves coloured by the learning rate, the diverged ones marked, a table
with a row per run that sorts and opens a run, followed by a student's screen, readable on a projector and
axe-core clean."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.classes import CLASS_LIMITS, ClassClient, learning_rates
from tests.browser.conftest import PageWatch, serve_app, watch_csp
from tests.browser.test_accessibility import assert_accessible, serve_axe

pytestmark = pytest.mark.browser

RUNS = 50
SETTINGS = {"engine": "numpy", "points": 200, "steps": 120, "pace": 100}
LOW_COLOUR, HIGH_COLOUR = "rgb(0, 114, 178)", "rgb(230, 159, 0)"  # the scale's ends (static/js/class/colours.js)
LIVE_TIMEOUT = 60_000  # ms; every wait ends as soon as its condition holds
PROJECTOR = {"width": 1280, "height": 720}
MIN_PROJECTED_PX = 24


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own, allowed fifty students' runs at once."""
    with serve_app(tmp_path_factory.mktemp("class-view-server"), CLASS_LIMITS) as url:
        yield url


@pytest.fixture(scope="module")
def hall(server_url: str) -> dict[str, Any]:
    """A class whose students may choose only the learning rate, and fifty students who each started a run."""
    client = ClassClient(server_url)
    made = client.open(SETTINGS, ["learning_rate"])
    rates = {}
    for i, rate in enumerate(learning_rates(RUNS)):
        token = client.join(made["code"], f"student {i + 1:02d}")
        run = client.start(made["code"], token, {"learning_rate": rate})
        rates[run["id"]] = rate
    return {"code": made["code"], "token": made["control_token"], "rates": rates, "client": client}


def ended(hall: dict[str, Any]) -> dict[str, Any]:
    """The class once every run has ended, as the server tells it."""
    answer: dict[str, Any] = hall["client"].wait_ended(hall["code"])
    return answer


def open_view(page: Page, server_url: str, code: str, *, query: str = "") -> None:
    page.goto(f"{server_url}/class/{code}{query}")
    page.wait_for_function("() => document.querySelector('[data-class-view]').dataset.connection === 'live'")


def rows(page: Page) -> list[dict[str, str]]:
    """The table's rows as shown: run id, name, setting, loss, steps, status, swatch colour."""
    found: list[dict[str, str]] = page.evaluate(
        """() => [...document.querySelectorAll("[data-class-table] tbody tr")].map((row) => ({
          id: row.dataset.run,
          status: row.dataset.status,
          colour: getComputedStyle(row.querySelector(".swatch")).backgroundColor,
          cells: [...row.cells].map((cell) => cell.textContent.trim()),
        }))"""
    )
    return found


def test_every_run_is_drawn_coloured_by_its_learning_rate_and_the_diverged_are_marked(
    page: Page, server_url: str, hall: dict[str, Any]
) -> None:
    open_view(page, server_url, hall["code"])  # while the runs still train: what arrives live is drawn too
    answer = ended(hall)
    statuses = {run["id"]: run["status"] for run in answer["runs"]}
    assert set(statuses) == set(hall["rates"])
    diverged = [run_id for run_id, status in statuses.items() if status == "diverged"]
    assert diverged, "the largest learning rates should blow up"
    page.wait_for_function(
        """([runs, diverged]) => {
          const chart = document.querySelector("[data-class-chart]").dataset;
          const shown = [...document.querySelectorAll("[data-class-table] tbody tr")];
          return Number(chart.curves) === runs && Number(chart.diverged) === diverged
            && shown.every((row) => !["queued", "running"].includes(row.dataset.status));
        }""",
        arg=[RUNS, len(diverged)],
        timeout=LIVE_TIMEOUT,
    )
    chart = page.locator("[data-class-chart]")
    assert chart.get_attribute("data-runs") == str(RUNS)
    assert page.locator("[data-legend]").get_attribute("data-coloured-by") == "learning_rate"

    shown = rows(page)
    assert sorted(row["id"] for row in shown) == sorted(hall["rates"])
    by_rate = sorted(shown, key=lambda row: hall["rates"][row["id"]])
    assert by_rate[0]["colour"] == LOW_COLOUR and by_rate[-1]["colour"] == HIGH_COLOUR
    assert len({row["colour"] for row in shown}) > RUNS // 2, "neighbouring learning rates share a colour"
    for row in shown:
        assert row["status"] == statuses[row["id"]]
        if row["status"] == "diverged":
            assert row["cells"][2] == "diverged"
        elif row["status"] == "finished":  # every loss of the run arrived, none twice
            assert row["cells"][3] == str(SETTINGS["steps"])

    # The canvas really holds both ends of the scale (not just the page's account of it).
    counts = page.evaluate(
        """([low, high]) => {
          const canvas = document.querySelector("[data-chart-base]");
          const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
          const near = (i, [r, g, b]) =>
            Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 12;
          let lows = 0, highs = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] < 250) continue;
            if (near(i, low)) lows++;
            if (near(i, high)) highs++;
          }
          return [lows, highs];
        }""",
        [[0, 114, 178], [230, 159, 0]],
    )
    assert counts[0] > 20 and counts[1] > 0, counts


def test_the_table_sorts_by_each_column(page: Page, server_url: str, hall: dict[str, Any]) -> None:
    ended(hall)
    open_view(page, server_url, hall["code"])
    page.wait_for_function(f"() => document.querySelector('[data-class-table]').dataset.rows === '{RUNS}'")
    loss_head = page.locator("th[data-sort='loss']")
    assert loss_head.get_attribute("aria-sort") == "ascending"  # best first, as the view opens

    def losses() -> list[float]:
        numbers = []
        for row in rows(page):
            text = row["cells"][2].replace(",", "").replace("\u2212", "-").rstrip(" …")
            numbers.append(float("inf") if text in {"diverged", "—"} else float(text))
        return numbers

    assert losses() == sorted(losses())
    loss_head.locator("button").click()
    page.wait_for_function("() => document.querySelector(\"th[data-sort='loss']\").ariaSort === 'descending'")
    finite = [v for v in losses() if v != float("inf")]
    assert finite == sorted(finite, reverse=True)
    page.locator("th[data-sort='setting'] button").click()
    page.wait_for_function("() => document.querySelector(\"th[data-sort='setting']\").ariaSort === 'ascending'")
    shown = [hall["rates"][row["id"]] for row in rows(page)]
    assert shown == sorted(shown)
    page.locator("th[data-sort='name'] button").click()
    page.wait_for_function("() => document.querySelector(\"th[data-sort='name']\").ariaSort === 'ascending'")
    names = [row["cells"][0] for row in rows(page)]
    assert names == sorted(names) and names[0] == "student 01"


def test_a_row_and_a_curve_open_their_run(page: Page, server_url: str, hall: dict[str, Any]) -> None:
    ended(hall)
    open_view(page, server_url, hall["code"])
    page.wait_for_function(f"() => document.querySelector('[data-class-chart]').dataset.curves === '{RUNS}'")
    row = page.locator("[data-class-table] tbody tr").nth(3)
    run_id = row.get_attribute("data-run")
    row.locator("td").nth(2).click()  # anywhere on the row, not only its link
    page.wait_for_url(re.compile(r"/#run="))
    assert page.evaluate("() => new URLSearchParams(location.hash.slice(1)).get('run')") == run_id
    page.wait_for_function("() => document.querySelector('#status [data-part=status]').textContent.trim() !== ''")

    # A curve: the pointer goes down the chart a third of the way along until it rests on one, which is then
    # the one the view singles out; a click opens that run.
    open_view(page, server_url, hall["code"])
    page.wait_for_function(f"() => document.querySelector('[data-class-chart]').dataset.curves === '{RUNS}'")
    box = page.locator("[data-chart-over]").bounding_box()
    assert box is not None
    chart = page.locator("[data-class-chart]")
    found = None
    for y in range(int(box["y"]) + 8, int(box["y"] + box["height"]) - 8, 3):
        page.mouse.move(box["x"] + box["width"] * 0.35, y)
        found = chart.get_attribute("data-highlighted")
        if found:
            break
    assert found in hall["rates"], "no curve under the pointer anywhere down the chart"
    assert page.locator("[data-chart-tip]").is_visible()
    page.mouse.down()
    page.mouse.up()
    page.wait_for_url(re.compile(r"/#run="))
    assert page.evaluate("() => new URLSearchParams(location.hash.slice(1)).get('run')") == found


def test_a_follower_sees_what_the_lecturer_shows(
    page: Page, browser: Browser, server_url: str, hall: dict[str, Any], watch: PageWatch
) -> None:
    ended(hall)
    # The lecturer's screen: the class's control token handed over in the address, presenter mode on.
    open_view(page, server_url, hall["code"], query=f"?present=1#token={hall['token']}")
    assert "token" not in page.url, "the token stays out of the address"
    assert page.locator("[data-follow]").is_hidden()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    watch_csp(context, watch)
    student = context.new_page()
    try:
        open_view(student, server_url, hall["code"])
        assert student.locator("[data-follow-switch]").is_checked()
        page.locator("th[data-sort='name'] button").click()
        page.locator("[data-join-toggle]").click()
        student.wait_for_function(
            """() => document.querySelector("th[data-sort='name']").ariaSort === 'ascending'
              && document.querySelector('[data-join-qr]').hidden"""
        )
        page.locator("[data-class-table] tbody tr").nth(5).hover()
        selected = page.locator("[data-class-table] tbody tr").nth(5).get_attribute("data-run")
        student.wait_for_function(
            "(id) => document.querySelector('[data-class-chart]').dataset.highlighted === id", arg=selected
        )
        # Browsing alone: the lecturer's next change no longer moves the student's view.
        student.locator("[data-follow-switch]").uncheck()
        received = student.locator("[data-follow]").get_attribute("data-received")
        page.locator("th[data-sort='loss'] button").click()
        student.wait_for_function(
            "(before) => document.querySelector('[data-follow]').dataset.received !== before", arg=received
        )
        assert student.locator("th[data-sort='name']").get_attribute("aria-sort") == "ascending"
    finally:
        context.close()


def test_the_projected_view_is_readable_from_the_back(page: Page, server_url: str, hall: dict[str, Any]) -> None:
    ended(hall)
    page.set_viewport_size(PROJECTOR)
    open_view(page, server_url, hall["code"], query="?present=1")
    page.wait_for_function(f"() => document.querySelector('[data-class-chart]').dataset.curves === '{RUNS}'")
    sizes = page.evaluate(
        """() => Object.fromEntries([
          ["code", "[data-class-code]"], ["title", "h1"], ["chart title", "#class-chart-title"],
          ["legend", "[data-legend-key] li"], ["join title", "#join-title"], ["join link", "[data-join-link]"],
          ["table heading", "[data-class-table] th button"], ["table cell", "[data-class-table] td"],
          ["runs title", "#class-runs-title"], ["note", "[data-class-note]"],
        ].map(([name, selector]) => [name, parseFloat(getComputedStyle(document.querySelector(selector)).fontSize)]))"""
    )
    small = {name: px for name, px in sizes.items() if px < MIN_PROJECTED_PX}
    assert small == {}, f"smaller than {MIN_PROJECTED_PX} px on the projector: {small}"
    assert int(page.locator("[data-class-chart]").get_attribute("data-font-px") or 0) >= MIN_PROJECTED_PX
    # Nothing runs past the projector's edges: the view is exactly the window.
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert overflow == [PROJECTOR["width"], PROJECTOR["height"]]


@pytest.mark.parametrize(
    ("size", "present", "dark"),
    [((1280, 800), False, False), ((390, 844), False, False), ((1280, 720), True, False), ((1280, 720), True, True)],
)
def test_the_class_view_passes_axe(
    page: Page, server_url: str, hall: dict[str, Any], size: tuple[int, int], present: bool, dark: bool
) -> None:
    ended(hall)
    serve_axe(page)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.emulate_media(reduced_motion="reduce")
    choice = json.dumps({"presenting": present, "dark": dark})
    page.add_init_script(f"localStorage.setItem('autograd-live:presentation', {json.dumps(choice)})")
    open_view(page, server_url, hall["code"])
    page.wait_for_function(f"() => document.querySelector('[data-class-chart]').dataset.curves === '{RUNS}'")
    assert_accessible(page, f"class view {size} present={present} dark={dark}")


def test_a_code_no_class_has_is_not_found(page: Page, server_url: str, hall: dict[str, Any]) -> None:
    for path in ("/class/ZZZZZZ", "/join/ZZZZZZ", "/class/not-a-code", "/join/0O1I00"):
        assert page.request.get(f"{server_url}{path}").status == 404, path
    # A class's code in any case is the class.
    assert page.request.get(f"{server_url}/class/{hall['code'].lower()}").status == 200


def test_a_class_opened_from_the_form_is_shown_and_shared(page: Page, server_url: str) -> None:
    serve_axe(page)
    page.goto(f"{server_url}/class")
    assert_accessible(page, "the form that opens a class")
    page.fill("#class-title", "Week 5")
    page.fill("#class-steps", "80")
    page.locator("input[name=free][value=seed]").uncheck()
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/class/[A-HJ-NP-Z2-9]{6}\?present=1$"))
    code = page.url.split("/class/")[1].split("?")[0]
    made = ClassClient(server_url).get(code)
    assert made["title"] == "Week 5" and made["settings"]["steps"] == 80 and made["free"] == ["learning_rate"]
    # This browser holds the class's token: presenter mode shares the view, and it follows no one.
    page.wait_for_function("() => document.querySelector('[data-share-note]').textContent.includes('shown')")
    assert page.locator("[data-follow]").is_hidden()
    assert page.locator("[data-class-title]").inner_text() == "Week 5"
    assert page.locator("[data-join-link]").inner_text().endswith(f"/join/{code}")
    assert page.locator("[data-join-qr]").evaluate("(img) => img.complete && img.naturalWidth > 0")


def test_the_form_names_what_the_server_refused(page: Page, server_url: str, watch: PageWatch) -> None:
    watch.expected_errors.append("422")
    page.goto(f"{server_url}/class")
    page.fill("#class-steps", "0")
    page.locator("button[type=submit]").click()
    error = page.locator("[data-open-error]")
    error.wait_for()
    assert error.inner_text().startswith("steps: ")
    assert page.locator("#class-steps").get_attribute("aria-invalid") == "true"
    assert page.evaluate("() => document.activeElement.id") == "class-steps"
    assert page.url.endswith("/class")


def test_the_lecturer_stops_a_students_run_and_only_the_lecturer_may(page: Page, server_url: str) -> None:
    client = ClassClient(server_url)
    made = client.open({**SETTINGS, "steps": 5000, "pace": 5}, ["learning_rate"])
    run = client.start(made["code"], client.join(made["code"], "slow"), {})
    open_view(page, server_url, made["code"])  # a student's screen: no token, no Stop
    assert page.locator("[data-class-table] button.stop").count() == 0
    page.goto("about:blank")  # the same address with another fragment would not load the page again
    open_view(page, server_url, made["code"], query=f"#token={made['control_token']}")
    stop = page.locator(f"[data-class-table] tr[data-run='{run['id']}'] button.stop")
    stop.click()
    page.wait_for_function(
        "(id) => document.querySelector(`tr[data-run='${id}']`).dataset.status === 'stopped'", arg=run["id"]
    )
    assert client.request("GET", f"/api/runs/{run['id']}")["status"] == "stopped"
    assert stop.is_hidden() and page.url.endswith(f"/class/{made['code']}"), "the click opened the run"
