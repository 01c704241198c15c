"""Paced runs on the same data stepped together: the CPU a plain step takes per run, each run's own generator
stepping it (the baseline) against the engine's step_many for batches of N runs, in the same run.

Run by hand from the repository's root: `.venv/bin/python bench/bench_batch.py [--engine torch-autograd]
[--sizes 1 10 50 100 300] [--steps 600] [--repeats 3]`. Every run has its own learning rate and seed, half of
them the mean loss and a third without zero_grad, as a class's runs do; each batched step asks for every run's
curve (a watched run's frame). It prints, for each batch size, the median over --repeats of the CPU seconds per
run-step, and its ratio to the generator's measured in the same run (interleaved: generator, then each size,
repeated). Torch on one thread, as the training workers run it.
"""

import argparse
import statistics
import time

import numpy as np
import torch

from app.engines import ENGINES
from app.engines.base import Weights
from app.engines.problem import make_problem
from app.run_config import RunConfig

BATCHED = [name for name, spec in ENGINES.items() if spec.batching is not None]
CURVE_POINTS = 200


def configs(engine: str, count: int) -> list[RunConfig]:
    """A class's runs: their own seeds and learning rates, both losses, zero_grad on and off."""
    return [
        RunConfig(
            engine=engine,
            steps=1_000_000,
            seed=i,
            learning_rate=1e-7 * (1 + i % 10),
            reduction="mean" if i % 2 else "sum",
            zero_grad=i % 3 != 0,
        )
        for i in range(count)
    ]


def alone(engine: str, steps: int) -> float:
    """CPU seconds per step of one run's generator, each step asking for its curve."""
    (config,) = configs(engine, 1)
    problem = make_problem(config)
    stream = ENGINES[engine].train(config, problem, np.linspace(config.x_min, config.x_max, CURVE_POINTS))
    next(stream)
    start = time.thread_time()
    for _ in range(steps):
        stream.send(True)
    return (time.thread_time() - start) / steps


def together(engine: str, size: int, steps: int) -> float:
    """CPU seconds per run-step of `size` runs stepped by step_many, each carrying its curve."""
    spec = ENGINES[engine]
    assert spec.batching is not None
    runs = configs(engine, size)
    problem = make_problem(runs[0])
    curve_x = np.linspace(runs[0].x_min, runs[0].x_max, CURVE_POINTS)
    standing = [Weights(0, spec.initial_params(config)) for config in runs]
    rounds = max(3, steps // size)
    start = time.thread_time()
    for _ in range(rounds):
        rows = [(config, weights, True) for config, weights in zip(runs, standing, strict=True)]
        records = spec.batching.step_many(problem, rows, curve_x)
        standing = [
            Weights(r.step + 1, r.updated, r.grads if spec.stores_grads and not c.zero_grad else None)
            for c, r in zip(runs, records, strict=True)
        ]
    return (time.thread_time() - start) / (rounds * size)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=BATCHED, default="torch-autograd")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50, 100, 300])
    parser.add_argument("--steps", type=int, default=600, help="run-steps measured per size and repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    alone(args.engine, 20), together(args.engine, 2, 20)  # warm up torch's dispatch and caches
    base: list[float] = []
    batched: dict[int, list[float]] = {size: [] for size in args.sizes}
    for _ in range(args.repeats):
        base.append(alone(args.engine, args.steps))
        for size in args.sizes:
            batched[size].append(together(args.engine, size, args.steps))
    baseline = statistics.median(base)
    points = make_problem(configs(args.engine, 1)[0]).x.size
    print(f"{args.engine}, {points} points, curve of {CURVE_POINTS}; CPU per run-step")
    print(f"{'stepped':>12} {'µs/run-step':>12} {'ratio':>7}")
    print(f"{'alone (gen)':>12} {baseline * 1e6:12.1f} {1.0:7.2f}")
    for size, seconds in batched.items():
        value = statistics.median(seconds)
        print(f"{'batch ' + str(size):>12} {value * 1e6:12.1f} {value / baseline:7.2f}")


if __name__ == "__main__":
    main()
