"""Shared tiny fixtures: small configs, runs in their worker threads, polling with a deadline, the graphs runs
capture, and runs driven over a server's REST API."""

import contextlib
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from app.config import Settings
from app.engines import ENGINES, EngineSpec
from app.run_config import RunConfig
from app.runs.run import Run, RunStateError
from app.runs.training import Training
from app.training.messages import Graphed
from tests.browser.servers import SERVED_LOGS, STALL_MARK

# Few points and steps: enough to exercise the machinery, far too few to care about the lecture's numbers.
TINY: dict[str, Any] = {"points": 16, "steps": 40, "seed": 0}
CURVE_POINTS = 25

MakeConfig = Callable[..., RunConfig]
MakeRun = Callable[..., Run]
WaitUntil = Callable[..., None]
LossOracle = Callable[..., float]
PointsOracle = Callable[[RunConfig], list[float]]
Captured = dict[str, dict[int, tuple[bytes, dict[str, Any]]]]  # run id → step → (GraphValues JSON, shape)
RunInfo = dict[str, Any]
ENDED = ("finished", "stopped", "failed", "diverged")  # how a live run ends (`interrupted` only comes from a restart)
DATA_DIR = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Every server a test starts, in this process or as a subprocess, stores its runs in a temporary directory,
    never in the project's own data/ (a test that needs a database of its own names one in tmp_path)."""
    data_dir = tempfile.mkdtemp(prefix="autograd-live-test-")
    config.stash[DATA_DIR] = data_dir
    os.environ["AUTOGRAD_LIVE_DATA_DIR"] = data_dir
    os.environ.pop("AUTOGRAD_LIVE_DATABASE_URL", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary data directory."""
    shutil.rmtree(config.stash.get(DATA_DIR, ""), ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread until the session
    ends, and asyncio.run() in any later test would refuse to start beside it."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)


def plain_loss(params: Sequence[float], xs: Sequence[float], reduction: str = "sum") -> float:
    """Squared error of the cubic against sin, summed (or averaged) with a plain Python loop: the oracle."""
    a, b, c, d = params
    total = math.fsum((a + b * x + c * x * x + d * x * x * x - math.sin(x)) ** 2 for x in xs)
    return total / len(xs) if reduction == "mean" else total


def lecture_x(config: RunConfig) -> list[float]:
    """The lecture's evenly spaced points, computed without the app's problem module."""
    step = (config.x_max - config.x_min) / (config.points - 1)
    return [config.x_min + i * step for i in range(config.points)]


def wait_until_impl(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll `predicate` until it holds; fail the test once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.005)


@pytest.fixture
def loss_oracle() -> LossOracle:
    """The loss of a cubic on some points, by a plain Python loop over them (independent of the app)."""
    return plain_loss


@pytest.fixture
def points_oracle() -> PointsOracle:
    """The x of a config's data points, by plain arithmetic (independent of the app)."""
    return lecture_x


@pytest.fixture
def wait_until() -> WaitUntil:
    """Poll a condition with a deadline (never a fixed sleep standing in for an assertion)."""
    return wait_until_impl


@pytest.fixture
def make_config() -> MakeConfig:
    """A validated RunConfig: tiny defaults, overridden by keyword."""

    def make(**overrides: Any) -> RunConfig:
        return RunConfig.model_validate({**TINY, **overrides})

    return make


@pytest.fixture
def training() -> Iterator[Training]:
    """Training workers for runs made by hand: one scheduler in a thread of the test's process."""
    # Every graph a test asks for is captured: no share of the time caps them (a test of thinning sets its own).
    workers = Training(Settings(training_processes=0, graph_share=1.0))
    yield workers
    workers.close()


@pytest.fixture
def make_run(training: Training) -> Iterator[MakeRun]:
    """Build (and by default start) a Run, trained by `training` unless another is given; every run still going
    is stopped at teardown."""
    made: list[Run] = []

    def make(
        config: RunConfig,
        engine: EngineSpec | None = None,
        start: bool = True,
        detail_interval: float = 1 / 30,
        workers: Training | None = None,
    ) -> Run:
        spec = engine or ENGINES[config.engine]
        run = Run(
            run_id=f"run-{len(made)}",
            config=config,
            engine=spec,
            problem=spec.make_problem(config),
            curve_x=np.linspace(config.x_min, config.x_max, CURVE_POINTS),
            detail_interval=detail_interval,
        )
        made.append(run)
        if start:
            (workers or training).submit(run)
        return run

    yield make
    for run in made:
        with contextlib.suppress(RunStateError):
            run.stop()
    for run in made:
        run.join(5.0)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    """Every graph every run in this process captures from now on, as JSON the moment it was captured, with its
    shape."""
    seen: Captured = {}
    keep = Run._keep_graph

    def recording(self: Run, graph: Graphed) -> None:
        keep(self, graph)
        assert self.graph is not None
        seen.setdefault(self.id, {})[graph.step] = (orjson.dumps(self.graph_values), self.graph)

    monkeypatch.setattr(Run, "_keep_graph", recording)
    return seen


class RestRuns:
    """Runs driven over a server's REST API, as a script drives them: it keeps the control token each creation
    answers with and sends it with that run's commands. Runs are created from `defaults`, overridden by keyword."""

    def __init__(self, **defaults: Any) -> None:
        self.defaults = defaults
        self.tokens: dict[str, str] = {}

    def with_defaults(self, **defaults: Any) -> "RestRuns":
        """These runs, created from these fields unless told otherwise (for a module's own `rest` fixture)."""
        self.defaults = defaults
        return self

    def create(self, client: httpx.Client, **body: Any) -> RunInfo:
        """POST a run, expecting 201; keep its control token and return its RunInfo."""
        response = client.post("/api/runs", json={**self.defaults, **body})
        assert response.status_code == 201, response.text
        run: RunInfo = response.json()
        self.tokens[run["id"]] = run["control_token"]
        return run

    def steering(self, run_id: str) -> dict[str, str]:
        """The header that carries the run's control token."""
        return {"X-Control-Token": self.tokens[run_id]}

    def wait_for(
        self, client: httpx.Client, run_id: str, test: Callable[[RunInfo], bool], timeout: float = 10.0, what: str = ""
    ) -> RunInfo:
        """Poll GET /api/runs/{id} until `test` holds for its RunInfo; return that RunInfo."""
        info: RunInfo = {}

        def holds() -> bool:
            nonlocal info
            info = client.get(f"/api/runs/{run_id}").json()
            return test(info)

        wait_until_impl(holds, timeout, what or f"run {run_id}")
        return info

    def wait_status(self, client: httpx.Client, run_id: str, *statuses: str, timeout: float = 10.0) -> RunInfo:
        """Poll until the run has one of the statuses; return that RunInfo."""
        return self.wait_for(
            client, run_id, lambda info: info["status"] in statuses, timeout, f"run {run_id} to be {statuses}"
        )

    def wait_ended(self, client: httpx.Client, run_id: str, timeout: float = 20.0) -> RunInfo:
        """Poll until the run has ended, however it ended; return its RunInfo."""
        return self.wait_for(client, run_id, lambda info: info["status"] in ENDED, timeout, f"run {run_id} to end")

    def finished(self, client: httpx.Client, **body: Any) -> RunInfo:
        """POST a run and return its RunInfo once it has finished."""
        return self.wait_status(client, self.create(client, **body)["id"], "finished")


@pytest.fixture
def rest() -> RestRuns:
    """Runs over REST, keeping their control tokens for this test (a module may override it with its defaults)."""
    return RestRuns()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Every stall a test server reported (its event loop held up past STALL_REPORT seconds), with the stacks."""
    for log_path in SERVED_LOGS:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if STALL_MARK in text:
            terminalreporter.section(f"the server of {log_path} reported its event loop held up", sep="-")
            terminalreporter.write_line(text[text.index(STALL_MARK) :][:20_000])
