"""static/js/run_config.js in the browser: a lecture-net run's config (null target and layers) moved to another
engine asks for that engine's defaults, not for null."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TWIN = """async (changes) => {
  const { twinConfig } = await import("/static/js/run_config.js");
  const engines = [{ name: "lecture-net", inputs: 2 }, { name: "numpy", inputs: 1 }, { name: "torch-mlp", inputs: 1 }];
  const config = { engine: "lecture-net", steps: 50, seed: 4, learning_rate: 0.5, reduction: "sum", pace: null,
                   target: null, layers: null, zero_grad: true };
  return twinConfig(config, changes, { engines, rates: {} });
}"""


@pytest.mark.parametrize("engine", ["numpy", "torch-mlp", "lecture-net"])
def test_a_lecture_net_twin_leaves_out_its_null_fields(page: Page, server_url: str, engine: str) -> None:
    page.goto(f"{server_url}/static/js/protocol.js")  # the app's origin, so the module imports
    twin = page.evaluate(TWIN, {"engine": engine})
    assert "target" not in twin and "layers" not in twin, twin
    # The rest goes along as it was: a typed rate, the seed, and the pace's null (full speed).
    assert twin["engine"] == engine and twin["seed"] == 4 and twin["learning_rate"] == 0.5
    assert "pace" in twin and twin["pace"] is None
