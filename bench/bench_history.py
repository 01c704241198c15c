"""Reading a big run: GET /history streamed a chunk at a time against the history built whole, as it was before.

Run by hand: `.venv/bin/python bench/bench_history.py [--steps N] [--readers K]`. It stores one finished run of
N steps (default 1M, synthetic numbers) in a fresh database, then for each way of answering starts a server of
its own on that database (`python bench/bench_history.py --serve PORT WAY`), has K clients (default 4) read the
whole history at once while another asks /healthz every 50 ms, and prints the server's peak RSS above its resting
RSS (the kernel's high-water mark, reset before the reads), its RSS after, the reads' time and /healthz's
latency meanwhile, with the streamed/whole ratios. `whole` is today's build before streaming: every column of the
run read from the store into arrays kept in a cache of 8 runs, the response model validated and serialized at once.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
from processes import HOST, ROOT, free_port, stop_process, wait_healthy  # run as a script, bench/ is on the path

WAYS = ("whole", "streamed")


def make_database(data_dir: Path, steps: int) -> str:
    """A database holding one finished numpy run of `steps` made-up steps; its id."""
    from app.run_config import RunConfig
    from app.storage.records import RunRecord
    from app.storage.schema import CHUNK_STEPS
    from app.storage.store import RunStore

    store = RunStore.open(f"sqlite:///{data_dir / 'autograd-live.db'}")
    config = RunConfig(engine="numpy", steps=steps).model_dump(mode="json")
    record = RunRecord(
        id="big", engine="numpy", status="finished", message=None, config=config, param_names=("a", "b", "c", "d"),
        created_at=datetime.now(UTC), steps_done=steps, last_loss=1.0, last_grads=(0.0,) * 4, last_params=(0.0,) * 4,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    with store.batch() as batch:
        batch.save_run(record)
        for start in range(0, steps, CHUNK_STEPS):
            n = min(CHUNK_STEPS, steps - start)
            batch.append_chunk(
                "big", start, rng.random(n) * 1e4, rng.standard_normal((n, 4)), rng.random((n, 4)), False
            )
    store.close()
    return "big"


def serve(port: int, way: str) -> None:
    """The app, plus (for `whole`) today's whole-built history at /bench/whole/{run_id}."""
    import uvicorn
    from fastapi import HTTPException

    from app.main import create_app
    from app.runs.history import History
    from app.schemas import RunHistory
    from app.web.socket_writer import UVICORN_OPTIONS

    app = create_app()
    cache: dict[str, History] = {}

    @app.get("/bench/whole/{run_id}")
    def whole(run_id: str) -> RunHistory:
        run = app.state.manager.get(run_id)
        if run is None:
            raise HTTPException(404)
        history = cache.get(run_id)
        if history is None:  # as HistoryCache.get did: loss, params and grads, whole, kept for the next viewer
            steps = app.state.store.load_history(run_id, len(run.param_names))
            history = History(0, run.param_names)
            history.loss, history.params, history.grads = steps.loss, steps.params, steps.grads
            history.count = len(steps.loss)
            cache[run_id] = history
        return RunHistory.model_validate(history.columns())

    uvicorn.run(app, host=HOST, port=port, log_level="warning", **UVICORN_OPTIONS)


def rss(pid: int, field: str) -> int:
    """A memory figure of the process from /proc (VmRSS, VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def measure(way: str, data_dir: Path, run_id: str, readers: int) -> dict[str, float]:
    """Start a server answering `way`, read the history with `readers` clients at once; what it cost."""
    port = free_port()
    log = data_dir / f"{way}.log"
    env = {**os.environ, "AUTOGRAD_LIVE_DATA_DIR": str(data_dir), "AUTOGRAD_LIVE_DATABASE_URL": ""}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), way], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    base = f"http://{HOST}:{port}"
    try:
        wait_healthy(way, process, f"{base}/healthz", log)
        time.sleep(1.0)
        Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # resets VmHWM, the peak, to the RSS now
        resting = rss(process.pid, "VmRSS")
        path = f"/bench/whole/{run_id}" if way == "whole" else f"/api/runs/{run_id}/history"
        sizes: list[int] = []
        latencies: list[float] = []
        done = threading.Event()

        def read() -> None:
            size = 0
            with httpx.stream("GET", base + path, timeout=600) as answer:
                answer.raise_for_status()
                for piece in answer.iter_bytes():
                    size += len(piece)
            sizes.append(size)

        def poll_health() -> None:
            with httpx.Client(timeout=60) as client:
                while not done.is_set():
                    start = time.perf_counter()
                    client.get(base + "/healthz").raise_for_status()
                    latencies.append(time.perf_counter() - start)
                    done.wait(0.05)

        health = threading.Thread(target=poll_health)
        health.start()
        started = time.perf_counter()
        threads = [threading.Thread(target=read) for _ in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        done.set()
        health.join()
        assert len(sizes) == readers and len(set(sizes)) == 1, sizes
        time.sleep(1.0)
        return {
            "bytes": sizes[0],
            "resting": resting,
            "peak": rss(process.pid, "VmHWM") - resting,
            "after": rss(process.pid, "VmRSS") - resting,
            "seconds": elapsed,
            "health_p50": statistics.median(latencies),
            "health_max": max(latencies),
        }
    finally:
        stop_process(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "WAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return
    with tempfile.TemporaryDirectory(prefix="bench-history-") as directory:
        data_dir = Path(directory)
        run_id = make_database(data_dir, args.steps)
        results = {way: measure(way, data_dir, run_id, args.readers) for way in WAYS}
    whole, streamed = results["whole"], results["streamed"]
    mb = 1024 * 1024
    each = whole["bytes"] / mb
    print(f"\nGET /history of a {args.steps:,}-step run, {args.readers} readers at once ({each:.0f} MB each)")
    print(f"{'':28}{'whole':>12}{'streamed':>12}{'ratio':>9}")
    for key, label, scale, unit in (
        ("peak", "peak RSS above resting", mb, "MB"),
        ("after", "RSS after, above resting", mb, "MB"),
        ("seconds", "time of the reads", 1, "s"),
        ("health_p50", "/healthz p50 meanwhile", 1e-3, "ms"),
        ("health_max", "/healthz max meanwhile", 1e-3, "ms"),
    ):
        a, b = whole[key] / scale, streamed[key] / scale
        ratio = f"{b / a:8.2f}x" if a > 0 else "     n/a"
        print(f"  {label:26}{a:9.1f} {unit:2}{b:9.1f} {unit:2}{ratio}")
    print(f"  resting RSS: {whole['resting'] / mb:.0f} MB (whole), {streamed['resting'] / mb:.0f} MB (streamed)")


if __name__ == "__main__":
    main()
