"""All runs of this server: creation within the limits, look-up, listing and shutdown."""

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from app.config import Settings
from app.engines import ENGINES
from app.engines.cost import step_work
from app.engines.switches import refused_switch
from app.formula import FormulaError, compile_formula
from app.run_config import RunConfig, unused_fields
from app.runs.read_back import read_back
from app.runs.run import Run, RunStateError
from app.runs.stored import AnyRun, HistoryCache, StoredRun
from app.runs.training import Training
from app.runs.unreadable import UnreadableRun, UnreadableRunError, aware, describe, shorten
from app.runs.writer import Writer
from app.storage.frames import GraphFrame, save_frames, save_shapes
from app.storage.rows import BrokenRow, read_run, read_runs
from app.storage.schema import CHUNK_STEPS
from app.storage.store import RunRecord, RunStore, Steps

log = logging.getLogger(__name__)

LOADED_HISTORIES = 8  # stored runs whose steps stay in memory once viewed
SHUTDOWN_WAIT = 2.0  # seconds shutdown waits for the stopped runs' workers, so their last steps are stored


class ConfigError(ValueError):
    """A run config that is valid in itself but not on this server or with its engine."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class ClientLimitError(Exception):
    """One client asks for more runs at once than the server gives anyone (a 429: it may ask again later)."""


class RunManager:
    """Creates runs within the server's limits and keeps the recent ones in memory; with a store, every run is
    written to it as it goes, and the runs stored before are listed (their steps read only when viewed)."""

    def __init__(self, settings: Settings, store: RunStore | None = None) -> None:
        self.settings = settings
        self._runs: dict[str, AnyRun] = {}
        self._unreadable: dict[str, UnreadableRun] = {}  # stored runs listed with why they cannot be read
        self.training = Training(settings)
        self._lock = threading.Lock()
        # Bumped whenever a run is added to the list or leaves it (created, imported, deleted, forgotten), so a
        # cache of the list knows it is stale without looking at every run.
        self.generation = 0
        self._store = store
        self._writer: Writer | None = None
        if store is not None:
            self._histories = HistoryCache(store, LOADED_HISTORIES)
            store.mark_interrupted()  # the server that ran them is gone
            for row in read_runs(store, limit=settings.max_kept_runs):
                self._keep(self._stored(row))
            self._writer = Writer(store, settings.flush_interval, on_stored=self._settle)

    def create(
        self,
        config: RunConfig,
        control_hash: str | None = None,
        client: str | None = None,
        class_code: str | None = None,
        student: str | None = None,
    ) -> Run:
        """Check the config against the limits, then start its run (queued if every slot is busy); whoever holds
        the token hashed to `control_hash` may steer it. `client` (an address, or a student of a class) may have
        at most max_runs_per_client runs going at once (ClientLimitError past it). `class_code` and `student`:
        the class it is started in and by whom (stored with it)."""
        limits = self.settings
        engine = ENGINES[config.engine]
        self.check_limits(config)
        refused = refused_switch(config)
        if refused is not None:
            raise ConfigError(*refused)
        with self._lock:
            going = [run for run in self._runs.values() if not run.ended]
            mine = sum(isinstance(run, Run) and run.client == client for run in going) if client else 0
            if mine >= limits.max_runs_per_client:
                raise ClientLimitError(
                    f"you already have {mine} runs queued, running or paused (this server's max_runs_per_client): "
                    "stop one or wait for one to end"
                )
            active = len(going)
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
            run.client = client
            run.class_code, run.student = class_code, student
            self._runs[run.id] = run
            self._forget_oldest()
            self.generation += 1
        if self._writer is not None:
            self._writer.watch(run)
        self.training.submit(run)
        return run

    def check_limits(self, config: RunConfig) -> None:
        """Raise ConfigError, naming the field, if the config asks for more than this server allows (a new run
        and an imported one alike). Steps the engine chose itself, not sent (dynamic-net's 30000), are brought down
        to the server's max_steps instead: nobody asked for more."""
        limits = self.settings
        if config.steps > limits.max_steps and "steps" not in config.model_fields_set:
            config.steps = limits.max_steps
        if config.steps > limits.max_steps:
            raise ConfigError("steps", f"steps must be at most {limits.max_steps} (the server's max_steps)")
        if config.points > limits.max_points:
            raise ConfigError("points", f"points must be at most {limits.max_points} (the server's max_points)")
        work = step_work(config)
        if work > limits.max_step_work:
            field = "layers" if config.engine == "torch-mlp" else "points"
            raise ConfigError(
                field,
                f"one step of this run is about {work:.3g} multiply-adds (points × the network's size), more than "
                f"this server's max_step_work ({limits.max_step_work:.3g}): use fewer points or smaller layers",
            )
        if "target" not in unused_fields(config.engine):
            try:  # only now, with the points known to fit: on the data in the run's precision, and where it is drawn
                formula = compile_formula(config.target)
                data = formula.check_finite_on(np.linspace(config.x_min, config.x_max, config.points))
                formula.check_finite_on(np.linspace(config.x_min, config.x_max, limits.curve_points))
            except FormulaError as error:
                raise ConfigError("target", str(error)) from None
            with np.errstate(over="ignore"):  # an overflow here is what the check looks for
                fits = np.isfinite(data.astype(config.dtype)).all()
            if not fits:
                raise ConfigError("target", f"the target's values do not fit in {config.dtype}: {config.target}")

    def delete(self, run: AnyRun | UnreadableRun) -> None:
        """Forget an ended run, in memory and in the store (stop it first). Blocks up to one flush: call it off the
        event loop."""
        if not run.ended:
            raise RunStateError(f"cannot delete a run that is {run.status}: stop it first")
        if self._writer is not None:
            self._writer.sync()  # an ended run is written whole, then no longer watched: nothing writes it again
        with self._lock:
            self._runs.pop(run.id, None)
            self._unreadable.pop(run.id, None)
            self.generation += 1
        if self._store is not None:
            self._store.delete_run(run.id)

    @staticmethod
    def new_id() -> str:
        """A fresh run id: short enough to read out, random enough not to be guessed."""
        return secrets.token_urlsafe(6)

    def adopt(
        self,
        record: RunRecord,
        steps: Steps,
        graph: tuple[dict[str, Any], dict[str, Any] | None] | None,
        frames: Sequence[GraphFrame] = (),
        shapes: Mapping[str, dict[str, Any]] | None = None,
    ) -> StoredRun:
        """Store an ended run made elsewhere (an imported export) under a new id, and list it with the others:
        checked first as a stored run is read back, then its row, steps, graphs and kept graph frames written in
        one transaction (all of it or none of it). ConfigError, naming the field, if it would not read back."""
        if self._store is None:
            raise ConfigError(None, "this server keeps no store, so it cannot take in a run")
        stored = self._stored(record)
        if isinstance(stored, UnreadableRun):
            raise ConfigError("run", stored.reason)
        with self._store.batch() as batch:
            batch.save_run(record)
            for start in range(0, len(steps.loss), CHUNK_STEPS):
                stop = start + CHUNK_STEPS
                batch.append_chunk(
                    record.id, start, steps.loss[start:stop], steps.params[start:stop], steps.grads[start:stop], False
                )
            if graph is not None:
                batch.save_graph(record.id, *graph)
            save_shapes(batch, record.id, shapes or {})
            save_frames(batch, record.id, frames)
        self._keep(stored)
        return stored

    def get(self, run_id: str) -> AnyRun:
        """The run with this id, from memory or else the store; KeyError if there is none, UnreadableRunError
        (a KeyError) if its stored row cannot be read."""
        with self._lock:
            run = self._runs.get(run_id)
        if run is not None:
            return run
        found: AnyRun | UnreadableRun | None = self._unreadable.get(run_id)
        if found is None and self._store is not None and (row := read_run(self._store, run_id)) is not None:
            found = self._stored(row)
        if isinstance(found, UnreadableRun):
            raise UnreadableRunError(found)
        if found is None:
            raise KeyError(run_id)
        return found

    def __iter__(self) -> Iterator[AnyRun]:
        """The runs that can be read, newest first."""
        with self._lock:
            runs = list(self._runs.values())
        return iter(sorted(runs, key=lambda run: aware(run.created_at), reverse=True))

    def listing(self) -> list[AnyRun | UnreadableRun]:
        """Every run this server remembers, those that cannot be read among them, newest first."""
        with self._lock:
            listed: list[AnyRun | UnreadableRun] = [*self._runs.values(), *self._unreadable.values()]
        return sorted(listed, key=lambda run: aware(run.created_at), reverse=True)

    def flush(self) -> None:
        """Wait until everything recorded so far is in the store (a no-op without one)."""
        if self._writer is not None:
            self._writer.sync()

    def shutdown(self) -> dict[str, str]:
        """Stop every run that is still going; with a store, wait for them briefly and write everything, the
        runs cut off as `interrupted` (blocking: call off the event loop). The runs it stopped, each with the
        status it had (what its `interrupted` message names); a second call finds none."""
        with self._lock:
            going = [run for run in self._runs.values() if not run.ended]
        statuses: dict[str, str] = {run.id: run.status for run in going}
        if self._writer is not None:
            self._writer.interrupt(statuses)
        for run in going:
            with contextlib.suppress(RunStateError):
                run.stop()
        if self._writer is not None:
            deadline = time.monotonic() + SHUTDOWN_WAIT
            for run in going:
                run.join(max(0.0, deadline - time.monotonic()))
        self.training.close()
        if self._writer is not None:
            self._writer.close()
        return statuses

    def reap(self) -> list[str]:
        """Stop every run left paused or queued with no viewer and no command for abandon_after seconds, saying
        why: the runs it stopped."""
        limit = self.settings.abandon_after
        now = time.monotonic()
        with self._lock:
            idle = [
                run
                for run in self._runs.values()
                if isinstance(run, Run)
                and run.status in {"paused", "queued"}
                and not run.watched
                and now - run.touched >= limit
            ]
        stopped = []
        for run in idle:
            with contextlib.suppress(RunStateError):  # it ended or moved on meanwhile
                run.stop(
                    f"Stopped after {_duration(limit)} {run.status} with no one watching or steering it, so that "
                    "others may train."
                )
                stopped.append(run.id)
        return stopped

    def _stored(self, row: RunRecord | BrokenRow) -> StoredRun | UnreadableRun:
        """The stored run of a row, or, when this server cannot read it as one, an UnreadableRun saying why."""
        assert self._store is not None
        if isinstance(row, BrokenRow):
            return UnreadableRun(row.id, row.engine, shorten(row.reason), row.created_at, row.control_hash)
        try:
            engine = read_back(row, self.check_limits, self.settings.max_steps)
            return StoredRun(row, engine, self._store, self._histories, self.settings.curve_points)
        except Exception as error:  # stored by another version of the app, over today's limits, or damaged
            reason = describe(error)
            log.warning("stored run %s cannot be read: %s", row.id, reason)
            return UnreadableRun(row.id, row.engine, reason, row.created_at, row.control_hash, row.steps_done)

    def _keep(self, run: StoredRun | UnreadableRun) -> None:
        with self._lock:
            if isinstance(run, UnreadableRun):
                self._unreadable[run.id] = run
            else:
                self._runs[run.id] = run
                self._forget_oldest()  # imports, like new runs, keep at most max_kept_runs in memory
            self.generation += 1

    def _settle(self, run: Run) -> None:
        """Once an ended run is stored whole (the writer calls this), keep it as read back from the store instead:
        its History, every step in arrays, leaves memory, and its steps are read again only when viewed."""
        assert self._store is not None
        row = read_run(self._store, run.id)
        stored = self._stored(row) if row is not None else None
        if not isinstance(stored, StoredRun):  # it reads back as no run: keep the live one, as it is
            return
        with self._lock:
            stored.presenter = run.presenter
            if self._runs.get(run.id) is run:  # not deleted or forgotten meanwhile
                self._runs[run.id] = stored

    def _forget_oldest(self) -> None:
        ended = sorted((r for r in self._runs.values() if r.ended), key=lambda r: aware(r.created_at))
        for run in ended[: max(0, len(self._runs) - self.settings.max_kept_runs)]:
            del self._runs[run.id]


def _duration(seconds: float) -> str:
    """A wait in words: '10 minutes', '45 s'."""
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} s"
