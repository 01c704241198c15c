"""The writer's flush for many live runs: each run's row and grown chunk written one statement at a time (as the
writer did) against one statement of each kind for all of them (as it does now), in the same run.

Run by hand from the repository's root: `.venv/bin/python bench/bench_writer.py [--runs 100] [--flushes 50]`.
Each flush is what the writer does every `write_interval` while `--runs` runs train: every run's row changed and
its current chunk grown by a few steps. It prints the CPU time of one flush (the writer thread's, which holds the
GIL the web process's event loop needs) for both ways, and their ratio.
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.storage.store import Batch, Chunk, RunRecord, RunStore

STEPS_PER_FLUSH = 15  # a run at 30 steps/s between two flushes half a second apart
PARAMS = 4


def records(count: int) -> list[RunRecord]:
    """`count` runs of the cubic, as their rows are first written."""
    now = datetime.now(UTC)
    return [
        RunRecord(f"run{i}", "torch-autograd", "running", None, {"steps": 2000}, ("a", "b", "c", "d"), now)
        for i in range(count)
    ]


def chunks(rows: list[RunRecord], steps: int) -> list[Chunk]:
    """Each run's first chunk with `steps` rows."""
    loss = np.linspace(1.0, 0.1, steps)
    table = np.ones((steps, PARAMS))
    return [(row.id, 0, loss, table, table) for row in rows]


def per_run(batch: Batch, rows: list[RunRecord], grown: list[Chunk]) -> None:
    """One statement per run and kind."""
    for record in rows:
        batch.update_run(record)
    for run_id, start, loss, params, grads in grown:
        batch.append_chunk(run_id, start, loss, params, grads, replace=True)


def together(batch: Batch, rows: list[RunRecord], grown: list[Chunk]) -> None:
    """One statement per kind for every run."""
    batch.update_runs(rows)
    batch.replace_chunks(grown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--flushes", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore.open(f"sqlite:///{Path(folder) / 'runs.db'}")
        rows = records(args.runs)
        with store.batch() as batch:
            for record in rows:
                batch.save_run(record)
            batch.add_chunks(chunks(rows, 1))
        ways: dict[str, Callable[[Batch, list[RunRecord], list[Chunk]], None]] = {
            "per run": per_run,
            "together": together,
        }
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        for flush in range(args.flushes):
            steps = 1 + (flush + 1) * STEPS_PER_FLUSH
            changed = [replace(record, steps_done=steps, last_loss=1.0 / steps) for record in rows]
            grown = chunks(rows, steps)
            for name, write in ways.items():  # interleaved, so the machine's noise hits both
                began = time.thread_time()
                with store.batch() as batch:
                    write(batch, changed, grown)
                seconds[name].append(time.thread_time() - began)
        store.close()
    base = statistics.median(seconds["per run"])
    print(f"{args.runs} runs, {args.flushes} flushes; CPU per flush (median):")
    for name, spent in seconds.items():
        median = statistics.median(spent)
        print(f"  {name:<9} {median * 1000:7.2f} ms  ({median / base:.2f}× per run)")


if __name__ == "__main__":
    main()
