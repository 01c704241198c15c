"""Replay of an ended run: the timeline's step shows that step's recorded weights, loss, gradient and fit."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

MINUS = "\u2212"
FIGURE_SPACE = "\u2007"
TIMEOUT = 15_000  # ms

# The fit chart's uPlot, through the page's own registry of plots (views/chart.js): x and the model series.
DRAWN_MODEL = """async () => {
  const { plotIn } = await import("/static/js/views/chart.js");
  const [x, , , model] = plotIn(document.querySelector("#fit-chart")).data;
  return x.map((value, i) => [value, model[i]]).filter(([, y]) => y != null);
}"""


def ended_run(api: AppClient, **config: object) -> tuple[str, dict[str, Any]]:
    """A run trained to its end through the API, and its history as the server records it."""
    run = api.post("/api/runs", {"points": 200, "seed": 5, **config})
    for _ in range(300):
        if api.get(f"/api/runs/{run['id']}")["status"] == "finished":
            return run["id"], api.get(f"/api/runs/{run['id']}/history")
        time.sleep(0.1)
    pytest.fail(f"run {run['id']} did not finish")


def open_replay(page: Page, server_url: str, run_id: str) -> None:
    page.goto(f"{server_url}/#run={run_id}")
    expect(page.locator("[data-replay]")).to_be_visible(timeout=TIMEOUT)


def seek(page: Page, step: int) -> None:
    page.locator("[data-replay-range]").fill(str(step))
    expect(page.locator("[data-replay]")).to_have_attribute("data-step", str(step))


def magnitude(v: float, digits: int) -> str:
    """format.js's magnitude: fixed decimals, or an exponent where they would show nothing or too much."""
    a = abs(v)
    if a != 0 and (a < 10**-digits or a >= 1e6):
        mantissa, exponent = f"{a:.{digits - 1}e}".split("e")
        return f"{mantissa}e{int(exponent)}".replace("-", MINUS)
    return f"{a:.{digits}f}"


def signed(v: float) -> str:
    """format.js's formatSigned: the weights table's cells."""
    return (MINUS if v < 0 else FIGURE_SPACE) + magnitude(v, 4)


def value(v: float) -> str:
    """format.js's formatValue: five significant digits, grouped, an exponent only when huge or tiny."""
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e7):
        text = magnitude(v, 4)
    else:
        decimals = max(0, 4 - math.floor(math.log10(a))) if a else 0
        text = f"{round(a, decimals):,.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return (MINUS if v < 0 else "") + text


def check_weights_and_loss(page: Page, history: dict[str, Any], step: int) -> None:
    weights = page.locator("#weights")
    expect(weights).to_have_attribute("data-replay-step", str(step))
    for name, column in history["params"].items():
        row = weights.locator(f"tr[data-param='{name}'] td")
        expect(row.nth(0)).to_have_text(signed(column[step]))
        expect(row.nth(1)).to_have_text(signed(history["grads"][name][step]))
    expect(weights.locator("[data-loss]")).to_have_text(value(history["loss"][step]))
    expect(weights.locator("[data-loss-step]")).to_have_text(f"{step:,}")
    expect(page.locator("[data-replay-readout-loss]")).to_have_text(value(history["loss"][step]))
    expect(page.locator("[data-replay-readout-step]")).to_have_text(f"{step:,}")
    expect(page.locator("#loss-chart")).to_have_attribute("data-replay-step", str(step))
    expect(page.locator("#loss-chart .replay-marker")).to_be_visible()


def check_curve(page: Page, model: Any, params: dict[str, float]) -> None:
    drawn = page.evaluate(DRAWN_MODEL)
    assert len(drawn) > 10
    for x, y in drawn[:: len(drawn) // 7]:
        assert y == pytest.approx(model(params, x), rel=1e-9, abs=1e-12), x


def cubic(p: dict[str, float], x: float) -> float:
    return p["a"] + p["b"] * x + p["c"] * x**2 + p["d"] * x**3


def legendre(p: dict[str, float], x: float) -> float:
    z = p["c"] + p["d"] * x
    return p["a"] + p["b"] * 0.5 * (5 * z**3 - 3 * z)


def at(history: dict[str, Any], step: int) -> dict[str, float]:
    return {name: column[step] for name, column in history["params"].items()}


def test_replay_at_a_chosen_step_equals_the_recorded_history(page: Page, server_url: str, api: AppClient) -> None:
    run_id, history = ended_run(api, engine="numpy", steps=300)
    assert history["step"] == list(range(300))
    open_replay(page, server_url, run_id)
    timeline = page.locator("[data-replay]")
    expect(timeline).to_have_attribute("data-step", "")  # it opens on the final view
    expect(page.locator("[data-replay-range]")).to_have_attribute("max", "299")

    seek(page, 123)
    check_weights_and_loss(page, history, 123)
    expect(page.locator("#fit-chart")).to_have_attribute("data-replay-step", "123")
    check_curve(page, cubic, at(history, 123))
    expect(page.locator("[data-replay-fit-note]")).to_be_hidden()

    # The keyboard moves it too: one step, then the ends.
    page.locator("[data-replay-range]").press("ArrowRight")
    expect(timeline).to_have_attribute("data-step", "124")
    page.locator("[data-replay-range]").press("Home")
    expect(timeline).to_have_attribute("data-step", "0")
    check_weights_and_loss(page, history, 0)
    check_curve(page, cubic, at(history, 0))

    # Play at 10 steps/s moves forward, Pause holds the step.
    page.select_option("[data-replay-speed]", "10")
    page.click("[data-replay-play]")
    expect(timeline).to_have_attribute("data-playing", "true")
    page.wait_for_function("() => Number(document.querySelector('[data-replay]').dataset.step) >= 3")
    page.click("[data-replay-pause]")
    expect(timeline).to_have_attribute("data-playing", "false")
    held = int(timeline.get_attribute("data-step") or "-1")
    assert 3 <= held < 100
    page.wait_for_timeout(300)
    expect(timeline).to_have_attribute("data-step", str(held))
    check_weights_and_loss(page, history, held)

    # At 1000 steps/s it runs to the end and stops there, on the final view again.
    page.select_option("[data-replay-speed]", "1000")
    page.click("[data-replay-play]")
    expect(timeline).to_have_attribute("data-playing", "false", timeout=TIMEOUT)
    expect(timeline).to_have_attribute("data-step", "")
    expect(page.locator("[data-replay-range]")).to_have_value("299")
    expect(page.locator("#fit-chart")).to_have_attribute("data-replay-step", "")
    expect(page.locator("#loss-chart .replay-marker")).to_be_hidden()

    # "Final" leaves a replay for the final view.
    seek(page, 42)
    page.click("[data-replay-final]")
    expect(timeline).to_have_attribute("data-step", "")
    expect(page.locator("#weights")).to_have_attribute("data-replay-step", "")


def test_a_custom_function_run_replays_with_its_legendre_formula(page: Page, server_url: str, api: AppClient) -> None:
    run_id, history = ended_run(api, engine="torch-function", steps=300)
    open_replay(page, server_url, run_id)
    seek(page, 100)
    check_weights_and_loss(page, history, 100)
    check_curve(page, legendre, at(history, 100))
    # Graphs are kept for the steps that had frames: the page shows the nearest one, and says which step it is.
    kept = api.get(f"/api/runs/{run_id}/graph?step=100")["step"]
    expect(page.locator("#graph")).to_have_attribute("data-step", str(kept))
    note = page.locator("[data-replay-graph-note]")
    if kept == 100:
        expect(note).to_be_hidden()
    else:
        expect(note).to_have_text(f"graph of step {kept}, the nearest kept before step 100")


def test_a_network_replays_its_norms_and_says_its_past_fits_cannot_be_redrawn(
    page: Page, server_url: str, api: AppClient
) -> None:
    run_id, history = ended_run(api, engine="torch-mlp", steps=120)
    open_replay(page, server_url, run_id)
    note = page.locator("[data-replay-fit-note]")
    expect(note).to_contain_text("cannot be redrawn")
    seek(page, 30)
    check_weights_and_loss(page, history, 30)
    expect(note).to_be_visible()
    expect(page.locator("#fit-chart")).to_have_attribute("data-replay-step", "")  # the final curve, said so


# The page's own short form of a number or tensor summary (graph/summary.js), to compare a drawn label exactly.
BRIEF = """async (summary) => (await import("/static/js/graph/summary.js")).briefParts(summary).value"""


def number(text: str) -> float:
    """A number as the page writes it: a real minus sign, thousands separators, e−5 exponents."""
    return float(text.strip().replace(MINUS, "-").replace(",", ""))


def check_graph(page: Page, answer: dict[str, Any]) -> None:
    """The graph panel shows the API's graph for the step: its step, shape, autograd's order and leaf .grads."""
    panel = page.locator("#graph")
    values, shape = answer["values"], answer["shape"]
    expect(panel).to_have_attribute("data-step", str(answer["step"]))
    expect(panel).to_have_attribute("data-signature", shape["signature"])
    expect(panel.locator("[data-graph-step]")).to_have_text(f"step {answer['step']}")
    expect(panel).to_have_attribute("data-order", " ".join(values["order"]))
    expect(panel).to_have_attribute("data-active", "")  # a sought step is shown whole: every node has run
    leaves = [node for node in shape["nodes"] if node["kind"] == "leaf"]
    assert leaves
    for leaf in leaves:
        grad = values["leaf_grads"][leaf["label"]]
        drawn = panel.locator(f"[data-node='{leaf['id']}'] .node-value")
        expect(drawn).to_have_text(f".grad {page.evaluate(BRIEF, grad)}")
        assert math.isclose(number((drawn.text_content() or "").removeprefix(".grad ")), grad, rel_tol=5e-3)


def test_the_graph_panel_shows_the_graph_kept_for_the_replayed_step(
    page: Page, server_url: str, api: AppClient
) -> None:
    """Seeking shows the graph of the nearest kept step at or before it, as the API gives it, and says when that
    is another step; after a playback is paused, the graph of the step it stopped at."""
    run_id, _ = ended_run(api, engine="torch-autograd", steps=400, pace=300)
    kept = [frame["step"] for frame in api.get(f"/api/runs/{run_id}/export")["graph_frames"]]
    assert len(kept) >= 4, "too few graphs kept to tell one step from another"
    open_replay(page, server_url, run_id)
    note = page.locator("[data-replay-graph-note]")
    for step in (kept[2], kept[2] + 1, kept[1], kept[-1] - 1, 0):
        seek(page, step)
        answer = api.get(f"/api/runs/{run_id}/graph?step={step}")
        assert answer["step"] == max(k for k in kept if k <= step)
        check_graph(page, answer)
        if answer["step"] == step:
            expect(note).to_be_hidden()
        else:
            expect(note).to_have_text(f"graph of step {answer['step']}, the nearest kept before step {step}")

    # Dragged across many steps, the page asks once per kept graph it needs, never once per step.
    page.evaluate("""() => {
      window.graphRequests = 0;
      const plain = window.fetch;
      window.fetch = (url, ...rest) => (String(url).includes("/graph?") && window.graphRequests++, plain(url, ...rest));
    }""")
    start, end = kept[1] + 1, kept[-2] + 1
    for step in range(start, end + 1):
        page.locator("[data-replay-range]").fill(str(step))
    expect(page.locator("[data-replay]")).to_have_attribute("data-step", str(end))
    check_graph(page, api.get(f"/api/runs/{run_id}/graph?step={end}"))
    crossed = sum(start <= k <= end for k in kept)
    requests = page.evaluate("window.graphRequests")
    assert 1 <= requests <= crossed + 1, f"{requests} requests for {crossed} graphs"
    assert requests < (end - start) / 4, f"{requests} requests for a drag over {end - start} steps"

    # Played, then paused: the graph of the step it holds.
    seek(page, kept[1])
    page.select_option("[data-replay-speed]", "100")
    page.click("[data-replay-play]")
    page.wait_for_function(f"() => Number(document.querySelector('[data-replay]').dataset.step) > {kept[1] + 40}")
    page.click("[data-replay-pause]")
    expect(page.locator("[data-replay]")).to_have_attribute("data-playing", "false")  # drawn: its step is final
    held = int(page.locator("[data-replay]").get_attribute("data-step") or "-1")
    check_graph(page, api.get(f"/api/runs/{run_id}/graph?step={held}"))


def test_a_dynamic_net_replays_each_step_with_the_shape_its_graph_had(
    page: Page, server_url: str, api: AppClient
) -> None:
    run_id, _ = ended_run(api, engine="dynamic-net", steps=300, pace=200)
    frames = api.get(f"/api/runs/{run_id}/export")["graph_frames"]
    assert len({frame["signature"] for frame in frames}) >= 2
    open_replay(page, server_url, run_id)
    # Which steps were captured depends on the machine's timing: seek five kept graphs, then one of another shape.
    other = next(frame for frame in frames if frame["signature"] != frames[1]["signature"])
    seen = set()
    for frame in [*frames[1:6], other]:
        seek(page, frame["step"])
        answer = api.get(f"/api/runs/{run_id}/graph?step={frame['step']}")
        assert answer["values"] == frame and answer["shape"]["signature"] == frame["signature"]
        check_graph(page, answer)
        seen.add(frame["signature"])
    assert len(seen) >= 2, "the steps sought all had one shape"


def test_replay_graphs_asks_once_per_kept_graph_and_remembers_what_the_server_has_not(
    page: Page, server_url: str
) -> None:
    """replay/graphs.js against a fake server keeping graphs at steps 0, 10, 20: a hundred wanted steps in a row
    make one request at a time, each answer serves every step it covers, and a 404 is remembered."""
    page.goto(f"{server_url}/static/js/protocol.js")
    result = page.evaluate("""async () => {
      const { ReplayGraphs } = await import("/static/js/replay/graphs.js");
      const kept = [0, 10, 20];
      const asked = [];
      const shown = [];
      const graphs = new ReplayGraphs({
        async fetch(runId, step) {
          asked.push(step);
          if (runId === "none") throw Object.assign(new Error("none"), { status: 404 });
          const at = Math.max(...kept.filter((k) => k <= step));
          const next = kept.find((k) => k > at) ?? null;
          return { step: at, next_step: next, shape: { signature: "s" }, values: { step: at } };
        },
        onFrame: (runId, frame) => shown.push(frame && frame.step),
      });
      const settle = () => new Promise((resolve) => setTimeout(resolve, 400));
      for (let step = 0; step < 100; step++) graphs.want("r", 5);
      await settle();
      for (let step = 0; step < 10; step++) graphs.want("r", step);  // all covered by step 0's graph
      const afterCovered = asked.length;
      graphs.want("r", 25);
      await settle();
      graphs.want("r", 13);  // not covered yet: 10's graph was never asked for
      await settle();
      graphs.want("none", 3);
      await settle();
      graphs.want("none", 2);  // known to have nothing by step 3
      await settle();
      return { asked, afterCovered, shown };
    }""")
    assert result["afterCovered"] == 1
    assert result["asked"] == [5, 25, 13, 3]
    assert result["shown"] == [0, 20, 10, None]
