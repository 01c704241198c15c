"""The graph shows the step the weights beside it show: while a run goes it is the newest step captured, and
after a pause or the run's end it is the very step of the weights by the next frame; when the two differ, it
says which step it shows and why."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 20_000  # ms; every wait ends as soon as its condition holds

# Samples, at every animation frame, what the page shows: the run's status, the weights' step and the graph's.
# A sample is taken before the views draw in that frame, so it holds what the frame before drew.
RECORD_FRAMES = """() => {
  window.__frames = [];
  const [status, weights, graph] = ['#status', '#weights', '#graph'].map((s) => document.querySelector(s));
  const sample = () => {
    window.__frames.push([status.dataset.status, Number(weights.dataset.step), Number(graph.dataset.step)]);
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}"""


def frames_after(page: Page, count: int) -> list[list[Any]]:
    """The frames sampled once `count` more have been drawn."""
    seen = int(page.evaluate("window.__frames.length"))
    page.wait_for_function(f"() => window.__frames.length >= {seen + count}", timeout=LIVE_TIMEOUT)
    return list(page.evaluate("window.__frames"))


def assert_caught_up(frames: list[list[Any]], final: int) -> None:
    """From the frame the weights first show step `final`, the graph shows it too, at most one frame later."""
    first = next(i for i, (_, weights, _) in enumerate(frames) if weights == final)
    later = frames[first + 1 :]
    assert frames[first][2] == final or (later and later[0][2] == final), frames[max(0, first - 3) : first + 3]
    assert all(graph == final for _, _, graph in later[1:]), "the graph left the weights' step"


def start(page: Page, server_url: str, api: AppClient, config: dict[str, Any]) -> str:
    """Opens the page, samples its frames, then starts a run and follows it from its first step."""
    page.goto(server_url)
    page.evaluate(RECORD_FRAMES)
    run_id = str(api.post("/api/runs", config)["id"])
    page.evaluate("(id) => { location.hash = `run=${id}`; }", run_id)
    return run_id


def test_at_the_end_of_a_run_the_graph_shows_the_last_step_by_the_next_frame(
    page: Page, server_url: str, api: AppClient
) -> None:
    steps = 240
    start(page, server_url, api, {"engine": "torch-autograd", "steps": steps, "pace": 80, "seed": 1})
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    page.wait_for_function(
        f"() => document.querySelector('#weights').dataset.step === '{steps - 1}'", timeout=LIVE_TIMEOUT
    )
    frames = frames_after(page, 3)
    assert_caught_up(frames, steps - 1)
    # While it ran, every new step was drawn as it came: the graph showed many steps, never far behind.
    running = [(weights, graph) for status, weights, graph in frames if status == "running" and graph >= 0]
    assert len({graph for _, graph in running}) > 20
    expect(page.locator("#graph [data-graph-step]")).to_have_text(f"step {steps - 1}")
    expect(page.locator("#graph [data-graph-lag]")).to_have_text("")
    expect(page.locator("#graph")).to_have_attribute("data-active", "")  # the whole pass, at rest


def held_step(api: AppClient, run_id: str) -> int:
    """The step a paused run holds on, once the server has its graph (a pause may take one more step for it)."""
    deadline = time.monotonic() + LIVE_TIMEOUT / 1000
    while time.monotonic() < deadline:
        done = int(api.get(f"/api/runs/{run_id}")["steps_done"])
        if done and api.get(f"/api/runs/{run_id}/graph?step={done - 1}")["step"] == done - 1:
            return done - 1
        time.sleep(0.05)
    pytest.fail("the paused run never held on a step with its graph")


@pytest.mark.parametrize("pace", [50, None])  # the 50 steps/s, and as fast as it goes
def test_after_a_pause_the_graph_shows_the_weights_step_by_the_next_frame(
    page: Page, server_url: str, api: AppClient, pace: int | None
) -> None:
    config = {"engine": "torch-autograd", "steps": 1_000_000 if pace is None else 5000, "pace": pace, "seed": 2}
    run_id = start(page, server_url, api, config)
    page.wait_for_function("() => Number(document.querySelector('#graph').dataset.step) > 30", timeout=LIVE_TIMEOUT)
    api.post(f"/api/runs/{run_id}/pause")
    final = held_step(api, run_id)
    page.wait_for_function(f"() => document.querySelector('#weights').dataset.step === '{final}'", timeout=LIVE_TIMEOUT)
    assert_caught_up(frames_after(page, 3), final)
    expect(page.locator("#graph [data-graph-step]")).to_have_text(f"step {final}")
    expect(page.locator("#graph [data-graph-lag]")).to_have_text("")
    # Paused, the whole pass is on screen at once: no box is lit, every parameter ends with its .grad.
    expect(page.locator("#graph")).to_have_attribute("data-active", "")
    for value in page.locator("#graph .graph-node.kind-leaf .node-value").all():
        expect(value).to_contain_text(".grad ")


def test_a_graph_from_another_step_than_the_weights_says_which_and_why(
    page: Page, server_url: str, api: AppClient
) -> None:
    lag = """async ([state, values]) => (await import('/static/js/graph/lag.js')).lagNote(state, values)"""
    say = lambda state, values: str(page.evaluate(lag, [state, values]))  # noqa: E731
    page.goto(server_url)
    assert say({"step": 40, "status": "running", "replay": None}, {"step": 40}) == ""
    running = say({"step": 42, "status": "running", "replay": None}, {"step": 40})
    assert "the weights are at step 42" in running and "captured once per frame" in running
    stopped = say({"step": 42, "status": "stopped", "replay": None}, {"step": 40})
    assert "the weights are at step 42" in stopped and "not captured" in stopped
    assert say({"step": 42, "status": "finished", "replay": {"step": 7}}, {"step": 5}) == ""  # the replay's note says

    # A run stopped at full speed ends, most likely, on a step whose graph was not captured: said under the graph.
    run_id = start(page, server_url, api, {"engine": "torch-autograd", "steps": 1_000_000, "seed": 3})
    page.wait_for_function("() => Number(document.querySelector('#graph').dataset.step) > 30", timeout=LIVE_TIMEOUT)
    api.post(f"/api/runs/{run_id}/stop")
    expect(page.locator("#status")).to_have_attribute("data-status", "stopped", timeout=LIVE_TIMEOUT)
    done = int(api.get(f"/api/runs/{run_id}")["steps_done"])
    page.wait_for_function(
        f"() => document.querySelector('#weights').dataset.step === '{done - 1}'", timeout=LIVE_TIMEOUT
    )
    graph_step = int(api.get(f"/api/runs/{run_id}/graph?step={done - 1}")["step"])
    panel = page.locator("#graph")
    expect(panel.locator("[data-graph-step]")).to_have_text(f"step {graph_step}")
    note = panel.locator("[data-graph-lag]")
    if graph_step == done - 1:  # it stopped on a captured step after all: nothing to explain
        expect(note).to_have_text("")
    else:
        expect(note).to_be_visible()
        expect(note).to_contain_text(f"the weights are at step {done - 1}")
