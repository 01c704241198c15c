"""Whether a worker can carry one more run: measured seconds per step × pace against the worker's time, and a
count of the runs at full speed, which take whatever time is left."""

import math
from dataclasses import dataclass

from app.engines.cost import step_work
from app.run_config import RunConfig

# Before a run of its kind has been measured: a step's fixed cost in Python and torch, and per multiply-add.
PRIOR_STEP = 150e-6
PRIOR_PER_WORK = 5e-9
ESTIMATE_WEIGHT = 0.2  # how much a newly measured run moves the estimate for its kind


# Fields that change what a step computes but not how long it takes.
COST_FREE = frozenset({"lr", "pace", "steps", "seed", "target", "x_min", "x_max", "zero_grad"})


def kind(config: RunConfig) -> str:
    """What a step's cost depends on: runs of one kind cost the same per step."""
    return repr(sorted(config.model_dump(exclude=set(COST_FREE)).items()))


class CostTable:
    """Seconds per step by kind of run, learned from the runs measured so far."""

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}

    def estimate(self, config: RunConfig) -> float:
        """The expected seconds per step of a run with this config."""
        known = self._seconds.get(kind(config))
        return known if known is not None else PRIOR_STEP + PRIOR_PER_WORK * step_work(config)

    def known(self, config: RunConfig) -> bool:
        """Whether a run of this kind has been measured (until then, the estimate is a guess)."""
        return kind(config) in self._seconds

    def learn(self, config: RunConfig, seconds: float) -> None:
        """Take a run's measured cost per step into its kind's estimate."""
        key = kind(config)
        old = self._seconds.get(key)
        self._seconds[key] = seconds if old is None else old + ESTIMATE_WEIGHT * (seconds - old)


@dataclass
class Load:
    """What one worker carries: the share of its time that its paced runs use, and its runs at full speed."""

    paced: float = 0.0
    fast: int = 0
    late: float = 0.0  # the share of its paced steps that ran late lately (it has no room, whatever the costs say)
    ceiling: float = math.inf  # the paced share it was found to carry when it last fell behind (rising again)


def held_message(step: int) -> str:
    """What a run the server held says: it fell behind with the others, and goes on where it is once there is room."""
    return (
        f"waiting: the server fell behind, so this run waits at step {step:,} for room and then goes on; "
        "the runs held first go first"
    )


def waiting_message(full_speed: bool, ahead: int, load: str) -> str:
    """What a queued run says: why it waits and where it stands."""
    place = f"{ahead} {'run waits' if ahead == 1 else 'runs wait'} ahead of this one" if ahead else "next in line"
    return f"waiting: {load}; {place}" if full_speed or load else f"waiting: {place}"
