"""What the graph's drawing shows and how it is looked at: no edge ever crosses a label, each edge is as wide as
the gradient it carried (its numbers on demand), the inspector floats over the drawing away from the box it
describes, and the drawing is zoomed and panned by buttons, Ctrl + wheel and dragging."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 20_000  # ms; every wait ends as soon as its condition holds
AT_REST = """() => document.querySelectorAll('#graph .graph-node').length > 0
  && document.querySelector('#graph').dataset.active === ''"""
# No transition or animation still running in the graph's drawing.
SETTLED = """() => document.querySelector('#graph').getAnimations({ subtree: true })
  .every((animation) => animation.playState !== 'running')"""

# Every pair (edge, text) where the edge's line, as wide as it is drawn, passes over the text's box on screen: the
# line is followed every few pixels (getPointAtLength) and each piece clipped against each box (Liang-Barsky).
CROSSINGS = """() => {
  const texts = [...document.querySelectorAll('#graph svg text')]
    .filter((t) => t.textContent.trim() && t.getClientRects().length)
    .map((t) => ({ text: t.textContent, box: t.getBoundingClientRect() }));
  const hits = (p, q, box) => {
    let [t0, t1] = [0, 1];
    const [dx, dy] = [q.x - p.x, q.y - p.y];
    for (const [edge, room] of [[-dx, p.x - box.l], [dx, box.r - p.x], [-dy, p.y - box.t], [dy, box.b - p.y]]) {
      if (edge === 0) { if (room < 0) return false; continue; }
      const t = room / edge;
      if (edge < 0) t0 = Math.max(t0, t); else t1 = Math.min(t1, t);
      if (t0 > t1) return false;
    }
    return true;
  };
  const found = [];
  for (const line of document.querySelectorAll('#graph .edge-line')) {
    const ctm = line.getScreenCTM();
    const half = (parseFloat(getComputedStyle(line).strokeWidth) * Math.hypot(ctm.a, ctm.b)) / 2;
    const length = line.getTotalLength();
    const n = Math.max(8, Math.ceil(length / 3));
    const points = [];
    for (let i = 0; i <= n; i++) {
      const p = line.getPointAtLength((length * i) / n);
      points.push(new DOMPoint(p.x, p.y).matrixTransform(ctm));
    }
    for (const { text, box } of texts) {
      const b = { l: box.left - half, t: box.top - half, r: box.right + half, b: box.bottom + half };
      if (points.some((p, i) => i > 0 && hits(points[i - 1], p, b))) found.push([line.parentNode.dataset.edge, text]);
    }
  }
  return found;
}"""
ENGINES = {"torch-autograd": {}, "torch-mlp": {"layers": [16, "tanh", 16, "tanh"]}, "numpy": {}, "dynamic-net": {}}


def ended_run(api: AppClient, engine: str, steps: int = 40) -> str:
    """A short run of `engine`, ended: its last graph stays on screen, still."""
    run_id = str(api.post("/api/runs", {"engine": engine, "steps": steps, "seed": 1, **ENGINES[engine]})["id"])
    for _ in range(400):
        if api.get(f"/api/runs/{run_id}")["status"] == "finished":
            return run_id
        time.sleep(0.05)
    pytest.fail("the run did not finish")


def press(page: Page, key: str) -> None:
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press(key)


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("screen", ["laptop", "projector"])
def test_no_edge_crosses_a_label(page: Page, server_url: str, api: AppClient, engine: str, screen: str) -> None:
    run_id = ended_run(api, engine)
    if screen == "laptop":
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{server_url}/#run={run_id}")
    else:
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"{server_url}/present/{run_id}")
    page.wait_for_function(AT_REST, timeout=LIVE_TIMEOUT)
    if screen == "projector":
        press(page, "4")
        page.wait_for_function("() => Number(document.querySelector('#graph').dataset.scale) >= 1.5")
    assert page.locator("#graph .edge-line").count() > 0
    assert page.evaluate(CROSSINGS) == []
    if engine == "torch-mlp":  # a layer opened: its frame's title too
        page.locator("#graph [data-node='layer:4']").click()
        expect(page.locator("#graph .graph-cluster")).to_have_count(1)
        assert page.evaluate(CROSSINGS) == []


def test_each_edge_is_as_wide_as_its_gradient_with_the_numbers_on_demand(
    page: Page, server_url: str, api: AppClient
) -> None:
    run_id = ended_run(api, "torch-autograd", steps=3)  # early: gradients spanning several decades
    graph = api.get(f"/api/runs/{run_id}/graph?step=2")
    page.goto(f"{server_url}/#run={run_id}")
    page.wait_for_function(AT_REST, timeout=LIVE_TIMEOUT)
    # An edge's width eases to its gradient's (a CSS transition): measured once it is there.
    page.wait_for_function(SETTLED, timeout=LIVE_TIMEOUT)
    edges: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('#graph .graph-edge')].map((g) => ({
          id: g.dataset.edge, tip: g.querySelector('title').textContent,
          width: parseFloat(getComputedStyle(g.querySelector('.edge-line')).strokeWidth) }))"""
    )
    grads = graph["values"]["grad_out"]

    def size(edge_id: str) -> float:
        key = next(key for key in grads if key.startswith(f"{edge_id}:"))
        summary = grads[key]
        return float(summary["norm"] if len(summary["values"]) > 1 else abs(summary["values"][0]))

    carrying = [edge for edge in edges if any(key.startswith(f"{edge['id']}:") for key in grads)]
    assert len(carrying) >= 8
    for a in carrying:  # ten times the gradient: a wider line
        for b in carrying:
            if size(a["id"]) > 10 * size(b["id"]):
                assert a["width"] > b["width"], (a, b)
    widest = max(carrying, key=lambda edge: edge["width"])
    assert math.isclose(size(widest["id"]), max(size(edge["id"]) for edge in carrying))
    # The numbers on demand: in each edge's title (shown on hover), and in the inspector of the box it leaves.
    for edge in carrying:
        assert edge["tip"].startswith("gradient ") and any(c.isdigit() for c in edge["tip"]), edge
    source = widest["id"].split(">")[0]
    page.locator(f"#graph [data-node='{source}']").hover()
    expect(page.locator("#graph [data-graph-inspector]")).to_contain_text("Gradients out")


def test_the_inspector_floats_over_the_drawing_away_from_its_box(page: Page, server_url: str, api: AppClient) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server_url}/#run={ended_run(api, 'numpy')}")  # boxes far to the left and far to the right
    page.wait_for_function(AT_REST, timeout=LIVE_TIMEOUT)
    inspector = page.locator("#graph [data-graph-inspector]")
    expect(inspector).to_be_hidden()  # nothing inspected: all of the drawing in view
    svg = page.locator("#graph [data-graph-svg]")
    svg.scroll_into_view_if_needed()
    if svg.get_attribute("data-pannable") == "true":  # wider than the first screen's column: "fit" shows it all
        page.locator("#graph [data-zoom-fit]").click()
        expect(svg).to_have_attribute("data-zoomed", "true")
    boxes = page.locator("#graph .graph-node")
    placed = [(box, box.bounding_box()) for box in boxes.all()]
    left = min(placed, key=lambda p: p[1]["x"] if p[1] else math.inf)[0]
    right = max(placed, key=lambda p: p[1]["x"] if p[1] else -math.inf)[0]
    for box, side in [(left, "right"), (right, "left")]:
        box.hover()
        expect(inspector).to_be_visible()
        over = inspector.bounding_box()
        svg = page.locator("#graph [data-graph-svg]").bounding_box()
        assert over and svg
        middle = svg["x"] + svg["width"] / 2
        # Over the drawing, inside it, on the other half from the box.
        assert svg["x"] <= over["x"] and over["x"] + over["width"] <= svg["x"] + svg["width"] + 1
        assert svg["y"] <= over["y"] and over["y"] + over["height"] <= svg["y"] + svg["height"] + 1
        centre = over["x"] + over["width"] / 2
        assert (centre > middle) == (side == "right"), (side, over, svg)
    page.mouse.move(0, 0)
    expect(inspector).to_be_hidden()


def view_box(page: Page) -> list[float]:
    return [float(v) for v in (page.locator("#graph [data-graph-svg]").get_attribute("viewBox") or "").split()]


def test_the_drawing_zooms_and_pans(page: Page, server_url: str, api: AppClient) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server_url}/#run={ended_run(api, 'torch-autograd')}")
    page.wait_for_function(AT_REST, timeout=LIVE_TIMEOUT)
    graph = page.locator("#graph")
    svg = graph.locator("[data-graph-svg]")
    expect(svg).to_have_attribute("data-zoomed", "false")
    fitted = view_box(page)
    scale = float(graph.get_attribute("data-scale") or 0)

    graph.locator("[data-zoom-in]").click()  # a button
    expect(svg).to_have_attribute("data-zoomed", "true")
    assert float(graph.get_attribute("data-scale") or 0) > scale * 1.2
    zoomed = view_box(page)
    assert zoomed[2] < fitted[2] and zoomed[3] < fitted[3]

    # A drag moves the drawing with the pointer, even from a box: which is then not chosen.
    svg.scroll_into_view_if_needed()
    node = graph.locator("[data-node='n1']").bounding_box()
    assert node
    x, y = node["x"] + node["width"] / 2, node["y"] + node["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y - 40, steps=6)
    page.mouse.up()
    moved = view_box(page)
    zoom = float(graph.get_attribute("data-scale") or 0)
    assert math.isclose(moved[0] - zoomed[0], 60 / zoom, abs_tol=2)
    assert math.isclose(moved[1] - zoomed[1], 40 / zoom, abs_tol=2)
    page.mouse.move(0, 0)  # the box under the pointer is inspected while hovered, but the drag did not pin it
    expect(graph.locator("[data-graph-inspector]")).to_have_attribute("data-node", "")

    # Ctrl + wheel (a trackpad's pinch) zooms about the pointer.
    page.mouse.move(x, y)
    page.keyboard.down("Control")
    page.mouse.wheel(0, 200)
    page.keyboard.up("Control")
    page.wait_for_function(f"() => Number(document.querySelector('#graph').dataset.scale) < {zoom * 0.9}")

    graph.locator("[data-zoom-fit]").click()  # the whole graph again
    expect(svg).to_have_attribute("data-zoomed", "false")  # here it fits at its readable size: the fitted view
    assert view_box(page) == fitted
