"""Imported once by the fork server that worker processes are forked from: every engine steps and captures its
graph twice, so the lazy imports and caches of a first step (torch's optimizers load their compiler, the step code
is read from source) are paid here, once, and never by a run's first step in a new worker."""

import gc

from app.engines import ENGINES
from app.run_config import RunConfig
from app.training.messages import Start
from app.training.trainer import Trainer


def warm_up() -> None:
    """Two captured steps of every engine on a tiny problem."""
    for name in ENGINES:
        config = RunConfig.model_validate({"engine": name, "steps": 2, "points": 4})
        trainer = Trainer(Start("warm-up", name, config.model_dump(), 4, 0.0, watched=True))
        while not trainer.ended:
            trainer.advance(True)


warm_up()
# The modules and the warmed engines live as long as every worker forked from here: frozen out of the collector's
# sight before the forks, a worker's full collection never scans them (under a millisecond, not 100 ms of its
# paced runs' time; bench/bench_gc.py), and never writes to the pages it shares with the fork server.
gc.collect()
gc.freeze()
