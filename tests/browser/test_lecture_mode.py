"""Lecture mode in real browsers: the lecturer's page steps the seed lecture's scenes with PageDown, each opening
its run, its panel and its marked lines; a student's page (another browser profile) follows scene by scene."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import serve_app

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 30_000  # ms; every wait ends as soon as its condition holds
# The followed run has left the queue: it steps, or it has ended (the no_grad scene's fails at its first step).
STARTED = "() => ['running', 'paused', 'finished', 'failed'].includes(document.querySelector('#status').dataset.status)"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own: a lecture's runs never wait behind another module's."""
    with serve_app(tmp_path_factory.mktemp("lecture-server")) as url:
        yield url


def followed_run(page: Page) -> str | None:
    """The run the page's address names."""
    return page.evaluate("new URLSearchParams(location.hash.slice(1)).get('run')")  # type: ignore[no-any-return]


def wait_for_scene(page: Page, index: int, total: int) -> None:
    """The band shows scene `index` (from 0) and the page follows a run."""
    band = page.locator("[data-lecture]")
    expect(band.locator("[data-lecture-count]")).to_have_text(f"scene {index + 1} of {total}", timeout=LIVE_TIMEOUT)
    page.wait_for_function("() => new URLSearchParams(location.hash.slice(1)).get('run')")


def test_the_lecturer_steps_every_scene_and_a_student_follows(
    page: Page, browser: Browser, server_url: str, api: AppClient, watch_context: Any
) -> None:
    lecture = api.get("/api/lectures/pytorch")
    scenes = lecture["scenes"]
    page.goto(f"{server_url}/#lecture=pytorch")
    band = page.locator("[data-lecture]")
    wait_for_scene(page, 0, len(scenes))
    expect(band.locator("[data-lecture-title]")).to_have_text(scenes[0]["title"])
    expect(band.locator("[data-lecture-equation]")).to_have_text(scenes[0]["equation"])
    expect(band.locator("[data-lecture-nav]")).to_be_visible()
    link = band.locator("[data-lecture-link] a").get_attribute("href")
    assert link and "session=" in link

    # A student: another browser profile (no token of the lecturer's), from the link the lecturer shows.
    student_context = browser.new_context(viewport={"width": 390, "height": 844})
    watch_context(student_context)
    student = student_context.new_page()
    try:
        student.goto(link)
        wait_for_scene(student, 0, len(scenes))
        expect(student.locator("[data-lecture-nav]")).to_be_hidden()
        expect(student.locator("[data-lecture-follow]")).to_be_visible()
        assert followed_run(student) == followed_run(page)

        seen: set[str] = set()
        for index, scene in enumerate(scenes):
            if index:
                before = followed_run(page)
                page.keyboard.press("PageDown")
                wait_for_scene(page, index, len(scenes))
                page.wait_for_function(
                    "before => new URLSearchParams(location.hash.slice(1)).get('run') !== before", arg=before
                )
            run_id = followed_run(page)
            assert run_id and run_id not in seen, f"scene {index + 1} started no run of its own"
            seen.add(run_id)
            run = api.get(f"/api/runs/{run_id}")
            for field, value in scene["run"].items():
                assert run["config"][field] == value, (index, field)
            expect(band.locator("[data-lecture-title]")).to_have_text(scene["title"])
            # The run starts: it leaves the queue.
            page.wait_for_function(STARTED, timeout=LIVE_TIMEOUT)
            if scene["compare"]:
                compare = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('compare')")
                assert compare and api.get(f"/api/runs/{compare}")["config"]["engine"] == scene["compare"]["engine"]
            panel = scene["panel"]
            expect(page.locator("html")).to_have_attribute("data-enlarged", panel or "")
            for line in scene["lines"]:
                marked = page.locator("#code .code-line.marked code", has_text=line.strip())
                expect(marked.first).to_be_attached()
            # The student is on the same scene and the same run, within a moment.
            wait_for_scene(student, index, len(scenes))
            student.wait_for_function(
                "run => new URLSearchParams(location.hash.slice(1)).get('run') === run",
                arg=run_id,
                timeout=LIVE_TIMEOUT,
            )
            expect(student.locator("[data-lecture-title]")).to_have_text(scene["title"])

        # The last scene's runs alone go on: the lecturer's page stopped each scene's as it moved on.
        going = [r for r in api.get("/api/runs") if r["id"] in seen and r["status"] in ("running", "queued", "paused")]
        assert {r["id"] for r in going} <= {followed_run(page)}
        assert api.get(f"/api/runs/{scenes and followed_run(page)}")["config"]["engine"] == scenes[-1]["run"]["engine"]

        # PageUp goes back a scene, with a run of its own again.
        last = followed_run(page)
        page.keyboard.press("PageUp")
        wait_for_scene(page, len(scenes) - 2, len(scenes))
        page.wait_for_function("last => new URLSearchParams(location.hash.slice(1)).get('run') !== last", arg=last)
        wait_for_scene(student, len(scenes) - 2, len(scenes))
    finally:
        student_context.close()


def test_leaving_the_lecture_keeps_the_run_and_drops_the_band(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/#lecture=pytorch")
    wait_for_scene(page, 0, 22)
    run = followed_run(page)
    page.click("[data-lecture-close]")
    expect(page.locator("[data-lecture]")).to_be_hidden()
    assert followed_run(page) == run and "lecture=" not in page.url
    expect(page.locator("html")).to_have_attribute("data-enlarged", "")
