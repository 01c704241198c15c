"""The classroom row: the share box, the run list, the downloads and the import, driven through the page."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from app.config import default_database_url
from app.run_config import RunConfig
from app.storage.store import RunRecord, RunStore
from tests.browser.conftest import APP_HOST, ROOT, _free_port, _healthy, open_settings

if TYPE_CHECKING:
    from tests.browser.conftest import AppClient, PageWatch

pytestmark = pytest.mark.browser

FAST = {"steps": 60, "points": 50}
CHARTS = ("fit", "loss", "grad-norm", "graph")
SVG = "http://www.w3.org/2000/svg"


def finished_run(api: AppClient, **config: object) -> dict[str, Any]:
    """A run started through the API that has ended by the time this returns (the server trains it at once)."""
    run = api.post("/api/runs", {**FAST, **config})
    for _ in range(100):
        if api.get(f"/api/runs/{run['id']}")["status"] == "finished":
            return run
        time.sleep(0.1)
    pytest.fail(f"run {run['id']} did not finish")


def follow(page: Page, server_url: str, run_id: str) -> None:
    page.goto(f"{server_url}/#run={run_id}")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=15_000)


def row(page: Page, run_id: str) -> Any:
    return page.locator(f"[data-runs-body] tr[data-run-id='{run_id}']")


def test_share_box_shows_the_short_link_and_a_qr_code_that_loads(page: Page, api: AppClient, server_url: str) -> None:
    run = finished_run(api, seed=4)
    follow(page, server_url, run["id"])
    link = page.locator("[data-share-link]")
    expect(link).to_have_text(f"{server_url}/r/{run['id']}")
    qr = page.locator("[data-share-qr]")
    expect(qr).to_have_attribute("src", f"/api/runs/{run['id']}/qr.svg")
    page.wait_for_function("() => document.querySelector('[data-share-qr]').naturalWidth > 0")
    assert qr.bounding_box()["width"] >= 150  # scannable from a projector
    page.locator("[data-share-large]").click()
    assert qr.bounding_box()["width"] >= 500
    page.keyboard.press("Escape")
    # The other link carries the settings that differ from the defaults, the seed among them.
    href = page.locator("[data-share-config]").get_attribute("href") or ""
    assert href.startswith(f"{server_url}/#config=")
    assert json.loads(urllib.request.unquote(href.split("=", 1)[1])) == {**FAST, "seed": 4}


def test_a_config_link_fills_the_form_and_starts_nothing(page: Page, api: AppClient, server_url: str) -> None:
    config = {"engine": "torch-autograd", "steps": 123, "seed": 5, "reduction": "mean", "learning_rate": 0.002}
    config |= {"zero_grad": False, "points": 40, "target": "cos(x)"}
    before = len(api.get("/api/runs"))
    page.goto(f"{server_url}/#config={quote(json.dumps(config))}")
    open_settings(page)
    expect(page.locator("#engine")).to_have_value("torch-autograd")
    for name in ("steps", "seed", "points", "target"):
        expect(page.locator(f"#{name}")).to_have_value(str(config[name]))
    expect(page.locator("#learning_rate")).to_have_value("0.002")  # not converted by the reduction's switch
    expect(page.locator("input[name=reduction][value=mean]")).to_be_checked()
    expect(page.locator("#zero_grad")).not_to_be_checked()
    expect(page.locator("#status")).not_to_have_attribute("data-status", "running")
    assert len(api.get("/api/runs")) == before


def test_the_form_takes_each_engines_own_defaults_and_keeps_what_the_user_set(page: Page, server_url: str) -> None:
    """Choosing dynamic-net shows the tutorial's 30000 steps, lecture-net its slide's mean; back on numpy, the
    lecture's 2000 and sum; a number of steps the user typed stays whatever the engine."""
    page.goto(server_url)
    open_settings(page)
    steps, mean = page.locator("#steps"), page.locator("input[name=reduction][value=mean]")
    expect(steps).to_have_value("2000")
    page.select_option("#engine", "dynamic-net")
    expect(steps).to_have_value("30000")
    page.select_option("#engine", "lecture-net")
    expect(steps).to_have_value("2000")
    expect(mean).to_be_checked()
    page.select_option("#engine", "numpy")
    expect(page.locator("input[name=reduction][value=sum]")).to_be_checked()
    steps.fill("500")
    page.select_option("#engine", "dynamic-net")
    expect(steps).to_have_value("500")


@pytest.mark.parametrize("steps", [2000, 30000])
def test_a_config_link_to_a_dynamic_net_run_gives_its_steps_back(
    page: Page, api: AppClient, server_url: str, steps: int
) -> None:
    """The link leaves out what the engine's own default gives (30000 steps), and keeps 2000, which it does not."""
    run = api.post("/api/runs", {"engine": "dynamic-net", "steps": steps, "pace": 1, "points": 20})
    api.post(f"/api/runs/{run['id']}/stop")
    page.goto(f"{server_url}/#run={run['id']}")
    expect(page.locator("#status")).to_have_attribute("data-status", "stopped", timeout=15_000)
    # The engines' defaults may reach the page after the run: the link follows them.
    page.wait_for_function(
        """(named) => {
          const href = document.querySelector("[data-share-config]").href;
          const shared = JSON.parse(new URLSearchParams(new URL(href).hash.slice(1)).get("config"));
          return ("steps" in shared) === named;
        }""",
        arg=steps != 30000,
    )
    href = page.locator("[data-share-config]").get_attribute("href") or ""
    page.goto(href)
    page.reload()
    open_settings(page)
    expect(page.locator("#engine")).to_have_value("dynamic-net")
    expect(page.locator("#steps")).to_have_value(str(steps))


def test_run_list_filters_and_follows(page: Page, api: AppClient, server_url: str) -> None:
    numpy_run = finished_run(api, engine="numpy")
    torch_run = finished_run(api, engine="torch-tensors")
    stopped = api.post("/api/runs", {"steps": 100_000, "pace": 50, "points": 20, "engine": "numpy"})
    api.post(f"/api/runs/{stopped['id']}/stop")
    page.goto(f"{server_url}/")
    for run in (numpy_run, torch_run, stopped):
        expect(row(page, run["id"])).to_be_visible()
    expect(row(page, numpy_run["id"]).locator(".status-pill")).to_have_text("finished")

    page.select_option("[data-runs-engine]", "torch-tensors")
    expect(row(page, torch_run["id"])).to_be_visible()
    expect(row(page, numpy_run["id"])).to_have_count(0)
    page.select_option("[data-runs-engine]", "")
    page.select_option("[data-runs-status]", "stopped")
    expect(row(page, stopped["id"])).to_be_visible()
    expect(row(page, numpy_run["id"])).to_have_count(0)
    page.select_option("[data-runs-status]", "")
    expect(row(page, numpy_run["id"])).to_be_visible()

    row(page, numpy_run["id"]).click()
    expect(page).to_have_url(re.compile(rf"#run={numpy_run['id']}$"))
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=15_000)
    expect(row(page, numpy_run["id"])).to_have_attribute("aria-current", "true")


def is_run_list(response: Any) -> bool:
    return bool(response.url.split("?", 1)[0].endswith("/api/runs") and response.request.method == "GET")


def test_the_run_list_is_asked_again_by_its_etag_and_kept_on_304(page: Page, api: AppClient, server_url: str) -> None:
    """The page's periodic ask sends the last list's ETag; the 304 keeps the list shown, and a changed list (a run
    started elsewhere) comes whole at a later ask."""
    first = finished_run(api, seed=5)
    page.goto(f"{server_url}/")
    expect(row(page, first["id"])).to_be_visible()
    with page.expect_response(lambda r: is_run_list(r) and r.status == 304, timeout=15_000) as unchanged:
        pass
    assert unchanged.value.request.headers.get("if-none-match") == unchanged.value.headers["etag"]
    expect(row(page, first["id"])).to_be_visible()
    second = finished_run(api, seed=6)
    expect(row(page, second["id"])).to_be_visible(timeout=15_000)
    expect(row(page, first["id"])).to_be_visible()


def test_only_the_pages_own_run_can_be_deleted(page: Page, api: AppClient, server_url: str) -> None:
    theirs = finished_run(api)
    page.goto(f"{server_url}/")
    open_settings(page)
    page.fill("#steps", "40")
    page.fill("#points", "30")
    page.click("[data-start]")
    expect(page.locator("#status")).to_have_attribute("data-status", "finished", timeout=15_000)
    mine = re.search(r"#run=([^&]+)", page.url)[1]  # type: ignore[index]
    expect(row(page, mine).locator("button[data-delete]")).to_be_visible()
    expect(row(page, theirs["id"])).to_be_visible()
    expect(row(page, theirs["id"]).locator("button[data-delete]")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    row(page, mine).locator("button[data-delete]").click()
    expect(row(page, mine)).to_have_count(0)
    with pytest.raises(urllib.error.HTTPError) as error:
        api.get(f"/api/runs/{mine}")
    assert error.value.code == 404


def download(page: Page, selector: str) -> Path:
    with page.expect_download(timeout=5000) as info:
        page.click(selector)
    path = info.value.path()
    assert path.stat().st_size > 0
    return path


def test_history_and_run_downloads(page: Page, api: AppClient, server_url: str) -> None:
    run = finished_run(api)
    follow(page, server_url, run["id"])
    history = api.get(f"/api/runs/{run['id']}/history")

    rows = download(page, "[data-export-file=csv]").read_text().strip().splitlines()
    assert rows[0].startswith("step,loss") and len(rows) == 1 + len(history["loss"])
    assert json.loads(download(page, "[data-export-file=history]").read_text())["loss"] == history["loss"]
    whole = json.loads(download(page, "[data-export-file=run]").read_text())
    assert whole["format"] == "autograd-live-run" and whole["run"]["id"] == run["id"]


# Chromium stops handing out downloads after ten or so from one page in a few seconds: a page per format.
def test_each_chart_downloads_as_png(page: Page, api: AppClient, server_url: str) -> None:
    follow(page, server_url, finished_run(api)["id"])
    for chart in CHARTS:
        png = download(page, f"[data-export-chart={chart}][data-format=png]").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), chart


def test_each_chart_downloads_as_svg(page: Page, api: AppClient, server_url: str) -> None:
    follow(page, server_url, finished_run(api)["id"])
    for chart in CHARTS:
        root = ET.fromstring(download(page, f"[data-export-chart={chart}][data-format=svg]").read_text())
        assert root.tag == f"{{{SVG}}}svg", chart
        # A uPlot chart's SVG is rebuilt from its numbers: the loss is a line, not an empty frame.
        if chart == "loss":
            assert root.findall(f".//{{{SVG}}}polyline")


def test_an_exported_run_imports_back_as_a_new_run(
    page: Page, api: AppClient, server_url: str, tmp_path: Path, watch: PageWatch
) -> None:
    assert "/api/runs/import" in api.get("/openapi.json")["paths"], "the server has no POST /api/runs/import"
    run = finished_run(api, steps=75)
    with urllib.request.urlopen(f"{server_url}/api/runs/{run['id']}/export", timeout=10) as response:
        exported = tmp_path / "run.json"
        exported.write_bytes(response.read())
    page.goto(f"{server_url}/")
    page.set_input_files("[data-import-file]", str(exported))
    expect(page).not_to_have_url(re.compile(rf"(#|=){run['id']}$"))
    expect(page).to_have_url(re.compile(r"#run=[^&]+$"))
    imported = re.search(r"#run=([^&]+)", page.url)[1]  # type: ignore[index]
    assert imported != run["id"]
    expect(page.locator("#loss-chart")).to_have_attribute("data-losses", "75", timeout=15_000)

    watch.expected_errors.append("422")  # the browser logs the refused request itself
    not_an_export = tmp_path / "other.json"
    not_an_export.write_text('{"hello": 1}')
    page.set_input_files("[data-import-file]", str(not_an_export))
    expect(page.locator("[data-import-error]")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"#run={imported}$"))


@contextlib.contextmanager
def server_on(data_dir: Path) -> Iterator[str]:
    """`python -m app` of its own, on the database in `data_dir`, for a test that needs the runs it starts with."""
    port = _free_port()
    env = {**os.environ, "AUTOGRAD_LIVE_DATA_DIR": str(data_dir), "AUTOGRAD_LIVE_DATABASE_URL": ""}
    with (data_dir.parent / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", APP_HOST, "--port", str(port)], cwd=ROOT, env=env, stdout=log
        )
    url = f"http://{APP_HOST}:{port}"
    try:
        for _ in range(600):
            if _healthy(url) or process.poll() is not None:
                break
            time.sleep(0.1)
        assert _healthy(url), (data_dir.parent / "server.log").read_text()
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_a_run_the_server_cannot_read_is_listed_with_why_and_not_opened(page: Page, tmp_path: Path) -> None:
    """A stored run of an engine this server does not have: the list shows it as unreadable beside a good run;
    clicking it says why instead of opening a run that is not there."""
    data_dir = tmp_path / "data"
    store = RunStore.open(default_database_url(data_dir))
    good = RunRecord(
        id="good-run",
        engine="numpy",
        status="finished",
        message=None,
        config=RunConfig(steps=5, points=20).model_dump(mode="json"),
        param_names=("a", "b", "c", "d"),
        created_at=datetime.now(UTC),
    )
    store.save_run(good)
    store.save_run(dataclasses.replace(good, id="bad-run", engine="numpy-2"))
    store.close()
    with server_on(data_dir) as url:
        page.goto(f"{url}/")
        expect(row(page, "good-run").locator(".status-pill")).to_have_text("finished")
        pill = row(page, "bad-run").locator(".status-pill")
        expect(pill).to_have_text("unreadable")
        expect(pill).to_have_attribute("data-status", "unreadable")
        row(page, "bad-run").click()
        expect(page.locator("[data-runs-error]")).to_contain_text("no engine 'numpy-2'")
        expect(page).not_to_have_url(re.compile(r"#run=bad-run"))
        row(page, "good-run").click()
        expect(page).to_have_url(re.compile(r"#run=good-run$"))
        page.goto("about:blank")  # before its server ends: a page left open would log its next poll's refusal
