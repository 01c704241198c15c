"""A network's equations are its layers: each Linear with its shape and norms, each activation drawn as output
against input, its points checked against torch's own functions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import torch
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, StartRun

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds
TORCH = {
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "softmax": lambda i: torch.softmax(torch.stack([i, torch.zeros_like(i)]), dim=0)[0],
}


def test_each_activation_is_drawn_as_torch_computes_it_and_each_linear_has_its_norms(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    page.goto(server_url)
    run_id = start_run(
        page, engine="torch-mlp", layers="4, sigmoid, 4, relu, 4, tanh, 4, softmax", steps=400, pace=40, seed=3
    )
    cards = page.locator("#equations .layer-card")
    expect(cards).to_have_count(9, timeout=LIVE_TIMEOUT)  # five Linear layers, four activations between them
    plots = page.locator("#equations .layer-plot")
    expect(plots).to_have_count(4)
    for index in range(4):
        name = plots.nth(index).get_attribute("data-activation") or ""
        points = json.loads(plots.nth(index).get_attribute("data-points") or "[]")
        inputs = torch.tensor([i for i, _ in points], dtype=torch.float64)
        expected = TORCH[name](inputs)
        assert [y for _, y in points] == pytest.approx(expected.tolist(), abs=1e-12), name
    assert [plots.nth(i).get_attribute("data-activation") for i in range(4)] == ["sigmoid", "relu", "tanh", "softmax"]
    expect(cards.first.locator("figcaption")).to_have_text("0: Linear(1, 4)")
    expect(cards.nth(1).locator(".layer-formula")).to_have_text("\u03c3(i) = 1 / (1 + e\u207b\u2071)")  # sigma

    page.click("[data-command=pause]")
    expect(page.locator("#status")).to_have_attribute("data-status", "paused", timeout=LIVE_TIMEOUT)
    params = api.get(f"/api/runs/{run_id}")["params"]
    shape = cards.first.locator(".layer-shape")
    expect(shape).to_contain_text("W: 4×1")
    # The norms beside each Linear are the run's own, at the step the page shows (the paused one).
    for card, name in ((cards.first, "0"), (cards.nth(8), "8")):
        page.wait_for_function(
            "([index, norm]) => Number(document.querySelectorAll('#equations .layer-card')[index].dataset.weightNorm)"
            " === norm",
            arg=[0 if name == "0" else 8, params[f"{name}.weight"]],
            timeout=LIVE_TIMEOUT,
        )
        assert float(card.get_attribute("data-bias-norm") or "nan") == params[f"{name}.bias"]


def test_each_linear_layers_w_and_b_are_drawn_whole_as_heat_maps(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    """The lecture's network: W (3×2, 2×3) and b drawn cell by cell; their values are those the step used, so
    their length is the norm the history records for it."""
    page.goto(server_url)
    run_id = start_run(page, engine="lecture-net", steps=400, pace=40, seed=5)
    heats = page.locator("#equations .layer-heat")
    expect(heats).to_have_count(4, timeout=LIVE_TIMEOUT)
    page.click("[data-command=pause]")
    expect(page.locator("#status")).to_have_attribute("data-status", "paused", timeout=LIVE_TIMEOUT)
    graph = api.get(f"/api/runs/{run_id}/graph?step={api.get(f'/api/runs/{run_id}')['steps_done'] - 1}")
    step = graph["step"]
    page.wait_for_function(
        "step => Number(document.querySelector('#graph').dataset.step) === step", arg=step, timeout=LIVE_TIMEOUT
    )
    history = api.get(f"/api/runs/{run_id}/history?start={step}&limit=1")
    cards = page.locator("#equations .layer-card")
    for card_index, name, cells in ((0, "0.weight", 6), (0, "0.bias", 3), (2, "2.weight", 6), (2, "2.bias", 2)):
        heat = cards.nth(card_index).locator(".layer-heat").nth(0 if name.endswith("weight") else 1)
        values = json.loads(heat.get_attribute("data-values") or "[]")
        assert len(values) == cells and heat.locator("rect").count() == cells
        norm = float(torch.tensor(values, dtype=torch.float64).norm())
        assert norm == pytest.approx(history["params"][name][0], rel=1e-12), name
