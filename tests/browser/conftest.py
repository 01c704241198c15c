"""Browser tests: the real server in a subprocess, driven through a real headless Chromium."""

import contextlib
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Route,
    WebSocket,
    sync_playwright,
)

from tests.browser.servers import (  # re-exported: the test modules import them from here
    APP_HOST,
    LOG_LINES,
    ROOT,
    SERVER_LOGS,
    SERVER_START_TIMEOUT,
    _free_port,
    _healthy,
    serve_app,
)

__all__ = ["APP_HOST", "ROOT", "SERVER_START_TIMEOUT", "_free_port", "_healthy", "serve_app"]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Hosts of URLs that never leave the browser: inline data and the browser's own pages.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}
# A page's load on a shared, loaded machine: twice playwright's default, so that a slow moment is not a failure
# (a page that never loads still fails, with its unanswered requests and the server's log in the report).
NAVIGATION_TIMEOUT = 60_000  # ms


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under a failed browser test: the requests its page was still waiting for, and the servers' last log lines
    (with every thread's stack if a server's event loop was held up)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not report.failed or call.when != "call":
        return
    watch = getattr(item, "funcargs", {}).get("watch")
    if isinstance(watch, PageWatch):
        now = time.monotonic()
        waiting = [f"{now - since:6.1f} s  {request.method} {request.url}" for request, since in watch.pending.items()]
        report.sections.append(("requests the page still waited for", "\n".join(waiting) or "none"))
    for log_path in SERVER_LOGS:
        lines = log_path.read_text(errors="replace").splitlines()[-LOG_LINES:]
        report.sections.append((f"the last lines of {log_path}", "\n".join(lines)))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app for the whole session."""
    with serve_app(tmp_path_factory.mktemp("server")) as url:
        yield url


def _chromium_path() -> str:
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if path is None:
        reason = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("AUTOGRAD_LIVE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and AUTOGRAD_LIVE_REQUIRE_BROWSER=1 requires the browser tests")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """The system's Chromium (playwright's own browser downloads are not available here)."""
    browser = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class PageWatch:
    """What a page did that it should not: errors in its console, and requests to any host but the app's."""

    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)  # what the Content-Security-Policy blocked
    expected_errors: list[str] = field(default_factory=list)  # substrings of console errors a test provokes
    pending: dict[Request, float] = field(default_factory=dict)  # the page's requests not yet answered: since when

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.console_errors if not any(part in e for part in self.expected_errors)]


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


# Reports each securitypolicyviolation event of every page (and every document it navigates to) to the test.
REPORT_CSP = """document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline code"} (${event.sourceFile}:${event.lineNumber})`
  );
});"""


def watch_csp(context: BrowserContext, watch: PageWatch) -> None:
    """Collect into `watch` every Content-Security-Policy violation the context's pages report: the events, and
    the browser's console messages about the policy (one the event may miss, such as a worker's).

    The policy refuses eval, so a test's page.wait_for_function takes a function ("() => ..."), which playwright
    runs as it is, not a bare expression, which it would evaluate as a string on every poll."""
    context.expose_function("reportCspViolation", lambda report: watch.csp_violations.append(str(report)))
    context.add_init_script(REPORT_CSP)
    context.on(
        "console",
        lambda message: "Content Security Policy" in message.text and watch.csp_violations.append(message.text),
    )


@pytest.fixture
def watch_context(watch: PageWatch) -> Callable[[BrowserContext], None]:
    """watch_csp for a test's own browser context, reporting into the test's `watch` (which `page` checks)."""
    return lambda context: watch_csp(context, watch)


@pytest.fixture
def page(browser: Browser, server_url: str, watch: PageWatch) -> Iterator[Page]:
    """A fresh page that cannot reach the internet: every request to another host is aborted and recorded.

    After the test, the page must have logged no unexpected console error, tried no other host and broken no rule of
    its Content-Security-Policy.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch_csp(context, watch)
    page = context.new_page()
    page.set_default_navigation_timeout(NAVIGATION_TIMEOUT)

    def offline(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in LOCAL_SCHEMES or url.hostname == APP_HOST:
            route.continue_()
        else:
            watch.foreign_requests.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.console_errors.append(message.text)

    def websocket(socket: WebSocket) -> None:
        if urlsplit(socket.url).hostname != APP_HOST:
            watch.foreign_requests.append(socket.url)

    page.route("**/*", offline)
    page.on("request", lambda request: watch.pending.setdefault(request, time.monotonic()))
    for ended in ("requestfinished", "requestfailed"):
        page.on(ended, lambda request: watch.pending.pop(request, None))
    page.on("console", console)
    page.on("pageerror", lambda error: watch.console_errors.append(f"uncaught: {error}"))
    page.on("websocket", websocket)
    yield page
    # Stop the runs this page started, with the tokens only it holds: a leftover would queue the next test's run.
    # What the browser logs about it (a 409 for a run that had ended) is the fixture's, not the page's.
    logged = len(watch.console_errors)
    with contextlib.suppress(Exception):  # a test may leave the page closed or elsewhere
        page.evaluate(STOP_OWN_RUNS)
    del watch.console_errors[logged:]
    context.close()
    assert watch.unexpected_errors() == [], "the page logged errors"
    assert watch.foreign_requests == [], "the page tried to reach another host"
    assert watch.csp_violations == [], "the page broke its Content-Security-Policy"


STOP_OWN_RUNS = """async () => {
  const prefix = "autograd-live:control:";
  for (const key of Object.keys(localStorage).filter((key) => key.startsWith(prefix))) {
    const headers = { "X-Control-Token": localStorage.getItem(key) };
    await fetch(`/api/runs/${key.slice(prefix.length)}/stop`, { method: "POST", headers }).catch(() => null);
  }
}"""


StartRun = Callable[..., str]


def open_settings(page: Page) -> None:
    """Opens the settings sheet under the run bar (it starts closed, and Start closes it), as a user does first."""
    toggle = page.locator("[data-settings-toggle]")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


@pytest.fixture
def start_run() -> StartRun:
    """Start a run from a page's form: fill its fields by id (the engine chosen from its list), press Start; the
    new run's id, from the address."""

    def start(page: Page, **fields: object) -> str:
        if set(fields) - {"pace"}:
            open_settings(page)
        for name, value in fields.items():
            if name == "engine":
                page.select_option("#engine", str(value))
            else:
                page.fill(f"#{name}", str(value))
        page.click("[data-start]")
        page.wait_for_function("() => location.hash.startsWith('#run=')")
        return str(page.evaluate("new URLSearchParams(location.hash.slice(1)).get('run')"))

    return start


class AppClient:
    """The app's REST API, straight from the test (no browser): the server's own account of a run. It keeps the
    control tokens of the runs it starts and sends them with their commands, as a script would."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.tokens: dict[str, str] = {}

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.server_url}{path}", timeout=10) as response:
            return json.load(response)

    def post(self, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        run_id = path.split("/")[3] if path.count("/") == 4 else None  # /api/runs/{id}/{command}
        if run_id in self.tokens:
            headers["X-Control-Token"] = self.tokens[run_id]
        request = urllib.request.Request(f"{self.server_url}{path}", data=data, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
        if path == "/api/runs":
            self.tokens[answer["id"]] = answer["control_token"]
        return answer


@pytest.fixture
def api(server_url: str) -> Iterator[AppClient]:
    """The REST API; afterwards it stops every run the test left going (the server trains only a few at
    once: a leftover would make the next test's run wait in the queue)."""
    client = AppClient(server_url)
    yield client
    for run in client.get("/api/runs"):
        if run["status"] in {"queued", "running", "paused"} and run["id"] in client.tokens:
            try:
                client.post(f"/api/runs/{run['id']}/stop")
            except urllib.error.HTTPError as error:
                if error.code != 409:  # 409: it ended by itself meanwhile
                    raise
