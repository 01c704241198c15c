"""The page's pure modules, run in the browser exactly as the page loads them: store, decimation, formatting."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
def module_page(page: Page, server_url: str) -> Page:
    """A page of the app's origin, so `import("/static/js/...")` loads the served modules."""
    page.goto(f"{server_url}/static/js/protocol.js")
    return page


def run_js(page: Page, body: str, arg: Any = None) -> Any:
    """Runs an async function body in the page; `arg` is passed to it as `arg`."""
    return page.evaluate(f"async (arg) => {{ {body} }}", arg)


def test_store_keeps_every_loss_once_across_a_reconnect(module_page: Page) -> None:
    losses = run_js(
        module_page,
        """
        const { Store, Local } = await import("/static/js/store.js");
        const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
        const run = { id: "r1", status: "running", message: null, config: { steps: 100 } };
        const weights = { params: { a: 0, b: 0, c: 0, d: 0 }, grads: {}, curve: [] };
        const store = new Store();
        store.apply({ type: Local.JOIN, runId: "r1" });
        const snapshot = (lossFrom, to) => ({
          type: "snapshot", run, data: { x: [], y: [] }, truth: { x: [], y: [] }, curve_x: [],
          loss_from: lossFrom, loss: range(lossFrom, to), step: to - 1, ...weights,
        });
        store.apply(snapshot(0, 10));
        store.apply({ type: "frame", status: "running", from: 10, loss: range(10, 15), step: 14, rate: 1, ...weights });
        // A reconnect whose snapshot starts before the end of what the store holds: no double, no gap.
        store.apply(snapshot(12, 21));
        store.apply({ type: "frame", status: "running", from: 21, loss: range(21, 23), step: 22, rate: 1, ...weights });
        return store.state.losses;
        """,
    )
    assert losses == list(range(23))


def test_store_does_not_let_a_late_answer_revive_an_ended_run(module_page: Page) -> None:
    status = run_js(
        module_page,
        """
        const { Store, Local } = await import("/static/js/store.js");
        const store = new Store();
        store.apply({ type: Local.JOIN, runId: "r1" });
        store.apply({ type: "status", status: "stopped", message: null, final: true });
        store.apply({ type: Local.RUN_INFO, run: { id: "r1", status: "running", message: null } });
        return store.state.status;
        """,
    )
    assert status == "stopped"


def test_decimation_keeps_spikes_minimum_and_last_value(module_page: Page) -> None:
    result = run_js(
        module_page,
        """
        const { decimateMinMax } = await import("/static/js/decimate.js");
        const values = Array.from({ length: 100000 }, (_, i) => 1000 / (i + 1));
        values[31337] = 5e6;  // a spike
        values[77777] = 1e-9;  // the minimum
        const { x, y } = decimateMinMax(values, 600);
        const short = decimateMinMax([3, 2, 1], 600);
        return {
          length: x.length, xs: Array.from(x), ys: Array.from(y),
          short: [Array.from(short.x), Array.from(short.y)],
        };
        """,
    )
    assert result["length"] <= 2 * 600 + 1
    assert result["xs"] == sorted(result["xs"])
    assert 31337 in result["xs"] and 5e6 in result["ys"]
    assert 77777 in result["xs"] and 1e-9 in result["ys"]
    assert result["xs"][-1] == 99999
    assert result["short"] == [[0, 1, 2], [3, 2, 1]]


def test_the_cubic_is_written_as_in_the_lecture_with_real_minus_signs(module_page: Page) -> None:
    texts = run_js(
        module_page,
        """
        const { formatCubic, formatSigned, formatValue } = await import("/static/js/format.js");
        return [
          formatCubic({ a: -0.0034, b: 0.8397, c: 0.0006, d: -0.0915 }),
          formatCubic({ a: 1, b: Number.NaN, c: 0, d: 0 }),
          formatSigned(-0.0915), formatSigned(0.8397), formatSigned(Infinity),
          formatValue(8.82341234), formatValue(123456.7), formatValue(3.2e15),
        ];
        """,
    )
    nbsp, minus, figure_space = "\u00a0", "\u2212", "\u2007"
    assert texts == [
        f"y = {minus}0.0034 +{nbsp}0.8397{nbsp}x +{nbsp}0.0006{nbsp}x² {minus}{nbsp}0.0915{nbsp}x³",
        "y = —",
        f"{minus}0.0915",
        f"{figure_space}0.8397",
        "—",
        "8.8234",
        "123,460",
        "3.200e15",
    ]


def test_an_engines_own_model_is_written_out_with_its_weights(module_page: Page) -> None:
    texts = run_js(
        module_page,
        """
        const { formatModel, formatDifference } = await import("/static/js/format.js");
        return [
          formatModel("y = a + b P3(c + d x)", { a: 0, b: -1, c: -0.02, d: 0.3 }),
          formatModel("y = a + b P3(c + d x)", { a: 0, b: 1, c: 0, d: Number.NaN }),
          formatDifference(1.1102230246251565e-16), formatDifference(0), formatDifference(2.5e3),
        ];
        """,
    )
    nbsp, minus = "\u00a0", "\u2212"
    assert texts == [
        f"y = 0.0000 {minus}{nbsp}1.0000{nbsp}P3({minus}0.0200 +{nbsp}0.3000{nbsp}x)",
        "y = —",
        f"1.1e{minus}16",
        "0",
        "2.5e3",
    ]


def test_the_difference_of_two_histories_is_taken_step_by_step(module_page: Page) -> None:
    diff = run_js(
        module_page,
        """
        const { diffHistories } = await import("/static/js/compare.js");
        const history = (params, grads) => ({
          step: params.a.map((_, i) => i), loss: params.a.map(() => 1), params, grads,
        });
        // b is one step longer: only the steps both have are compared.
        const a = history({ a: [1, 2], b: [4, 4] }, { a: [10, 20], b: [0, 0] });
        const b = history({ a: [1, 2.5, 9], b: [4, 3, 9] }, { a: [10, 20, 9], b: [0, -1, 9] });
        const d = diffHistories(a, b);
        return { steps: d.steps, dWeight: Array.from(d.dWeight), dGrad: Array.from(d.dGrad), latest: d.latest,
                 worst: d.worst };
        """,
    )
    assert diff["steps"] == 2
    assert diff["dWeight"] == [0, 1]  # |4 - 3| beats |2 - 2.5|
    assert diff["dGrad"] == [0, 1]
    assert diff["latest"] == {"step": 1, "dWeight": 1, "dGrad": 1, "relWeight": 0.25, "relGrad": 0.05}
    assert diff["worst"] == {"dWeight": 1, "dGrad": 1, "relWeight": 0.25, "relGrad": 0.05}


def test_store_follows_a_compared_run_apart_from_the_first(module_page: Page) -> None:
    state = run_js(
        module_page,
        """
        const { Store, Local } = await import("/static/js/store.js");
        const store = new Store();
        const frame = (step, grads) => ({ type: "frame", status: "running", from: step, loss: [step], step, rate: 1,
                                          params: { a: 0 }, grads, curve: [] });
        store.apply({ type: Local.JOIN, runId: "r1" });
        store.apply({ type: Local.COMPARE_JOIN, runId: "r2" });
        store.apply({ type: Local.COMPARED, msg: { type: "snapshot", run: { id: "r2", status: "running",
          config: { engine: "numpy" } }, data: { x: [], y: [] }, truth: { x: [], y: [] }, curve_x: [], loss_from: 0,
          loss: [5], step: 0, params: { a: 1 }, grads: { a: 3, b: 4 }, curve: [] } });
        store.apply(frame(0, { a: 6, b: 8 }));
        store.apply({ type: Local.COMPARED, msg: frame(1, { a: 0, b: 0 }) });
        store.apply({ type: Local.COMPARED, msg: frame(1, { a: 1, b: 1 }) }); // a step seen twice: sampled once
        return { losses: store.state.losses, compared: store.state.compare.losses,
                 norms: store.state.gradNorms.norms, comparedNorms: store.state.compare.gradNorms.norms,
                 codeEngine: store.state.codeEngine };
        """,
    )
    assert state["losses"] == [0]
    assert state["compared"] == [5, 1]
    assert state["norms"] == [10]
    assert state["comparedNorms"] == [5, 0]
    assert state["codeEngine"] is None  # only the followed run's engine decides what code is shown
