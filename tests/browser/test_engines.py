"""The engines on the page: each one's own code with its phases marked live, zero_grad, and the data fields."""

from __future__ import annotations

import json
import math
import time
import urllib.error
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, PageWatch, StartRun

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms; every wait ends as soon as its condition holds

# Records every phase the code panel's sweep marks, from before the first frame arrives.
WATCH_SWEEP = """
window.sweptPhases = [];
new MutationObserver(() => {
  const phase = document.querySelector("#code").dataset.sweepPhase;
  if (phase && window.sweptPhases.at(-1) !== phase) window.sweptPhases.push(phase);
}).observe(document.querySelector("#code"), { attributes: true, attributeFilter: ["data-sweep-phase"] });
"""


def shown_code(page: Page) -> list[str]:
    """The lines of the code panel on screen."""
    return page.locator("#code [data-code-lines] li:not([hidden]) code").all_inner_texts()


def lines_run(engine: dict[str, Any], **config: object) -> list[str]:
    """The server's lines of the engine's step that a run of `config` takes: not those that only copy numbers out
    for the page, nor those whose `when` the config does not meet; a line inside a `with` the config leaves out
    is four spaces further out."""
    config = {"no_grad": True, **config}

    def holds(condition: dict[str, object] | None) -> bool:
        return all(config.get(k) == v for k, v in (condition or {}).items())

    return [
        line["text"] if holds(line["inside"]) else line["text"].removeprefix("    ")
        for line in engine["code"]
        if line["phase"] != "record" and holds(line["when"])
    ]


def test_each_engine_shows_its_own_code_and_a_step_sweeps_through_its_phases(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    engines = {engine["name"]: engine for engine in api.get("/api/engines")}
    page.goto(server_url)
    open_settings(page)
    code = page.locator("#code")

    # The page shows the server's lines, as they are: no copy of them lives in the page's scripts.
    telltales = {"numpy": "grad_y_pred", "torch-autograd": "loss.backward()", "torch-optim": "optimizer.step()"}
    for name, telltale in telltales.items():
        page.select_option("#engine", name)
        expect(code).to_have_attribute("data-engine", name)
        expect(code.locator("[data-code-lines]")).to_contain_text(telltale)
        assert shown_code(page) == lines_run(engines[name], zero_grad=True, reduction="sum")
        expect(page.locator("#engine-model")).to_have_text(engines[name]["model"])
    expect(code.locator("[data-code-lines]")).not_to_contain_text("grad_y_pred")
    expect(page.locator("#optimizer")).to_be_visible()  # torch-optim's own option

    # The lines the run would take, as the form sets it: no `if config...`, no lines that copy numbers out; the
    # zeroing goes with zero_grad off, the division by n comes with the mean.
    page.select_option("#engine", "torch-autograd")
    expect(code).to_have_attribute("data-engine", "torch-autograd")
    expect(code).to_have_attribute("data-reduction", "sum")
    autograd = engines["torch-autograd"]
    assert shown_code(page) == lines_run(autograd, zero_grad=True, reduction="sum")
    assert not any("config" in line or "values(" in line for line in shown_code(page))
    assert "a.grad = None" in " ".join(shown_code(page)) and "loss / x.numel()" not in " ".join(shown_code(page))
    page.uncheck("#zero_grad")
    page.check("input[name=reduction][value=mean]")
    expect(code).to_have_attribute("data-reduction", "mean")
    assert shown_code(page) == lines_run(autograd, zero_grad=False, reduction="mean")
    assert "a.grad = None" not in " ".join(shown_code(page)) and "loss = loss / x.numel()" in shown_code(page)
    page.check("#zero_grad")
    page.check("input[name=reduction][value=sum]")

    page.select_option("#engine", "torch-function")
    expect(page.locator("#optimizer")).to_be_hidden()
    expect(page.locator("#engine-model")).to_have_text("y = a + b P3(c + d x)")
    expect(page.locator("#learning_rate")).to_have_attribute("placeholder", "5e-6")  # the tutorial's rate for it

    # While a run streams, the phases of a step are marked one after the other, in the loop's own order.
    page.select_option("#engine", "torch-optim")
    page.evaluate(WATCH_SWEEP)
    start_run(page, steps=400, pace=25, seed=3)
    expect(code.locator(".code-line.current").first).to_be_visible(timeout=LIVE_TIMEOUT)
    page.wait_for_function("() => window.sweptPhases.includes('backward') && window.sweptPhases.includes('update')")
    swept = page.evaluate("window.sweptPhases")
    first_sweep = swept[: swept.index("update") + 1]
    assert first_sweep[-5:] == ["forward", "loss", "zero", "backward", "update"], swept  # torch.optim zeroes first
    expect(page.locator("#headline [data-model]")).to_have_text(engines["torch-optim"]["model"])

    # Paused, the last step's phases stay marked as done and nothing moves.
    page.click("[data-command=pause]")
    expect(page.locator("#status")).to_have_attribute("data-status", "paused")
    # One sweep may still be queued behind the last frame: wait for the rest that follows it, its three marks
    # read together (checked one by one, they could straddle the queued sweep's start).
    page.wait_for_function(AT_REST, timeout=LIVE_TIMEOUT)


AT_REST = """() => {
  const code = document.querySelector('#code');
  return code.dataset.sweepPhase === 'done' && code.querySelectorAll('.code-line.current').length === 0
    && code.querySelectorAll('.code-line.done').length > 0;
}"""


def test_with_reduced_motion_a_step_is_marked_without_a_sweep(page: Page, start_run: StartRun, server_url: str) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "torch-autograd")
    page.evaluate(WATCH_SWEEP)
    start_run(page, steps=60, pace=30)
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    assert page.locator("#code .code-line.done").count() > 0
    assert set(page.evaluate("window.sweptPhases")) == {"done"}


def test_zero_grad_off_shows_the_gradients_piling_up(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "torch-autograd")
    weights = page.locator("#weights")
    expect(weights.locator("[data-accumulating]")).to_be_hidden()
    page.uncheck("#zero_grad")
    run_id = start_run(page, steps=400, pace=200, seed=7)

    expect(weights).to_have_attribute("data-accumulating", "true")
    expect(weights.locator("[data-accumulating]")).to_be_visible()
    expect(weights.locator("[data-accumulating-note]")).to_contain_text("zero_grad is off")
    expect(page.locator("#code")).to_have_attribute("data-zero-skipped", "true")
    expect(page.locator("#status [data-part=settings]")).to_contain_text("zero_grad off")
    assert api.get(f"/api/runs/{run_id}")["config"]["zero_grad"] is False

    # The gradient's length is drawn once per frame received, and ends at what the weights panel shows.
    page.wait_for_function("() => Number(document.querySelector('#grad-norm-chart').dataset.samples) > 5")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    norm = math.hypot(*api.get(f"/api/runs/{run_id}")["grads"].values())
    page.wait_for_function(
        "norm => Math.abs(Number(document.querySelector('#grad-norm-chart').dataset.last) / norm - 1) < 1e-9",
        arg=norm,
    )


def test_zero_grad_is_disabled_where_no_grad_is_kept_and_the_servers_refusal_is_shown(
    page: Page, server_url: str, api: AppClient, watch: PageWatch
) -> None:
    watch.expected_errors.append("status of 422")
    try:
        api.post("/api/runs", {"engine": "numpy", "zero_grad": False})
        pytest.fail("the server accepted zero_grad=false on numpy")
    except urllib.error.HTTPError as error:
        assert error.code == 422
        [problem] = json.load(error)["detail"]

    page.goto(server_url)
    open_settings(page)
    page.select_option("#engine", "numpy")
    box = page.locator("#zero_grad")
    expect(box).to_be_disabled()
    expect(box).to_be_checked()
    expect(page.locator("#zero_grad-hint")).to_contain_text("nothing to forget to zero")

    # The user's choice comes back with an engine that keeps .grad.
    page.select_option("#engine", "tiny-autograd")
    expect(box).to_be_enabled()
    box.uncheck()
    page.select_option("#engine", "torch-tensors")
    expect(box).to_be_checked()
    page.select_option("#engine", "torch-nn")
    expect(box).not_to_be_checked()

    # A page that sends it anyway (an old tab, a tinkerer) shows the server's refusal under the box.
    page.select_option("#engine", "numpy")
    box.evaluate("box => { box.disabled = false; box.checked = false; }")
    page.click("[data-start]")
    expect(page.locator("#zero_grad-error")).to_have_text(problem["msg"])
    expect(box).to_have_attribute("aria-invalid", "true")
    assert "#run=" not in page.url


def test_an_update_without_no_grad_is_shown_and_ends_in_pytorchs_own_refusal(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    page.goto(server_url)
    open_settings(page)
    box = page.locator("#no_grad")
    page.select_option("#engine", "numpy")
    expect(box).to_be_hidden()  # only torch-autograd writes its update under torch.no_grad()
    expect(box).to_be_disabled()
    page.select_option("#engine", "torch-autograd")
    expect(box).to_be_checked()
    autograd = next(engine for engine in api.get("/api/engines") if engine["name"] == "torch-autograd")
    assert "with torch.no_grad():" in shown_code(page)
    assert "    a -= learning_rate * a.grad" in shown_code(page)

    # Unticked, the code panel shows the update as it now runs: no `with`, the weights' updates one level out.
    box.uncheck()
    shown = page.locator("#code [data-code-lines] li:not([hidden]) code")
    expect(shown.filter(has_text="with torch.no_grad")).to_have_count(0)
    assert shown_code(page) == lines_run(autograd, zero_grad=True, reduction="sum", no_grad=False)
    assert "a -= learning_rate * a.grad" in shown_code(page)

    run_id = start_run(page, steps=50, seed=2)
    expect(page.locator("#status")).to_have_attribute("data-status", "failed", timeout=LIVE_TIMEOUT)
    message = api.get(f"/api/runs/{run_id}")["message"]
    assert "a leaf Variable that requires grad is being used in an in-place operation" in message
    expect(page.locator("#status")).to_contain_text("a leaf Variable that requires grad")
    expect(page.locator("#status")).to_contain_text("torch.no_grad()")
    expect(page.locator("#status [data-part=settings]")).to_contain_text("no_grad off")
    assert shown_code(page) == lines_run(autograd, zero_grad=True, reduction="sum", no_grad=False)


def test_a_weight_made_without_requires_grad_never_moves_and_leaves_the_graph(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    page.goto(server_url)
    open_settings(page)
    boxes = page.locator("[data-frozen-group]")
    page.select_option("#engine", "numpy")
    expect(boxes).to_be_hidden()  # numpy's weights are plain numbers: nothing to freeze
    page.select_option("#engine", "torch-autograd")
    expect(boxes).to_be_visible()
    boxes.locator("input[value=c]").uncheck()
    # c's update and zeroing are gone from the step, as one would write it for a constant c.
    shown = page.locator("#code [data-code-lines] li:not([hidden]) code")
    expect(shown.filter(has_text="c -= learning_rate")).to_have_count(0)
    expect(shown.filter(has_text="c.grad = None")).to_have_count(0)
    expect(shown.filter(has_text="b -= learning_rate")).to_have_count(1)

    run_id = start_run(page, steps=60, pace=60, seed=4)
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=LIVE_TIMEOUT)
    run = api.get(f"/api/runs/{run_id}")
    assert run["config"]["frozen"] == ["c"]
    history = api.get(f"/api/runs/{run_id}/history")
    assert len(set(history["params"]["c"])) == 1 and set(history["grads"]["c"]) == {0.0}
    assert len(set(history["params"]["b"])) > 1
    expect(page.locator("#status [data-part=settings]")).to_contain_text("c frozen")
    expect(page.locator("#graph [data-graph-svg] .graph-node.kind-leaf")).to_have_count(3)
    labels = page.evaluate(
        "[...document.querySelectorAll('#graph .graph-node.kind-leaf')].map((n) => n.querySelector('text').textContent)"
    )
    assert sorted(labels) == ["a", "b", "d"], labels


def test_a_tiny_autograd_box_shows_the_tensor_code_that_built_it(
    page: Page, start_run: StartRun, server_url: str, api: AppClient
) -> None:
    """b * x is b.__mul__(x): the inspector of a mul box shows Tensor.__mul__ as the engine runs it, and backward."""
    sources = next(e for e in api.get("/api/engines") if e["name"] == "tiny-autograd")["sources"]
    assert sources["mul"].startswith("def __mul__(self, other") and sources["backward"].startswith("def backward(")
    page.goto(server_url)
    start_run(page, engine="tiny-autograd", steps=40, pace=20, seed=2)
    node = page.locator("#graph [data-graph-svg] .graph-node", has_text="mul").first
    expect(node).to_be_visible(timeout=LIVE_TIMEOUT)
    node.hover()
    code = page.locator("[data-graph-inspector] .inspect-code")
    expect(code.locator("pre").first).to_have_text(sources["mul"].rstrip("\n"))
    expect(code.locator("details pre")).to_have_text(sources["backward"].rstrip("\n"))
    # An engine whose autograd is torch's own has no such code to show.
    assert all(not e["sources"] for e in api.get("/api/engines") if e["name"] != "tiny-autograd")


def test_data_fields_reach_the_run_and_a_bad_target_is_marked(
    page: Page, start_run: StartRun, server_url: str, api: AppClient, watch: PageWatch
) -> None:
    watch.expected_errors.append("status of 422")
    page.goto(server_url)
    open_settings(page)
    if page.locator("#target").count() == 0:
        pytest.skip("this server has no target field")
    page.fill("#target", "sin(x) + __import__('os')")
    page.fill("#x_min", "2pi")
    page.fill("#x_max", "pi")
    page.click("[data-start]")
    expect(page.locator("#target-error")).to_be_visible()
    expect(page.locator("#target")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#x_max-error")).to_contain_text("x_max must be larger")
    assert "#run=" not in page.url

    # A preset fills the formula; π multiples, noise and float32 go through as typed.
    presets = api.get("/api/targets")
    bell = next(preset["formula"] for preset in presets if preset["formula"] == "exp(-x**2)")
    open_settings(page)
    page.select_option("#target-preset", bell)
    expect(page.locator("#target")).to_have_value(bell)
    page.fill("#x_min", "-2pi")
    page.fill("#x_max", "2π")
    page.select_option("#dtype", "float32")
    run_id = start_run(page, points=300, noise=0.05, steps=30)
    config = api.get(f"/api/runs/{run_id}")["config"]
    assert config["target"] == bell
    assert config["x_min"] == pytest.approx(-2 * math.pi) and config["x_max"] == pytest.approx(2 * math.pi)
    assert (config["points"], config["noise"], config["dtype"]) == (300, 0.05, "float32")
    expect(page.locator("#target-error")).to_be_hidden()
    expect(page.locator("#fit [data-key-target]")).to_have_text(bell)
    expect(page.locator("#headline [data-target]")).to_have_text(bell)


@pytest.mark.parametrize("paused", [False, True], ids=["ended", "paused"])
def test_a_run_opened_after_its_steps_shows_the_gradients_length_at_every_step_so_far(
    page: Page, server_url: str, api: AppClient, paused: bool
) -> None:
    """Opened once it has ended, or while paused, a run's gradient-length chart holds every step it took (from the
    snapshot, not only the frames this page saw), each the hypot of that step's recorded gradients."""
    config = {"engine": "torch-autograd", "steps": 300, "points": 50, "seed": 3, "pace": 200 if paused else None}
    run = api.post("/api/runs", config)
    wanted = "paused" if paused else "finished"
    for _ in range(300):  # the steps are taken before the page opens
        info = api.get(f"/api/runs/{run['id']}")
        if info["status"] == wanted:
            break
        if paused and info["steps_done"] >= 30:
            api.post(f"/api/runs/{run['id']}/pause")
        time.sleep(0.05)
    assert info["status"] == wanted, info
    page.goto(f"{server_url}/#run={run['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "paused" if paused else "finished")
    done = api.get(f"/api/runs/{run['id']}")["steps_done"]
    history = api.get(f"/api/runs/{run['id']}/history")
    chart = page.locator("#grad-norm-chart")
    expect(chart).to_have_attribute("data-samples", str(done))
    last = math.hypot(*(history["grads"][name][done - 1] for name in "abcd"))
    assert float(chart.get_attribute("data-last") or "nan") == pytest.approx(last, rel=1e-12)
