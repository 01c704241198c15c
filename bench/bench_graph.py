"""Time what capturing the autograd graph costs a run: off, on for the frames (30 a second), and on every step.

Run by hand: `.venv/bin/python bench/bench_graph.py [--repeats N]`. A Run-like loop drives each engine's
generator, asking for detail 30 times a second as a Run does and, when capturing, taking exactly those steps
through capture_step. Paths are interleaved so machine noise hits all alike; each prints its median time per
run, per step, and its ratio to the loop without capture (target: at most 1.10 at 30 captures a second).
"""

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from app.engines import ENGINES
from app.engines.base import StepRecord
from app.engines.problem import make_problem
from app.graph.capture import capture_step
from app.run_config import RunConfig

STEPS = 2000
SEED = 1
DETAIL_INTERVAL = 1 / 30


def run_loop(name: str, capture: str) -> Callable[[], int]:
    """A Run's loop without its thread: `capture` is "off", "frames" (the detail steps) or "every" step.
    Returns the number of steps captured."""
    config = RunConfig(engine=name, seed=SEED, steps=STEPS)  # type: ignore[arg-type]
    problem = make_problem(config)
    curve_x = np.linspace(-math.pi, math.pi, 200)

    def go() -> int:
        stream = ENGINES[name].train(config, problem, curve_x)
        records: list[StepRecord] = []
        want: bool | None = None
        last_detail = 0.0
        captured = 0
        for t in range(STEPS):
            if capture == "every" or (capture == "frames" and want is not False):
                record, graph, _ = capture_step(stream, want)
                captured += graph is not None
            else:
                record = stream.send(want)
            records.append(record)
            now = time.monotonic()
            if record.curve is not None:
                last_detail = now
            want = now - last_detail >= DETAIL_INTERVAL or t + 2 >= STEPS
        stream.close()
        return captured

    return go


def compare(name: str, repeats: int) -> None:
    paths = {"capture off": run_loop(name, "off"), "capture 30/s": run_loop(name, "frames")}
    paths["capture every step"] = run_loop(name, "every")
    times: dict[str, list[float]] = {label: [] for label in paths}
    captured: dict[str, list[int]] = {label: [] for label in paths}
    for _ in range(repeats):  # interleaved: every path sees the same machine noise
        for label, fn in paths.items():
            start = time.perf_counter()
            captured[label].append(fn())
            times[label].append(time.perf_counter() - start)
    base = statistics.median(times["capture off"])
    print(f"\n{name}: {STEPS} steps, median of {repeats}")
    for label, samples in times.items():
        median = statistics.median(samples)
        steps = statistics.median(captured[label])
        print(
            f"  {label:<20} {median * 1e3:8.1f} ms  {median / STEPS * 1e6:7.1f} µs/step  {median / base:5.3f}x"
            f"  ({steps:g} steps captured)"
        )
    every = statistics.median(times["capture every step"])
    print(f"  one captured step costs {(every - base) / STEPS * 1e6:.0f} µs more than a plain one")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    torch.set_num_threads(1)
    for name in ("torch-autograd", "torch-mlp"):
        compare(name, repeats)


if __name__ == "__main__":
    main()
