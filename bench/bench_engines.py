"""Time a 2000-step run through each engine and through a whole Run, against the lecture's bare loop.

Run by hand: `.venv/bin/python bench/bench_engines.py [--repeats N]`. Prints each path's median time per
run and its ratio to the bare loop measured in the same process, interleaved so machine noise hits all alike;
then the memory a 100k-step run's history takes.
"""

import argparse
import math
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import torch
from bench_variants import BARE  # run as a script, bench/ is on the path

from app.engines import ENGINES
from app.engines.problem import make_problem
from app.run_config import RunConfig
from app.runs.run import Run

STEPS = 2000
SEED = 1


def bare(engine: str) -> Callable[[], float]:
    """The tutorial's own loop for this engine (from bench_variants.py), with the same seed and data."""
    config = RunConfig(engine=engine, seed=SEED)  # type: ignore[arg-type]
    return lambda: BARE[engine](config)


def engine_only(name: str) -> Callable[[], float]:
    """Consume the engine's generator alone, asking for a curve 30 times a second like a Run does."""
    config = RunConfig(engine=name, seed=SEED)  # type: ignore[arg-type]
    problem = make_problem(config)
    curve_x = np.linspace(-math.pi, math.pi, 200)

    def go() -> float:
        loss = 0.0
        for record in ENGINES[name].train(config, problem, curve_x):
            loss = record.loss
        return loss

    return go


def whole_run(name: str, steps: int = STEPS, points: int = 2000) -> Callable[[], Run]:
    """A Run in its worker thread: engine, history, divergence checks and frame details at 30/s."""
    config = RunConfig(engine=name, seed=SEED, steps=steps, points=points)  # type: ignore[arg-type]

    def go() -> Run:
        run = Run("bench", config, ENGINES[name], make_problem(config), np.linspace(-3, 3, 200), 1 / 30)
        run.start(threading.Semaphore(1))
        run.join(600)
        assert run.status == "finished", run.message
        return run

    return go


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(label: str, baseline: Callable[[], object], others: dict[str, Callable[[], object]], repeats: int) -> None:
    times: dict[str, list[float]] = {"bare loop": [], **{name: [] for name in others}}
    for _ in range(repeats):  # interleaved: every path sees the same machine noise
        times["bare loop"].append(timed(baseline))
        for name, fn in others.items():
            times[name].append(timed(fn))
    base = statistics.median(times["bare loop"])
    print(f"\n{label}: {STEPS} steps, median of {repeats}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<28} {median * 1e3:8.1f} ms  {median / STEPS * 1e6:7.1f} µs/step  {median / base:5.3f}x")


def history_memory(steps: int = 100_000) -> None:
    tracemalloc.start()
    run = whole_run("numpy", steps=steps, points=16)()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\nhistory of a {steps}-step run: {run.history.nbytes() / 1e6:.2f} MB recorded")
    print(f"  peak traced allocation during the run: {peak / 1e6:.2f} MB (target < 10 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    torch.set_num_threads(1)
    compare(
        "numpy",
        bare("numpy"),
        {"engine generator": engine_only("numpy"), "whole run (thread, history)": whole_run("numpy")},
        repeats,
    )
    compare(
        "torch-autograd",
        bare("torch-autograd"),
        {
            "engine generator": engine_only("torch-autograd"),
            "whole run (thread, history)": whole_run("torch-autograd"),
        },
        repeats,
    )
    history_memory()


if __name__ == "__main__":
    main()
