"""The class pages' pure modules, run in the browser as the pages load them: the class store keeps every loss
once whatever the messages repeat, notices a gap, follows added and removed runs; the colours follow the setting
that varies; the chart's scale keeps a run that blew up from stretching it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
def module_page(page: Page, server_url: str) -> Page:
    """A page of the app's origin, so `import("/static/js/...")` loads the served modules."""
    page.goto(f"{server_url}/static/js/class/protocol.js")
    return page


def run_js(page: Page, body: str) -> Any:
    return page.evaluate(f"async () => {{ {body} }}")


SNAPSHOT = """
  const { ClassStore } = await import("/static/js/class/store.js");
  const store = new ClassStore("K7QM2P");
  const run = (id, losses, config = {}) => ({ id, student: "s" + id, name: null, status: "running", config,
    message: null, losses });
  store.apply({ type: "class_snapshot", class: { code: "K7QM2P", settings: { steps: 10 }, free: null },
    varying: ["learning_rate"], runs: [run("a", [5, 4, 3]), run("b", [])] });
"""


def test_every_loss_is_kept_once_and_in_place(module_page: Page) -> None:
    result = run_js(
        module_page,
        SNAPSHOT
        + """
        store.apply({ type: "class_frame", runs: { a: { start: 3, losses: [2, 1] }, b: { start: 0, losses: [9] } } });
        // The same losses again (a merged frame overlapping the last): written on themselves, none added.
        store.apply({ type: "class_frame", runs: { a: { start: 2, losses: [3, 2, 1, 0.5] } } });
        const a = [...store.state.runs.get("a").losses.values];
        const b = [...store.state.runs.get("b").losses.values];
        return { a, b, gap: store.state.gap };
        """,
    )
    assert result == {"a": [5, 4, 3, 2, 1, 0.5], "b": [9], "gap": False}


def test_a_frame_past_the_losses_held_is_a_gap(module_page: Page) -> None:
    result = run_js(
        module_page,
        SNAPSHOT
        + """
        store.apply({ type: "class_frame", runs: { a: { start: 5, losses: [1] } } });
        const gapAfterSkip = store.state.gap;
        const length = store.state.runs.get("a").losses.length;
        store.apply({ type: "class_snapshot", class: store.state.cls, varying: [], runs: [] });
        store.apply({ type: "class_frame", runs: { ghost: { start: 0, losses: [1] } } });
        return { gapAfterSkip, length, gapAfterUnknown: store.state.gap };
        """,
    )
    assert result == {"gapAfterSkip": True, "length": 3, "gapAfterUnknown": True}


def test_added_removed_statuses_and_non_finite_losses(module_page: Page) -> None:
    result = run_js(
        module_page,
        SNAPSHOT
        + """
        const epoch = store.state.epoch;
        store.apply({ type: "class_frame", runs: { a: { start: 3, losses: [null], status: "diverged" } },
          added: [{ id: "c", student: "sc", name: "Ada", status: "queued", config: {}, message: null, losses: [] }],
          removed: ["b"] });
        const { latestLoss } = await import("/static/js/class/store.js");
        const a = store.state.runs.get("a");
        return { ids: [...store.state.runs.keys()], status: a.status, last: Number.isNaN(a.losses.at(3)),
          latest: latestLoss(a), redraw: store.state.epoch > epoch };
        """,
    )
    # A run gone redraws the chart whole; a diverged run keeps its finite losses, its last one the mark's place.
    assert result == {
        "ids": ["a", "c"],
        "status": "diverged",
        "last": True,
        "latest": {"step": 2, "loss": 3},
        "redraw": True,
    }


def test_colours_follow_the_setting_that_varies(module_page: Page) -> None:
    result = run_js(
        module_page,
        """
        const { colouring, colourField, valueText } = await import("/static/js/class/colours.js");
        const run = (config) => ({ config, losses: null });
        const cls = { settings: { engine: "numpy" } };
        const rates = [run({ learning_rate: 1e-7 }), run({ learning_rate: 1e-6 }), run({ learning_rate: 1e-5 })];
        const byRate = colouring(rates, colourField(["seed", "learning_rate"], null), cls);
        const engines = [run({ engine: "torch-autograd" }), run({}), run({ engine: "torch-autograd" })];
        const byEngine = colouring(engines, colourField(["engine"], null), cls);
        return {
          field: byRate.field, kind: byRate.legend.kind, log: byRate.legend.log,
          colours: rates.map(byRate.colourOf),
          engineKind: byEngine.legend.kind, engineLabels: byEngine.legend.entries.map((e) => e.label),
          same: byEngine.colourOf(engines[0]) === byEngine.colourOf(engines[2]),
          differ: byEngine.colourOf(engines[0]) !== byEngine.colourOf(engines[1]),
          asked: colourField(["learning_rate", "seed"], "seed"), text: valueText(2e-5),
        };
        """,
    )
    assert result["field"] == "learning_rate" and result["kind"] == "scale" and result["log"] is True
    # Evenly spaced decades: the middle one is the scale's middle, the ends its ends.
    assert result["colours"] == ["#0072b2", "#9b3856", "#e69f00"]
    assert result["engineKind"] == "categories" and result["engineLabels"] == ["numpy", "torch-autograd"]
    assert result["same"] and result["differ"]
    assert result["asked"] == "seed" and result["text"] == "2e-5"


def test_a_run_that_blew_up_does_not_stretch_the_loss_axis(module_page: Page) -> None:
    result = run_js(
        module_page,
        """
        const { Losses } = await import("/static/js/class/losses.js");
        const { domain } = await import("/static/js/class/scales.js");
        const run = (values, status) => { const losses = new Losses(); losses.write(0, values);
          return { status, config: {}, losses }; };
        const calm = run([2e4, 300, 12], "finished");
        const climbing = run([2e4, 1e9, 1e30], "running");
        const blown = run([2e4, 1e12, null], "diverged");
        return domain([calm, climbing, blown], { settings: { steps: 300 } });
        """,
    )
    assert result == {"lastStep": 299, "lowDecade": 1, "highDecade": 7}


def test_the_chart_draws_on_new_losses_and_redraws_whole_only_when_it_must(module_page: Page) -> None:
    result = run_js(
        module_page,
        """
        const { ClassStore } = await import("/static/js/class/store.js");
        const { ClassChart } = await import("/static/js/class/chart.js");
        document.body.innerHTML = `<div class="class-chart"><canvas data-chart-base></canvas>
          <canvas data-chart-over></canvas><div data-chart-tip hidden></div></div>`;
        const element = document.querySelector(".class-chart");
        Object.assign(element.style, { position: "relative", width: "600px", height: "300px" });
        const chart = new ClassChart(element, { open() {} });
        const store = new ClassStore("K7QM2P");
        store.subscribe((state) => chart.update(state));
        const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
        const run = (id, rate) => ({ id, student: id, name: null, status: "running", config: { learning_rate: rate },
          message: null, losses: Array.from({ length: 50 }, (_, t) => 1000 * 0.99 ** t) });
        store.apply({ type: "class_snapshot", class: { code: "K7QM2P", settings: { steps: 400 }, free: null },
          varying: ["learning_rate"], runs: [run("a", 1e-6), run("b", 1e-5), run("c", 1e-4)] });
        await frame();
        const seen = () => ({ ...element.dataset });
        const first = seen();
        // Twenty messages of new losses, a run ending and one added within the learning rates so far: drawn on.
        for (let k = 0; k < 20; k++) {
          const losses = Array.from({ length: 5 }, (_, i) => 1000 * 0.99 ** (50 + 5 * k + i));
          store.apply({ type: "class_frame", runs: { a: { start: 50 + 5 * k, losses }, b: { start: 50 + 5 * k, losses },
            ...(k === 10 ? { c: { start: 50, losses: [], status: "finished" } } : {}) },
            added: k === 5 ? [run("d", 3e-6)] : [] });
          await frame();
        }
        const after = seen();
        // A run past the learning rates so far changes every colour: every curve is drawn again.
        store.apply({ type: "class_frame", runs: {}, added: [run("e", 1e-2)] });
        await frame();
        return { first, after, widened: seen() };
        """,
    )
    assert result["first"]["wholeDraws"] == "1" and result["first"]["curves"] == "3"
    assert result["after"]["wholeDraws"] == "1" and result["after"]["curves"] == "4"
    assert result["widened"]["wholeDraws"] == "2" and result["widened"]["curves"] == "5"
