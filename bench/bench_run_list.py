"""What `GET /api/runs` costs the server with many runs listed: time and bytes per request, plain, gzip-compressed
and revalidated (If-None-Match).

Run by hand from the repository's root:

    .venv/bin/python bench/bench_run_list.py [--runs 200] [--live 4] [--requests 200]

It starts the app of this working tree, then the app as of BASELINE_COMMIT (before the list was cached; from
`git archive`), each on a fresh database; creates --runs short numpy runs and lets them finish, then starts --live
paced runs that keep moving while it asks. It prints per server and kind of request: server CPU per request (from
/proc of the server process), the client's median and p95 wall time, and the bytes on the wire (of one more
request, which for if-none-match is a 304's 0 unless the list moved meanwhile), the CPU the server spends unasked
(its moving runs) measured just before and taken off; then the app/baseline ratio of CPU
per request. The if-none-match requests send the last ETag received, as a page does (the share of 304s shown).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_class import BASELINE_COMMIT, baseline_tree
from processes import HOST, ROOT, cpu_seconds, free_port, percentile, stop_process, wait_healthy

FINISH_TIMEOUT = 300.0  # seconds for the short runs to finish
IDLE = 2.0  # seconds the server's CPU is measured unasked, before each kind of request


def start(app_dir: Path, data: Path, runs: int, live: int) -> tuple[subprocess.Popen[bytes], str]:
    """The app on a free port, its limits raised so one client may make every run."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(app_dir),
        "AUTOGRAD_LIVE_DATA_DIR": str(data),
        "AUTOGRAD_LIVE_MAX_ACTIVE_RUNS": str(runs + live + 8),
        "AUTOGRAD_LIVE_MAX_KEPT_RUNS": str(runs + live + 8),
        "AUTOGRAD_LIVE_MAX_RUNNING_RUNS": str(max(2, live + 1)),
        "AUTOGRAD_LIVE_MAX_RUNS_PER_CLIENT": str(runs + live + 8),
        "AUTOGRAD_LIVE_CREATE_BURST": str(runs + live + 8),
    }
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", HOST, "--port", str(port)],
            cwd=app_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{HOST}:{port}"
    wait_healthy("app", process, base + "/healthz", log)
    return process, base


def fill(client: httpx.Client, runs: int, live: int) -> None:
    """`runs` ended runs, then `live` paced runs still going."""
    for seed in range(runs):
        client.post("/api/runs", json={"engine": "numpy", "seed": seed, "steps": 50}).raise_for_status()
    deadline = time.monotonic() + FINISH_TIMEOUT
    while any(run["status"] in ("queued", "running") for run in client.get("/api/runs").json()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the short runs did not finish: {client.get('/api/runs').json()[:2]}")
        time.sleep(0.5)
    for seed in range(live):
        config = {"engine": "numpy", "seed": seed, "steps": 1_000_000, "pace": 30}
        client.post("/api/runs", json=config).raise_for_status()


def measure(
    client: httpx.Client, pid: int, count: int, headers: dict[str, str]
) -> tuple[float, list[float], int, dict[str, str]]:
    """Server CPU seconds per request, each request's wall time, and how many were 304s. With If-None-Match, each
    request sends the ETag of the last list received, as the page does (the headers of the next one are returned)."""
    unchanged = 0
    walls = []
    headers = dict(headers)
    # What the server spends meanwhile without being asked (its moving runs train in it) is taken off.
    idle_cpu, idle_start = cpu_seconds(pid), time.monotonic()
    time.sleep(IDLE)
    idle = (cpu_seconds(pid) - idle_cpu) / (time.monotonic() - idle_start)
    cpu, started_all = cpu_seconds(pid), time.monotonic()
    for _ in range(count):
        started = time.perf_counter()
        response = client.get("/api/runs", headers=headers)
        walls.append(time.perf_counter() - started)
        unchanged += response.status_code == 304
        if "If-None-Match" in headers and response.status_code == 200:
            headers["If-None-Match"] = response.headers["etag"]
    spent = cpu_seconds(pid) - cpu - idle * (time.monotonic() - started_all)
    return max(0.0, spent) / count, walls, unchanged, headers


def measure_server(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    """Start the app of `tree`, fill it, print a line per kind of request; CPU seconds per request by kind."""
    data = Path(tempfile.mkdtemp(prefix="bench-run-list-"))
    process, base = start(tree, data, args.runs, args.live)
    costs = {}
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            fill(client, args.runs, args.live)
            time.sleep(1.0)
            etag = client.get("/api/runs", headers={"Accept-Encoding": "identity"}).headers.get("etag")
            kinds: dict[str, dict[str, str]] = {
                "plain": {"Accept-Encoding": "identity"},
                "gzip": {"Accept-Encoding": "gzip"},
            }
            if etag:
                kinds["if-none-match"] = {"Accept-Encoding": "gzip", "If-None-Match": etag}
            for name, headers in kinds.items():
                cpu, walls, unchanged, headers = measure(client, process.pid, args.requests, headers)
                with client.stream("GET", "/api/runs", headers=headers) as response:  # bytes as they travel
                    size = sum(len(chunk) for chunk in response.iter_raw())
                if unchanged:
                    name = f"{name} ({unchanged / args.requests:.0%} 304)"
                costs[name.split()[0]] = cpu
                print(
                    f"{'':<10}{name:<22}{cpu * 1000:>11.2f}{statistics.median(walls) * 1000:>12.2f}"
                    f"{percentile(walls, 95) * 1000:>12.2f}{size:>9}",
                    flush=True,
                )
    finally:
        stop_process(process)
    return costs


def main() -> None:
    """Measure the app and the baseline in turn, print a line per kind of request, then the ratios."""
    parser = argparse.ArgumentParser(description="The cost of GET /api/runs with many runs listed.")
    parser.add_argument("--runs", type=int, default=200, help="ended runs listed")
    parser.add_argument("--live", type=int, default=4, help="paced runs still moving while the list is asked for")
    parser.add_argument("--requests", type=int, default=200, help="requests per kind")
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="bench-run-list-"))
    print(f"{args.runs} ended runs and {args.live} paced runs listed; {args.requests} requests per kind")
    print(f"{'server':<10}{'request':<22}{'cpu ms/req':>11}{'wall p50 ms':>12}{'wall p95 ms':>12}{'bytes':>9}")
    costs = {}
    for name, tree in (("app", ROOT), (f"{BASELINE_COMMIT}", baseline_tree(logs))):
        print(name, flush=True)
        costs[name] = measure_server(tree, args)
    base = costs[BASELINE_COMMIT]["plain"]
    print(
        "\napp / baseline (its plain answer), CPU per request: "
        + ", ".join(f"{kind} {cost / base:.3f}" for kind, cost in costs["app"].items())
    )


if __name__ == "__main__":
    main()
