"""The real server of the browser tests: `python -m app` in a subprocess on a free port, with its log kept where a
failed test's report (conftest.py) finds it."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 30.0
APP_HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((APP_HOST, 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return bool(json.load(response) == {"status": "ok"})
    except (OSError, ValueError):
        return False


# Every browser test reaches this one server from one address: the per-client limits, made for a hall of
# students, would count the whole suite as one eager student (tests/web/test_rate_limits.py tests them).
SUITE_LIMITS = {
    "AUTOGRAD_LIVE_CREATE_BURST": "100000",
    "AUTOGRAD_LIVE_READ_BURST": "100000",
    "AUTOGRAD_LIVE_MAX_RUNS_PER_CLIENT": "1000",
}


# A test server held up this long prints every thread's stack to its log, which a failed test's report shows.
STALL_REPORT = "5"
SERVER_LOGS: list[Path] = []  # the logs of the servers now serving
SERVED_LOGS: list[Path] = []  # the logs of every server of the session, for the stalls they report
STALL_MARK = "Timeout ("  # how a stall report begins (faulthandler's)
LOG_LINES = 80  # the last lines of each shown under a failed test


@contextlib.contextmanager
def serve_app(server_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The real app, served by `python -m app` on a free port, with its own database under `server_dir`."""
    port = _free_port()
    log_path = server_dir / "server.log"
    # Its own database: the repository's data/ may hold runs (or a schema) from another version of the app.
    env = {
        **os.environ,
        "AUTOGRAD_LIVE_DATA_DIR": str(server_dir / "data"),
        "AUTOGRAD_LIVE_DATABASE_URL": "",
        **SUITE_LIMITS,
        "AUTOGRAD_LIVE_STALL_REPORT": STALL_REPORT,
        **(extra_env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", APP_HOST, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://{APP_HOST}:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not come up; its log:\n{log_path.read_text()}")
                time.sleep(0.1)
            SERVER_LOGS.append(log_path)
            SERVED_LOGS.append(log_path)
            yield url
        finally:
            if log_path in SERVER_LOGS:
                SERVER_LOGS.remove(log_path)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
