"""Linked views: a code line lights up the graph boxes it built and the weight rows it updates; a weight row its
leaf and the line updating it; a graph box the line that built it. Checked against the graph the server kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
STEPS = 30


def finished_run(page: Page, server_url: str, api: AppClient, engine: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """A finished run of `engine` on the page, its graph drawn; its engine's code and its graph's nodes."""
    run = api.post("/api/runs", {"engine": engine, "steps": STEPS, "points": 64, "seed": 7})
    page.goto(f"{server_url}/#run={run['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    page.wait_for_function("() => document.querySelectorAll('[data-graph-svg] [data-members]').length > 0")
    code = next(e["code"] for e in api.get("/api/engines") if e["name"] == engine)
    nodes = api.get(f"/api/runs/{run['id']}/graph?step={STEPS - 1}")["shape"]["nodes"]
    page.wait_for_function(
        "(n) => document.querySelectorAll('#code [data-line]').length > 0 && "
        "document.querySelector('#graph').dataset.nodes !== '0'",
        arg=len(nodes),
    )
    return code, nodes


def line_of(code: list[dict[str, Any]], text: str) -> int:
    return next(i for i, line in enumerate(code) if line["text"].strip() == text)


def linked(page: Page) -> dict[str, list[str]]:
    """What is lit: code lines by index, weight rows by name, graph boxes by the node ids they hold."""
    return dict(
        page.evaluate(
            """() => ({
              lines: [...document.querySelectorAll('#code .linked[data-line]')].map((e) => e.dataset.line),
              params: [...document.querySelectorAll('#weights tr.linked')].map((e) => e.dataset.param),
              nodes: [...document.querySelectorAll('[data-graph-svg] .linked[data-members]')]
                .flatMap((e) => e.dataset.members.split(' ')),
            })"""
        )
    )


def wait_linked(page: Page, lines: list[int], params: list[str], nodes: set[str]) -> None:
    """Waits until exactly these are lit (a box holds one node here, or a folded layer's several)."""
    want = {"lines": sorted(map(str, lines)), "params": sorted(params), "nodes": sorted(nodes)}
    page.wait_for_function(
        """(want) => {
          const got = {
            lines: [...document.querySelectorAll('#code .linked[data-line]')].map((e) => e.dataset.line).sort(),
            params: [...document.querySelectorAll('#weights tr.linked')].map((e) => e.dataset.param).sort(),
            nodes: [...document.querySelectorAll('[data-graph-svg] .linked[data-members]')]
              .flatMap((e) => e.dataset.members.split(' ')).sort(),
          };
          return JSON.stringify(got) === JSON.stringify(want);
        }""",
        arg=want,
        timeout=5000,
    )


def test_a_code_line_lights_the_nodes_it_built_and_the_weights_it_updates(
    page: Page, server_url: str, api: AppClient
) -> None:
    code, nodes = finished_run(page, server_url, api, "torch-autograd")
    loss_line = line_of(code, "loss = (y_pred - y).pow(2).sum()")
    built = {node["id"] for node in nodes if node["line"] == loss_line}
    assert {node["name"] for node in nodes if node["id"] in built} == {"SumBackward0", "PowBackward0", "SubBackward0"}

    page.hover(f"#code [data-line='{loss_line}']")
    wait_linked(page, [loss_line], [], built)

    # The forward line built the adds and multiplies; an update line builds nothing but changes b: its row, its leaf.
    forward = line_of(code, "y_pred = a + b * x + c * x**2 + d * x**3")
    page.hover(f"#code [data-line='{forward}']")
    wait_linked(page, [forward], [], {node["id"] for node in nodes if node["line"] == forward})
    update_b = line_of(code, "b -= learning_rate * b.grad")
    leaf_b = next(node["id"] for node in nodes if node["kind"] == "leaf" and node["label"] == "b")
    page.hover(f"#code [data-line='{update_b}']")
    wait_linked(page, [update_b], ["b"], {leaf_b})

    # Leaving the code lights nothing; focusing a line from the keyboard lights what pointing at it does.
    page.mouse.move(0, 0)
    wait_linked(page, [], [], set())
    page.focus(f"#code [data-line='{loss_line}']")
    wait_linked(page, [loss_line], [], built)
    page.keyboard.press("Tab")  # the next line: the backward's loss.backward() builds no node of the forward graph
    assert page.evaluate("document.activeElement.dataset.line") is not None

    # A weight row lights its leaf and the line that updates it; a graph box the line that built it.
    page.hover("#weights tr[data-param='c']")
    leaf_c = next(node["id"] for node in nodes if node["kind"] == "leaf" and node["label"] == "c")
    wait_linked(page, [line_of(code, "c -= learning_rate * c.grad")], ["c"], {leaf_c})
    sub = next(node["id"] for node in nodes if node["name"] == "SubBackward0")
    page.hover(f"[data-graph-svg] [data-members='{sub}']")
    wait_linked(page, [loss_line], [], {sub})


def test_torch_nn_weights_live_in_the_linear_layer(page: Page, server_url: str, api: AppClient) -> None:
    """a is the Linear layer's bias and b..d its weight: each row lights the layer's box; the loop over the
    parameters updates every weight."""
    code, nodes = finished_run(page, server_url, api, "torch-nn")
    bias = next(node["id"] for node in nodes if node["label"] == "0.bias")
    page.hover("#weights tr[data-param='a']")
    layer = page.locator("[data-graph-svg] .linked[data-members]")
    expect(layer).to_have_count(1)
    assert bias in (layer.get_attribute("data-members") or "").split(" ")
    loop = line_of(code, "param -= learning_rate * param.grad")
    lit = linked(page)
    assert lit["params"] == ["a"] and lit["lines"] == [str(loop)]
    page.hover(f"#code [data-line='{loop}']")
    page.wait_for_function("() => document.querySelectorAll('#weights tr.linked').length === 4")


def test_a_hand_derived_graph_links_each_equation_to_its_line(page: Page, server_url: str, api: AppClient) -> None:
    """numpy's graph is the lecture's equations: grad_a = grad_y_pred.sum() lights ∂L/∂a; a -= ... the weight a."""
    code, nodes = finished_run(page, server_url, api, "numpy")
    grad_a = line_of(code, "grad_a = grad_y_pred.sum()")
    sum_a = next(node["id"] for node in nodes if node["label"].startswith("∂L/∂a"))
    page.hover(f"#code [data-line='{grad_a}']")
    wait_linked(page, [grad_a], [], {sum_a})
    update_a = line_of(code, "a -= learning_rate * grad_a")
    leaf_a = next(node["id"] for node in nodes if node["kind"] == "leaf" and node["label"] == "a")
    page.hover(f"#code [data-line='{update_a}']")
    wait_linked(page, [update_a], ["a"], {leaf_a})
