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
    assert diff["worst"] == {"dWeight": 1, "dGrad": 1, "relWeight": 0.25, "relGrad": 0.05, "relLoss": 0}


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


def test_two_histories_agree_up_to_their_dtypes_rounding(module_page: Page) -> None:
    """compare.js: weights and losses within the rounding (relative), gradients within 1000 times it; the first
    step past it, and what differs there."""
    found = run_js(
        module_page,
        """
        const { diffHistories, firstDifference, roundingOf } = await import("/static/js/compare.js");
        const history = (nudge = () => 0) => {
          const steps = [0, 1, 2, 3, 4, 5];
          return {
            step: steps,
            loss: steps.map((i) => 100 / (i + 1) + nudge("loss", i)),
            params: { a: steps.map((i) => 1 + i + nudge("a", i)), b: steps.map((i) => -2 + nudge("b", i)) },
            grads: { a: steps.map((i) => 50 - i + nudge("ga", i)), b: steps.map((i) => 3 + nudge("gb", i)) },
          };
        };
        const base = history();
        const at = (name, step, size) => (n, i) => (n === name && i >= step ? size : 0);
        const verdict = (other, dtype) => firstDifference(diffHistories(base, other), roundingOf(...dtype));
        return {
          same: verdict(history(), ["float64", "float64"]),
          rounding: verdict(history(at("a", 0, 1e-15)), ["float64", "float64"]),
          weight: verdict(history(at("b", 3, 1e-9)), ["float64", "float64"]),
          weightFloat32: verdict(history(at("b", 3, 1e-9)), ["float64", "float32"]),
          gradientRounding: verdict(history(at("ga", 1, 5e-9)), ["float64", "float64"]),
          gradient: verdict(history(at("ga", 2, 1e-6)), ["float64", "float64"]),
          loss: verdict(history(at("loss", 4, 1e-6)), ["float32", "float32"]),
          tolerances: [roundingOf("float64"), roundingOf("float32"), roundingOf("float64", "float32")],
        };
        """,
    )
    assert found["same"] is None and found["rounding"] is None
    assert found["weight"]["step"] == 3 and [part[0] for part in found["weight"]["parts"]] == ["the weights"]
    assert found["weightFloat32"] is None  # 1e-9 is inside float32's rounding
    assert found["gradientRounding"] is None  # 1e-10 relative: a gradient's rounding
    assert found["gradient"]["step"] == 2 and found["gradient"]["parts"][0][0] == "the gradients"
    assert found["loss"] is None  # 1e-6 of a loss of ~20 is 5e-8 relative: inside float32's rounding
    assert found["tolerances"] == [1e-12, 1e-5, 1e-5]


def test_a_code_line_links_the_nodes_it_built_and_the_weights_it_updates(module_page: Page) -> None:
    """linked_views.js: what a code line, a weight and a graph node each light up, torch.nn's leaves included."""
    found = run_js(
        module_page,
        """
        const { linkedTargets } = await import("/static/js/views/linked_views.js");
        const code = [
          { text: "y_pred = model(xx)", phase: "forward", updates: [] },
          { text: "loss = loss_fn(y_pred, y)", phase: "loss", updates: [] },
          { text: "optimizer.step()", phase: "update", updates: "all" },
        ];
        const engine = { name: "torch-optim", code, param_names: ["a", "b", "c", "d"],
          leaves: { a: "0.bias", b: "0.weight", c: "0.weight", d: "0.weight" } };
        const graph = { nodes: [
          { id: "n0", kind: "op", label: "MseLoss", line: 1 }, { id: "n1", kind: "op", label: "View", line: 0 },
          { id: "n3", kind: "op", label: "Addmm", line: 0 }, { id: "n4", kind: "leaf", label: "0.bias", line: null },
          { id: "n7", kind: "leaf", label: "0.weight", line: null },
        ] };
        const run = { config: { engine: "torch-optim" } };
        const at = (link, other = {}) => {
          const state = { engines: [engine], codeEngine: "torch-optim", run, link, ...other };
          const { lines, params, nodes } = linkedTargets(state, graph);
          return { lines: [...lines], params: [...params], nodes: [...nodes].sort() };
        };
        return {
          forward: at({ line: 0 }),
          step: at({ line: 2 }),
          weight: at({ param: "c" }),
          leaf: at({ node: "n4" }),
          op: at({ node: "n0" }),
          otherEngine: at({ line: 0 }, { run: { config: { engine: "numpy" } } }),
        };
        """,
    )
    assert found["forward"] == {"lines": [0], "params": [], "nodes": ["n1", "n3"]}
    assert found["step"] == {"lines": [2], "params": ["a", "b", "c", "d"], "nodes": ["n4", "n7"]}
    assert found["weight"] == {"lines": [2], "params": ["c"], "nodes": ["n7"]}
    assert found["leaf"] == {"lines": [2], "params": ["a"], "nodes": ["n4"]}
    assert found["op"] == {"lines": [1], "params": [], "nodes": ["n0"]}
    # The code shown is another engine's than the run's: its lines light up, not the run's graph or weights.
    assert found["otherEngine"] == {"lines": [0], "params": [], "nodes": []}
