"""`python -m app` in a subprocess with small limits and a capped address space, for the conformance tests."""

import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
# Importing torch and serving take about 1 GiB of address space (0.3 GiB resident); a request that asks for more
# than the cap allows fails inside the server (a MemoryError) instead of taking the machine's memory.
ADDRESS_SPACE_CAP = 3 * 1024**3
PEAK_RSS_BUDGET = 1024**3  # resident memory the server may reach while fuzzed: about 3× what it starts with
# The lecture's run (2000 steps on 2000 points, what an empty body asks for) is the largest allowed, so cases stay
# cheap; one client may fill the active runs, as the only client here, and is not rate limited (every case comes
# from it: tests/web/test_rate_limits.py tests the limits); fewer ended runs kept in memory.
LIMITS = {
    "max_steps": 2000,
    "max_points": 2000,
    "max_runs_per_client": 32,
    "max_kept_runs": 100,
    "create_burst": 1_000_000,
    "read_burst": 1_000_000,
}
SERVER_ENV = {
    **{f"AUTOGRAD_LIVE_{name.upper()}": str(value) for name, value in LIMITS.items()},
    "AUTOGRAD_LIVE_DATABASE_URL": "",
    # Two malloc arenas instead of eight per core: the address space then tracks what the server really uses.
    "MALLOC_ARENA_MAX": "2",
}


@dataclass
class CappedServer:
    """The served app's process and where to reach it."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def peak_rss(self) -> int:
        """The most resident memory the process has held so far, in bytes (VmHWM); 0 once it has exited."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return 0

    def healthy(self) -> bool:
        """Whether the process is alive and answers /healthz."""
        if self.process.poll() is not None:
            return False
        try:
            return bool(httpx.get(f"{self.url}/healthz", timeout=10).json() == {"status": "ok"})
        except (httpx.HTTPError, ValueError):
            return False

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ten seconds."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


def start(folder: Path) -> CappedServer:
    """Serve on a free port with its data and log in `folder`; return once it answers /healthz."""
    log = folder / "server.log"
    port = _free_port()
    env = {**os.environ, **SERVER_ENV, "AUTOGRAD_LIVE_DATA_DIR": str(folder / "data")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", HOST, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_cap_address_space,
        )
    server = CappedServer(process, f"http://{HOST}:{port}", log)
    deadline = time.monotonic() + START_TIMEOUT
    while not server.healthy():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the server did not come up; its log:\n{server.log_tail()}")
        time.sleep(0.2)
    return server


def fuzz_examples(default: int) -> int:
    """Cases per operation: AUTOGRAD_LIVE_FUZZ_EXAMPLES for a longer run by hand, else `default`."""
    return int(os.environ.get("AUTOGRAD_LIVE_FUZZ_EXAMPLES", default))
