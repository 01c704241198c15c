"""The autograd graph panel: every node the server captured is drawn, a pulse replays autograd's order, a box
opens in the inspector, a paused run is stepped node by node, network layers fold, and shapes re-lay out."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from websockets.sync.client import connect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
PANEL = "#graph"


def first_graph(server_url: str, run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The graph shape and values a plain websockets client receives for the run: the server's own account."""
    with connect(f"ws://{urlsplit(server_url).netloc}/ws/runs/{run_id}", max_size=None) as socket:
        for _ in range(200):
            message = json.loads(socket.recv(timeout=10))
            graph, values = message.get("graph"), message.get("graph_values")
            if graph and values and values["signature"] == graph["signature"]:
                return graph, values
    pytest.fail("no graph arrived")


def record(page: Page, attribute: str) -> None:
    """Keeps every value the panel's data attribute takes, in window.__seen[attribute]."""
    page.evaluate(
        """(attribute) => {
          window.__seen = window.__seen ?? {};
          const seen = (window.__seen[attribute] = []);
          const panel = document.querySelector('#graph');
          const key = 'data-' + attribute;
          new MutationObserver(() => {
            const value = panel.getAttribute(key);
            const active = panel.querySelector('.graph-node.active')?.dataset.node ?? '';
            if (value !== seen.at(-1)?.value) seen.push({ value, active });
          }).observe(panel, { attributes: true, attributeFilter: [key] });
        }""",
        attribute,
    )


def label_boxes(page: Page) -> list[dict[str, Any]]:
    """The screen box of every text in the drawing, with the node or edge it belongs to."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('#graph svg text')].filter((t) => t.textContent).map((t) => {
              const r = t.getBoundingClientRect();
              const owner = t.closest('[data-node], [data-edge], [data-layer]');
              return { owner: owner.dataset.node ?? owner.dataset.edge ?? owner.dataset.layer,
                       x0: r.left, y0: r.top, x1: r.right, y1: r.bottom, text: t.textContent };
            })"""
        )
    )


def overlaps(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of texts of different nodes or edges whose boxes overlap (a pixel's slack)."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a["owner"] == b["owner"]:
                continue
            if a["x0"] < b["x1"] - 1 and b["x0"] < a["x1"] - 1 and a["y0"] < b["y1"] - 1 and b["y0"] < a["y1"] - 1:
                found.append((a["text"], b["text"]))
    return found


def number(text: str) -> float:
    """A number as the page writes it: a real minus sign, thousands separators, e−5 exponents."""
    return float(text.strip().replace("\u2212", "-").replace(",", ""))


def start(page: Page, server_url: str, api: AppClient, config: dict[str, Any]) -> str:
    run_id = str(api.post("/api/runs", config)["id"])
    page.goto(f"{server_url}/#run={run_id}")
    return run_id


def test_the_cubic_graph_is_drawn_pulsed_inspected_and_stepped(page: Page, server_url: str, api: AppClient) -> None:
    run_id = start(page, server_url, api, {"engine": "torch-autograd", "steps": 2000, "pace": 30, "seed": 1})
    record(page, "active")
    graph, values = first_graph(server_url, run_id)
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-signature", graph["signature"], timeout=LIVE_TIMEOUT)

    # Every node and edge the server captured is drawn: x, x², x³ and y too.
    expect(panel).to_have_attribute("data-nodes", str(len(graph["nodes"])))
    expect(panel.locator(".graph-node")).to_have_count(len(graph["nodes"]))
    expect(panel.locator(".graph-edge")).to_have_count(len(graph["edges"]))
    for node in graph["nodes"]:  # parameters and constants by name, ops by torch's name under a friendly one
        drawn = panel.locator(f"[data-node='{node['id']}']")
        if node["kind"] == "op":
            expect(drawn.locator(".node-sub")).to_have_text(node["name"])
        else:
            expect(drawn.locator(".node-title")).to_have_text(node["label"])
    expect(panel.locator("[data-node='n1'] .node-title")).to_have_text("pow")
    expect(panel.locator("[data-node='n1'] .node-sub")).to_have_text("PowBackward0")

    # A pulse runs from the loss in the order autograd ran the nodes, one box lit at a time.
    order = values["order"]
    expect(panel).to_have_attribute("data-order", " ".join(order))
    page.wait_for_function(
        """(order) => {
          const lit = window.__seen.active.map((s) => s.value).filter(Boolean);
          const begin = lit.indexOf(order[0]);
          return begin >= 0 && lit.length >= begin + order.length;
        }""",
        arg=order,
        timeout=LIVE_TIMEOUT,
    )
    seen = page.evaluate("window.__seen.active")
    lit = [s["value"] for s in seen if s["value"]]
    assert all(s["active"] == s["value"] for s in seen), "the box marked active is the one the panel names"
    begin = lit.index(order[0])
    assert lit[begin : begin + len(order)] == order

    # Tapping a box opens it in the inspector: its op, what it saved, its local derivative.
    inspector = panel.locator("[data-graph-inspector]")
    panel.locator("[data-node='n1']").click()
    expect(inspector).to_have_attribute("data-node", "n1")
    expect(inspector).to_contain_text("PowBackward0")
    expect(inspector).to_contain_text("Saved for backward")
    expect(inspector).to_contain_text("exponent")
    expect(inspector).to_contain_text("k·x")
    expect(inspector).to_contain_text("Gradient in")

    # Paused, the lecturer walks through one backward pass with → and ←, the inspector following.
    api.post(f"/api/runs/{run_id}/pause")
    expect(page.locator("#status")).to_have_attribute("data-status", "paused", timeout=LIVE_TIMEOUT)
    expect(panel.locator("[data-step-next]")).to_be_enabled()
    # At rest, each parameter's box ends with its .grad: the gradient the history recorded at that step.
    page.wait_for_function("() => document.querySelector('#graph').dataset.active === ''", timeout=LIVE_TIMEOUT)
    step = int(panel.get_attribute("data-step") or -1)
    expect(panel.locator("[data-graph-step]")).to_have_text(f"step {step}")
    history = api.get(f"/api/runs/{run_id}/history")
    for name in "abcd":
        leaf = next(node for node in graph["nodes"] if node["label"] == name)
        drawn = (panel.locator(f"[data-node='{leaf['id']}'] .node-value").text_content() or "").removeprefix(".grad ")
        assert math.isclose(number(drawn), history["grads"][name][step], rel_tol=1e-3), name

    page.mouse.move(0, 0)  # nothing hovered: the inspector follows the stepper
    shown = panel.get_attribute("data-order").split()
    for index in range(4):
        page.keyboard.press("ArrowRight")
        expect(panel).to_have_attribute("data-step-index", str(index))
        expect(panel).to_have_attribute("data-active", shown[index])
        expect(inspector).to_have_attribute("data-node", shown[index])
    page.keyboard.press("ArrowLeft")
    expect(panel).to_have_attribute("data-active", shown[2])
    expect(panel.locator(".graph-node.done")).to_have_count(2)
    panel.locator("[data-step-next]").click()
    expect(panel).to_have_attribute("data-active", shown[3])


def test_a_network_folds_its_linear_layers_without_overlapping_labels(
    page: Page, server_url: str, api: AppClient
) -> None:
    config = {"engine": "torch-mlp", "steps": 2000, "pace": 30, "seed": 1, "layers": [16, "tanh", 16, "tanh"]}
    run_id = start(page, server_url, api, config)
    graph, _ = first_graph(server_url, run_id)
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-signature", graph["signature"], timeout=LIVE_TIMEOUT)
    expect(panel).to_have_attribute("data-layers", "3")
    # Each Linear's addmm, transpose and two AccumulateGrads are one box: 18 nodes drawn as 9.
    assert len(graph["nodes"]) == 18
    expect(panel.locator(".graph-node")).to_have_count(9)
    expect(panel.locator(".graph-node.kind-layer .node-title")).to_have_text(
        ["Linear(16, 1)", "Linear(16, 16)", "Linear(1, 16)"]
    )
    api.post(f"/api/runs/{run_id}/pause")  # a still picture to measure
    expect(page.locator("#status")).to_have_attribute("data-status", "paused", timeout=LIVE_TIMEOUT)
    page.wait_for_function("() => document.querySelector('#graph').dataset.active === ''", timeout=LIVE_TIMEOUT)
    assert overlaps(label_boxes(page)) == []

    # A layer opens on click into its nodes, framed, and folds back from its frame.
    panel.locator("[data-node='layer:4']").click()
    expect(panel.locator(".graph-node")).to_have_count(12)
    expect(panel.locator(".graph-cluster")).to_have_count(1)
    expect(panel.locator(".graph-node .node-title")).to_contain_text(["4.weight"])
    assert overlaps(label_boxes(page)) == []
    panel.locator(".graph-cluster rect").click(position={"x": 4, "y": 4})
    expect(panel.locator(".graph-node")).to_have_count(9)


def test_the_dynamic_net_is_laid_out_again_when_its_shape_changes(page: Page, server_url: str, api: AppClient) -> None:
    start(page, server_url, api, {"engine": "dynamic-net", "steps": 2000, "pace": 30, "seed": 3})
    record(page, "signature")
    page.wait_for_function(
        "() => new Set(window.__seen.signature.map((s) => s.value).filter(Boolean)).size >= 2", timeout=LIVE_TIMEOUT
    )
    assert int(page.locator(PANEL).get_attribute("data-layouts") or 0) >= 2


def test_an_engine_without_autograd_says_so(page: Page, server_url: str, api: AppClient) -> None:
    run_id = start(page, server_url, api, {"engine": "numpy", "steps": 3000, "pace": 30})
    graph, _ = first_graph(server_url, run_id)
    panel = page.locator(PANEL)
    note = panel.locator("[data-graph-note]")
    expect(note).to_contain_text("by hand", timeout=LIVE_TIMEOUT)
    expect(note).to_contain_text("torch-autograd")
    # The server sends the lecture's hand-derived equations in the graph's form: drawn, but never as autograd.
    expect(panel).to_have_attribute("data-hand-made", "true")
    expect(panel.locator(".graph-node")).to_have_count(len(graph["nodes"]))
    expect(panel.locator("[data-node='n1'] .node-title")).to_have_text("dL/dŷ = 2(ŷ − y)")


def test_with_reduced_motion_a_pass_is_shown_done_without_a_pulse(page: Page, server_url: str, api: AppClient) -> None:
    page.emulate_media(reduced_motion="reduce")
    start(page, server_url, api, {"engine": "torch-autograd", "steps": 2000, "pace": 30, "seed": 2})
    record(page, "active")
    panel = page.locator(PANEL)
    page.wait_for_function("() => Number(document.querySelector('#graph').dataset.step) > 3", timeout=LIVE_TIMEOUT)
    assert [s for s in page.evaluate("window.__seen.active") if s["value"]] == []  # nothing ever ran lit
    expect(panel.locator(".graph-node.active")).to_have_count(0)
    expect(panel.locator(".graph-node.kind-leaf .node-value").first).to_contain_text(".grad")
