"""All runs of this server: creation within the limits, look-up, listing and shutdown."""

import contextlib
import secrets
import threading
from collections.abc import Iterator

import numpy as np

from app.config import Settings
from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs.run import Run, RunStateError


class ConfigError(ValueError):
    """A run config that is valid in itself but not on this server or with its engine."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class RunManager:
    """Creates runs within the server's limits and keeps the recent ones in memory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._runs: dict[str, Run] = {}
        self._slots = threading.Semaphore(settings.max_running_runs)
        self._lock = threading.Lock()

    def create(self, config: RunConfig) -> Run:
        """Check the config against the limits, then start its run (queued if every slot is busy)."""
        limits = self.settings
        engine = ENGINES[config.engine]
        if not config.zero_grad and not engine.stores_grads:
            raise ConfigError(
                "zero_grad",
                f"the {engine.name} engine computes fresh gradients every step, so there are none to forget to "
                "zero; pick an engine with autograd to see gradients pile up",
            )
        if config.steps > limits.max_steps:
            raise ConfigError("steps", f"steps must be at most {limits.max_steps} (the server's max_steps)")
        if config.points > limits.max_points:
            raise ConfigError("points", f"points must be at most {limits.max_points} (the server's max_points)")
        with self._lock:
            active = sum(not run.ended for run in self._runs.values())
            if active >= limits.max_active_runs:
                raise ConfigError(
                    None,
                    f"this server already has {active} runs queued or running (its max_active_runs); "
                    "stop one or wait for one to end",
                )
            run = Run(
                run_id=secrets.token_urlsafe(6),
                config=config,
                engine=engine,
                problem=engine.make_problem(config),
                curve_x=np.linspace(config.x_min, config.x_max, limits.curve_points),
                detail_interval=1.0 / limits.frame_rate,
            )
            self._runs[run.id] = run
            self._forget_oldest()
        run.start(self._slots)
        return run

    def get(self, run_id: str) -> Run:
        """The run with this id; KeyError if there is none."""
        return self._runs[run_id]

    def __iter__(self) -> Iterator[Run]:
        """The runs, newest first."""
        return iter(sorted(self._runs.values(), key=lambda run: run.created_at, reverse=True))

    def shutdown(self) -> None:
        """Stop every run that is still going (their threads end after their current step)."""
        for run in list(self._runs.values()):
            with contextlib.suppress(RunStateError):
                run.stop()

    def _forget_oldest(self) -> None:
        ended = sorted((r for r in self._runs.values() if r.ended), key=lambda r: r.created_at)
        for run in ended[: max(0, len(self._runs) - self.settings.max_kept_runs)]:
            del self._runs[run.id]
