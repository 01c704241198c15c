"""All runs of this server: creation within the limits, look-up, listing and shutdown."""

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from app.config import Settings
from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs.run import Run, RunStateError
from app.runs.stored import AnyRun, HistoryCache, StoredRun
from app.storage.schema import CHUNK_STEPS
from app.storage.store import RunRecord, RunStore, Steps
from app.storage.writer import Writer

log = logging.getLogger(__name__)

LOADED_HISTORIES = 8  # stored runs whose steps stay in memory once viewed
SHUTDOWN_WAIT = 2.0  # seconds shutdown waits for the stopped runs' workers, so their last steps are stored


class ConfigError(ValueError):
    """A run config that is valid in itself but not on this server or with its engine."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class RunManager:
    """Creates runs within the server's limits and keeps the recent ones in memory; with a store, every run is
    written to it as it goes, and the runs stored before are listed (their steps read only when viewed)."""

    def __init__(self, settings: Settings, store: RunStore | None = None) -> None:
        self.settings = settings
        self._runs: dict[str, AnyRun] = {}
        self._slots = threading.Semaphore(settings.max_running_runs)
        self._lock = threading.Lock()
        self._store = store
        self._writer: Writer | None = None
        if store is not None:
            self._histories = HistoryCache(store, LOADED_HISTORIES)
            store.mark_interrupted()  # the server that ran them is gone
            for record in store.load_runs(limit=settings.max_kept_runs):
                if (stored := self._stored(record)) is not None:
                    self._runs[stored.id] = stored
            self._writer = Writer(store, settings.flush_interval, on_stored=self._settle)

    def create(self, config: RunConfig, control_hash: str | None = None) -> Run:
        """Check the config against the limits, then start its run (queued if every slot is busy); whoever holds
        the token hashed to `control_hash` may steer it."""
        limits = self.settings
        engine = ENGINES[config.engine]
        self.check_limits(config)
        if not config.zero_grad and not engine.stores_grads:
            raise ConfigError(
                "zero_grad",
                f"the {engine.name} engine computes fresh gradients every step, so there are none to forget to "
                "zero; pick an engine with autograd to see gradients pile up",
            )
        with self._lock:
            active = sum(not run.ended for run in self._runs.values())
            if active >= limits.max_active_runs:
                raise ConfigError(
                    None,
                    f"this server already has {active} runs queued or running (its max_active_runs); "
                    "stop one or wait for one to end",
                )
            run = Run(
                run_id=self.new_id(),
                config=config,
                engine=engine,
                problem=engine.make_problem(config),
                curve_x=np.linspace(config.x_min, config.x_max, limits.curve_points),
                detail_interval=1.0 / limits.frame_rate,
                max_frames=limits.max_stored_frames,
            )
            run.control_hash = control_hash
            self._runs[run.id] = run
            self._forget_oldest()
        if self._writer is not None:
            self._writer.watch(run)
        run.start(self._slots)
        return run

    def check_limits(self, config: RunConfig) -> None:
        """Raise ConfigError, naming the field, if the config asks for more than this server allows (a new run
        and an imported one alike)."""
        limits = self.settings
        if config.steps > limits.max_steps:
            raise ConfigError("steps", f"steps must be at most {limits.max_steps} (the server's max_steps)")
        if config.points > limits.max_points:
            raise ConfigError("points", f"points must be at most {limits.max_points} (the server's max_points)")

    def delete(self, run: AnyRun) -> None:
        """Forget an ended run, in memory and in the store (stop it first). Blocks up to one flush: call it off the
        event loop."""
        if not run.ended:
            raise RunStateError(f"cannot delete a run that is {run.status}: stop it first")
        if self._writer is not None:
            self._writer.sync()  # an ended run is written whole, then no longer watched: nothing writes it again
        with self._lock:
            self._runs.pop(run.id, None)
        if self._store is not None:
            self._store.delete_run(run.id)

    @staticmethod
    def new_id() -> str:
        """A fresh run id: short enough to read out, random enough not to be guessed."""
        return secrets.token_urlsafe(6)

    def adopt(
        self, record: RunRecord, steps: Steps, graph: tuple[dict[str, Any], dict[str, Any] | None] | None
    ) -> AnyRun:
        """Store an ended run made elsewhere (an imported export) under a new id, and list it with the others."""
        if self._store is None:
            raise ConfigError(None, "this server keeps no store, so it cannot take in a run")
        with self._store.batch() as batch:
            batch.save_run(record)
            for start in range(0, len(steps.loss), CHUNK_STEPS):
                stop = start + CHUNK_STEPS
                batch.append_chunk(
                    record.id, start, steps.loss[start:stop], steps.params[start:stop], steps.grads[start:stop], False
                )
            if graph is not None:
                batch.save_graph(record.id, *graph)
        stored = self._stored(record)
        if stored is None:
            raise ConfigError("run", f"this server has no engine {record.engine!r}")
        with self._lock:
            self._runs[stored.id] = stored
        return stored

    def get(self, run_id: str) -> AnyRun:
        """The run with this id, from memory or else the store; KeyError if there is none."""
        run = self._runs.get(run_id)
        if run is None and self._store is not None and (record := self._store.load_run(run_id)) is not None:
            run = self._stored(record)
        if run is None:
            raise KeyError(run_id)
        return run

    def __iter__(self) -> Iterator[AnyRun]:
        """The runs, newest first."""
        return iter(sorted(self._runs.values(), key=lambda run: run.created_at, reverse=True))

    def flush(self) -> None:
        """Wait until everything recorded so far is in the store (a no-op without one)."""
        if self._writer is not None:
            self._writer.sync()

    def shutdown(self) -> None:
        """Stop every run that is still going; with a store, wait for them briefly and write everything, the
        runs cut off as `interrupted` (blocking: call off the event loop)."""
        going = [run for run in self._runs.values() if not run.ended]
        if self._writer is not None:
            self._writer.interrupt({run.id: run.status for run in going})
        for run in going:
            with contextlib.suppress(RunStateError):
                run.stop()
        if self._writer is not None:
            deadline = time.monotonic() + SHUTDOWN_WAIT
            for run in going:
                run.join(max(0.0, deadline - time.monotonic()))
            self._writer.close()

    def _stored(self, record: RunRecord) -> StoredRun | None:
        assert self._store is not None
        try:
            engine = ENGINES[record.engine]
            return StoredRun(record, engine, self._store, self._histories, self.settings.curve_points)
        except (KeyError, ValueError) as error:  # stored by a version of the app that differs too much
            log.warning("skipping stored run %s: %s", record.id, error)
            return None

    def _settle(self, run: Run) -> None:
        """Once an ended run is stored whole (the writer calls this), keep it as read back from the store instead:
        its History, every step in arrays, leaves memory, and its steps are read again only when viewed."""
        assert self._store is not None
        record = self._store.load_run(run.id)
        stored = self._stored(record) if record is not None else None
        if stored is None:
            return
        with self._lock:
            stored.presenter = run.presenter
            if self._runs.get(run.id) is run:  # not deleted or forgotten meanwhile
                self._runs[run.id] = stored

    def _forget_oldest(self) -> None:
        ended = sorted((r for r in self._runs.values() if r.ended), key=lambda r: r.created_at)
        for run in ended[: max(0, len(self._runs) - self.settings.max_kept_runs)]:
            del self._runs[run.id]
