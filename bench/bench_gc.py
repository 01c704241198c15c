"""A full garbage collection in a server process, with its start-up objects frozen (as the web process and each
training worker do once started) against not frozen (the baseline), in the same run.

Run by hand from the repository's root: `.venv/bin/python bench/bench_gc.py [--runs 100] [--repeats 5]`. Each
process kind is measured in a fresh interpreter: the web process's modules (app.main) or a worker's (its engines
warmed, as the fork server has them), then --runs paced torch-autograd trainers stepped 60 times with a graph every
tenth step, as a worker carries a class. It prints the objects the collector tracks and the median over --repeats
of a full collection's wall time: every such collection stops the event loop, or every paced run of a worker, for
that long.
"""

import argparse
import json
import statistics
import subprocess
import sys

MEASURE = """
import gc, json, sys, time
kind, runs, repeats, frozen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "frozen"
if kind == "web":
    import app.main
else:
    import app.training.warm  # freezes what the fork server holds, as it does for the workers
gc.unfreeze()
if frozen:  # as app/__main__.py and app/training/warm.py do
    gc.collect()
    gc.freeze()
from app.run_config import RunConfig
from app.training.messages import Start
from app.training.trainer import Trainer
trainers = []
for i in range(runs):
    config = RunConfig.model_validate({"engine": "torch-autograd", "steps": 20000, "pace": 30, "seed": i})
    trainers.append(Trainer(Start(f"r{i}", "torch-autograd", config.model_dump(), 200, 0.1, watched=True)))
for step in range(60):
    for trainer in trainers:
        trainer.advance(step % 10 == 0)
times = []
for _ in range(repeats):
    began = time.perf_counter()
    gc.collect()
    times.append(time.perf_counter() - began)
print(json.dumps({"tracked": len(gc.get_objects()), "times": times}))
"""


def measure(kind: str, frozen: bool, args: argparse.Namespace) -> dict[str, float]:
    """One fresh interpreter's tracked objects and median full-collection seconds."""
    mode = "frozen" if frozen else "not"
    command = [sys.executable, "-c", MEASURE, kind, str(args.runs), str(args.repeats), mode]
    found = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return {"tracked": found["tracked"], "seconds": statistics.median(found["times"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'process':<8}{'start-up objects':<18}{'tracked':>10}{'full collection':>17}{'ratio':>8}")
    for kind in ("web", "worker"):
        baseline = measure(kind, False, args)
        for frozen, figures in ((False, baseline), (True, measure(kind, True, args))):
            ratio = figures["seconds"] / baseline["seconds"]
            print(
                f"{kind:<8}{'frozen' if frozen else 'not frozen':<18}{figures['tracked']:>10}"
                f"{figures['seconds'] * 1000:>14.1f} ms{ratio:>8.3f}"
            )


if __name__ == "__main__":
    main()
