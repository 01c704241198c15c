"""Time whole runs with the store on (SQLite in WAL mode, the batching writer) against the same runs with it off.

Run by hand: `.venv/bin/python bench/bench_storage.py [--repeats N]`. Each case trains the same config through a
RunManager without a store and through one with a store, interleaved so machine noise hits both; it prints the
median time of each, their ratio (target ≤ 1.10), and the database writes the stored run took.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from app.config import Settings
from app.run_config import RunConfig
from app.runs.manager import RunManager
from app.runs.run import Run
from app.storage.store import RunStore

CASES = {
    "numpy, 20k steps on 2000 points": {"engine": "numpy", "steps": 20_000},
    "numpy, 200k steps on 16 points": {"engine": "numpy", "steps": 200_000, "points": 16},
    "torch-autograd, 5k steps on 2000 points": {"engine": "torch-autograd", "steps": 5000},
}


def timed_run(manager: RunManager, config: RunConfig) -> float:
    """Seconds from create to the run's end (its worker's last step)."""
    start = time.perf_counter()
    run = manager.create(config)
    assert isinstance(run, Run)
    run.join(600)
    elapsed = time.perf_counter() - start
    assert run.status == "finished", run.message
    return elapsed


def compare(label: str, config: RunConfig, repeats: int, directory: Path) -> None:
    settings = Settings(max_steps=1_000_000, max_kept_runs=2)
    store = RunStore.open(f"sqlite:///{directory / f'{len(list(directory.iterdir()))}.db'}")
    off, on = RunManager(settings), RunManager(settings, store)
    timed_run(off, config), timed_run(on, config)  # warm up both
    on.flush()
    writes, statements = store.writes, store.statements
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(repeats):
        times["off"].append(timed_run(off, config))
        times["on"].append(timed_run(on, config))
        on.flush()  # the last batch of a run is not part of its time, but must not spill into the next one's
    per_run = ((store.writes - writes) / repeats, (store.statements - statements) / repeats)
    off.shutdown(), on.shutdown()
    store.close()
    base, stored = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"\n{label}, median of {repeats}")
    print(f"  storage off  {base * 1e3:8.1f} ms")
    print(f"  storage on   {stored * 1e3:8.1f} ms  {stored / base:5.3f}x  (target ≤ 1.10)")
    print(f"  database writes per run: {per_run[0]:.0f} transactions, {per_run[1]:.0f} statements")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as directory:
        for label, fields in CASES.items():
            compare(label, RunConfig.model_validate({"seed": 1, **fields}), repeats, Path(directory))


if __name__ == "__main__":
    main()
