"""A student's page inside a class (/join/{code}) in a real browser: it joins once per browser, shows the class's
fixed settings read-only, starts the student's run in the class, and draws it thick among the class's curves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.classes import CLASS_LIMITS, ClassClient
from tests.browser.conftest import PageWatch, open_settings, serve_app
from tests.browser.test_accessibility import assert_accessible, serve_axe

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, StartRun

pytestmark = pytest.mark.browser

SETTINGS = {"engine": "numpy", "points": 200, "steps": 150, "pace": 60}
FREE = ["learning_rate", "seed"]
OTHERS = 5  # students whose runs are in the class before this one joins
LIVE_TIMEOUT = 60_000  # ms; every wait ends as soon as its condition holds


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own, so the class's runs never wait behind another module's."""
    with serve_app(tmp_path_factory.mktemp("class-join-server"), CLASS_LIMITS) as url:
        yield url


@pytest.fixture
def room(server_url: str) -> dict[str, Any]:
    """A fresh class where only the learning rate and the seed are free, with a few students' runs going."""
    client = ClassClient(server_url)
    made = client.open(SETTINGS, FREE)
    for i in range(OTHERS):
        token = client.join(made["code"], f"other {i + 1}")
        client.start(made["code"], token, {"learning_rate": 1e-6 * (i + 1)})
    return {"code": made["code"], "client": client}


def open_join(page: Page, server_url: str, code: str, name: str = "Ana") -> str:
    """The student's page, once it has joined (under `name`, when this browser has not joined yet); the student's
    id."""
    page.goto(f"{server_url}/join/{code}")
    form = page.locator("[data-class-name]")
    page.wait_for_function("() => document.body.dataset.student || !document.querySelector('[data-class-name]').hidden")
    if form.is_visible():
        form.locator("input").fill(name)
        form.locator("button").click()
        page.wait_for_function("() => document.body.dataset.student")
    return str(page.evaluate("() => document.body.dataset.student"))


def test_a_student_joins_once_under_their_name_and_the_class_fixes_what_it_fixes(
    page: Page, server_url: str, room: dict[str, Any], start_run: StartRun
) -> None:
    student = open_join(page, server_url, room["code"], name="  Ana Lovelace ")
    expect(page.locator("[data-class-status]")).to_have_text(
        "You are Ana Lovelace in this class: press Start to run your own experiment."
    )
    assert open_join(page, server_url, room["code"]) == student, "a reload joined again as someone else"
    expect(page.locator("[data-class-name]")).to_be_hidden()
    assert len([r for r in room["client"].get(room["code"])["runs"]]) == OTHERS
    run_id = start_run(page, learning_rate="2e-6")
    listed = next(run for run in room["client"].get(room["code"])["runs"] if run["id"] == run_id)
    assert listed["student"] == student and listed["name"] == "Ana Lovelace", "the class view shows the name given"
    open_settings(page)
    page.wait_for_function("() => document.querySelector('#controls').dataset.classFixes !== undefined")
    fixed = page.evaluate(
        """(names) => Object.fromEntries(names.map((name) => {
          const control = document.querySelector(`#${name}`);
          return [name, { value: control.value, locked: control.readOnly || control.disabled }];
        }))""",
        ["steps", "pace", "points", "engine", "learning_rate", "seed", "noise", "dtype"],
    )
    assert fixed["steps"] == {"value": "150", "locked": True}
    assert fixed["pace"] == {"value": "60", "locked": True}
    assert fixed["points"] == {"value": "200", "locked": True}
    assert fixed["engine"] == {"value": "numpy", "locked": True}
    assert not fixed["learning_rate"]["locked"] and not fixed["seed"]["locked"]
    # What the class leaves unset is not free either: the server's default, and only that.
    assert fixed["noise"]["locked"] and fixed["dtype"]["locked"]
    assert page.evaluate("() => [...document.querySelectorAll('[name=reduction]')].every((radio) => radio.disabled)")
    note = page.locator("[data-class-fixed-note]")
    assert note.is_visible()
    for text in ("engine numpy", "steps 150", "pace 60", "points 200", "you choose η, seed"):
        assert text in note.inner_text()


def test_start_makes_the_students_run_in_the_class_beside_the_others(
    page: Page, server_url: str, room: dict[str, Any], api: AppClient, start_run: StartRun
) -> None:
    student = open_join(page, server_url, room["code"])
    page.wait_for_function(
        f"() => document.querySelector('[data-class-chart]').dataset.curves === '{OTHERS}'", timeout=LIVE_TIMEOUT
    )
    run_id = start_run(page, learning_rate="2e-6")
    info = api.get(f"/api/runs/{run_id}")
    assert info["class_code"] == room["code"] and info["student"] == student
    assert info["config"]["learning_rate"] == 2e-6
    assert info["config"]["steps"] == SETTINGS["steps"] and info["config"]["engine"] == SETTINGS["engine"]
    # The class chart: one run more, the student's own singled out, drawn as its losses arrive.
    page.wait_for_function(
        """([runs, own]) => {
          const chart = document.querySelector("[data-class-chart]").dataset;
          return chart.runs === String(runs) && chart.curves === String(runs) && chart.highlighted === own;
        }""",
        arg=[OTHERS + 1, run_id],
        timeout=LIVE_TIMEOUT,
    )
    assert run_id in [run["id"] for run in room["client"].get(room["code"])["runs"]]
    # The student's own run is on the page too, as on the run page.
    page.wait_for_function("() => document.querySelector('#status [data-part=status]').textContent.trim() !== ''")


def test_a_twin_run_from_the_students_page_is_the_students_too_in_the_class(
    page: Page, server_url: str, api: AppClient, start_run: StartRun
) -> None:
    """The compare panel's twin, started on the join page, is another run of the student in the class, with the
    settings the class fixes: never a run outside the class, out of the lecturer's sight."""
    client = ClassClient(server_url)
    code = client.open(SETTINGS, [*FREE, "engine"])["code"]
    student = open_join(page, server_url, code)
    run_id = start_run(page, learning_rate="2e-6")
    page.select_option("#twin-engine", "torch-autograd")
    with page.expect_response(lambda response: response.url.endswith(f"/api/classes/{code}/runs")) as sent:
        page.locator("#compare [data-twin-start]").click()
    assert sent.value.status == 201
    page.wait_for_function("() => new URLSearchParams(location.hash.slice(1)).has('compare')")
    twin_id = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('compare')")
    twin = api.get(f"/api/runs/{twin_id}")
    assert twin_id != run_id
    assert twin["class_code"] == code and twin["student"] == student
    assert twin["config"]["engine"] == "torch-autograd" and twin["config"]["learning_rate"] == 2e-6
    assert twin["config"]["steps"] == SETTINGS["steps"] and twin["config"]["pace"] == SETTINGS["pace"]
    in_class = [run["id"] for run in client.get(code)["runs"]]
    assert run_id in in_class and twin_id in in_class


def test_a_class_that_fixes_the_engine_and_zero_grad_offers_no_twin(
    page: Page, server_url: str, room: dict[str, Any], start_run: StartRun
) -> None:
    """A twin changes the engine or zero_grad; where the class fixes both, the panel offers none and says why."""
    open_join(page, server_url, room["code"])
    start_run(page, learning_rate="2e-6")
    twin = page.locator("#twin-engine")
    expect(twin).to_be_disabled()
    expect(twin).to_have_text("fixed by the class")
    expect(page.locator("#compare [data-twin-start]")).to_be_disabled()


def test_a_fixed_setting_the_server_refuses_is_never_sent(
    page: Page, server_url: str, room: dict[str, Any], start_run: StartRun
) -> None:
    open_join(page, server_url, room["code"])
    # Whatever the form holds in a fixed field (a script could change it), the class's value is the run's.
    page.evaluate("() => { const steps = document.querySelector('#steps'); steps.readOnly = false; }")
    run_id = start_run(page, steps="999", learning_rate="1e-6")
    info = room["client"].request("GET", f"/api/runs/{run_id}")
    assert info["config"]["steps"] == SETTINGS["steps"]


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_the_students_page_passes_axe(page: Page, server_url: str, room: dict[str, Any], size: tuple[int, int]) -> None:
    serve_axe(page)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.emulate_media(reduced_motion="reduce")
    open_join(page, server_url, room["code"])
    page.wait_for_function(
        f"() => document.querySelector('[data-class-chart]').dataset.runs === '{OTHERS}'", timeout=LIVE_TIMEOUT
    )
    open_settings(page)
    assert_accessible(page, f"join page {size}")


def test_a_student_the_server_no_longer_knows_joins_anew_on_start(
    page: Page, server_url: str, room: dict[str, Any], start_run: StartRun, watch: PageWatch
) -> None:
    watch.expected_errors.append("403")  # the refused start, which the page answers by joining again
    stale = json.dumps({"student": "gone", "student_token": "not-a-token", "name": "Ghost"})
    key = f"autograd-live:student:{room['code']}"
    page.add_init_script(f"localStorage.setItem({json.dumps(key)}, {json.dumps(stale)})")
    page.goto(f"{server_url}/join/{room['code']}")
    run_id = start_run(page, learning_rate="1e-6")
    info = room["client"].request("GET", f"/api/runs/{run_id}")
    assert info["class_code"] == room["code"] and info["student"] not in (None, "gone")
    kept = json.loads(page.evaluate("(key) => localStorage.getItem(key)", key))
    assert kept["student"] == info["student"] and kept["student_token"] != "not-a-token"


def test_a_student_who_presses_start_first_joins_as_the_next_student(
    page: Page, server_url: str, room: dict[str, Any], start_run: StartRun
) -> None:
    """Without a name, Start joins the class itself, numbering the student; the page then says who they are."""
    page.goto(f"{server_url}/join/{room['code']}")
    expect(page.locator("[data-class-name]")).to_be_visible()
    run_id = start_run(page, learning_rate="1e-6")
    listed = next(run for run in room["client"].get(room["code"])["runs"] if run["id"] == run_id)
    assert listed["name"] == f"Student {OTHERS + 1}"
    expect(page.locator("[data-class-name]")).to_be_hidden()
    page.wait_for_function("(student) => document.body.dataset.student === student", arg=listed["student"])
