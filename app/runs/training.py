"""The server's training workers: each queued run admitted when a worker can carry it, placed there, steered
through the worker's channel; what the workers report applied to the runs by one reader thread per worker."""

import contextlib
import logging
import math
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from app.config import Settings
from app.runs.admission import CostTable, Load, held_message, kind, waiting_message
from app.runs.run import Run
from app.training import worker as worker_process
from app.training.channel import Channel, ChannelClosed, PipeChannel, queue_pair
from app.training.messages import Command, Shutdown, Start, StatusReport, WorkerReport
from app.training.scheduler import serve

log = logging.getLogger(__name__)

ADMIT_INTERVAL = 0.5  # seconds between two looks at the queue when nothing pokes it (costs are learned meanwhile)
WARM_UP = "app.training.warm"  # imported by the fork server only: importing it steps every engine once
CLOSE_WAIT = 5.0  # seconds a worker is given to stop its runs and end at shutdown
MEASURING = "waiting: the first run of its kind is measuring what one step costs; next in line"
LATE_SHARE = 0.02  # a worker with more of its paced steps late than this takes no more paced runs for now
SHED_SHARE = 0.10  # a worker with more of its paced steps late than this has some of its paced runs held
SHED_AFTER = 2  # ... once it has been so far behind in this many reports (a second each) in a row
CEILING_GROWTH = 1.05  # each second a worker keeps its pace, the paced share it may carry grows by this factor
WORKER_IDLE = 30.0  # seconds a worker with no run waits for one before it ends


def asks(run: Run, costs: CostTable) -> float:
    """The share of a worker's time a paced run asks for: its cost per step (measured, else the estimate for its
    kind) × its pace; a full-speed run's is not a share (they take turns), so 0."""
    pace = run.config.pace
    return (run.cost or costs.estimate(run.config)) * pace if pace is not None else 0.0


def _context() -> Any:
    """Worker processes are forked from a clean server process that has the engines loaded: quick to start, and
    never a fork of the web process's threads."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([worker_process.__name__, WARM_UP])
    return context


@dataclass(eq=False)
class Worker:
    """One worker: its end of the channel, its process (or thread), the runs it trains."""

    number: int
    channel: Channel
    runs: dict[str, Run] = field(default_factory=dict)
    process: BaseProcess | None = None
    thread: threading.Thread | None = None
    reader: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)  # one send at a time
    idle_since: float = field(default_factory=time.monotonic)  # when its last run ended (while it has none)
    late: float = 0.0  # the share of its paced steps that ran late in its last report
    ceiling: float = math.inf  # the paced share it carries without falling behind, as last found (see Training)
    to_hold: list[Run] = field(default_factory=list)  # the runs to hold, as its reader found when it fell behind
    behind: int = 0  # its reports in a row with more than SHED_SHARE of its paced steps late

    def send(self, messages: list[Any]) -> None:
        """Send to the worker (a worker that is gone is noticed by its reader)."""
        with self.lock, contextlib.suppress(ChannelClosed):
            self.channel.send(messages)

    def load(self, costs: CostTable) -> Load:
        """What its runs ask of it now: paused runs nothing, paced runs their cost × pace."""
        load = Load(late=self.late, ceiling=self.ceiling)
        for run in list(self.runs.values()):
            if run.status != "running":
                continue
            if run.config.pace is None:
                load.fast += 1
            else:
                load.paced += asks(run, costs)
        return load


class Training:
    """Admits runs by what the workers can carry (measured cost per step × pace) and trains them there."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.costs = CostTable()
        self._workers: list[Worker] = []
        self._waiting: list[Run] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._numbers = 0
        self._admitter: threading.Thread | None = None
        self._incoming: deque[Run] = deque()  # submitted, not yet seen by the admission thread
        self._warming = False

    def submit(self, run: Run) -> None:
        """Queue a run; it starts as soon as a worker can carry it (never waiting here for a worker to start)."""
        run.on_change(self._wake.set)
        self._incoming.append(run)
        self._run_admission()

    def warm(self) -> None:
        """Start the workers now, in the background, so the first run needs not wait for one."""
        self._warming = True
        self._run_admission()

    def _run_admission(self) -> None:
        with self._lock:
            if self._admitter is None and not self._closing:
                self._admitter = threading.Thread(target=self._admit_loop, name="run-admission", daemon=True)
                self._admitter.start()
        self._wake.set()

    def close(self) -> None:
        """Stop every worker (their runs end `stopped`) and wait for them briefly (blocking)."""
        with self._lock:
            self._closing = True
            admitter = self._admitter
        self._wake.set()
        if admitter is not None:  # it starts no worker once it has seen the server closing
            admitter.join(CLOSE_WAIT)
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.send([Shutdown()])
        for worker in workers:
            for thread in (worker.reader, worker.thread):
                if thread is not None:
                    thread.join(CLOSE_WAIT)
            if worker.process is not None:
                worker.process.join(CLOSE_WAIT)
                if worker.process.is_alive():
                    worker.process.kill()

    # Admission.

    def _admit_loop(self) -> None:
        """The one thread that starts workers and places runs, so a worker's start holds up no request."""
        while not self._closing:
            self._wake.wait(ADMIT_INTERVAL)
            self._wake.clear()
            try:
                if self._warming:
                    while not self._closing and len(self._workers) < self._worker_count():
                        self._start_worker()
                    self._warming = False
                self._admit()
                self._retire_idle()
            except Exception:  # a worker that cannot start: the runs wait, and the next look tries again
                log.exception("training: admitting runs failed")

    def _retire_idle(self) -> None:
        """End the workers that have trained nothing for WORKER_IDLE seconds: an idle server holds no process
        (a new worker is forked from the warm fork server in milliseconds when runs come)."""
        now = time.monotonic()
        with self._lock:
            idle = [w for w in self._workers if not w.runs and now - w.idle_since >= WORKER_IDLE]
            for worker in idle:
                self._workers.remove(worker)  # no run is placed on it any more
        for worker in idle:
            worker.send([Shutdown()])

    def _admit(self) -> None:
        """Place every queued run a worker can carry now, in the order they came; tell the others where they
        stand. A paced run waits only behind paced runs, a full-speed run only behind full-speed ones."""
        while self._incoming:
            self._waiting.append(self._incoming.popleft())
        for late in list(self._workers):
            chosen, late.to_hold = late.to_hold, []
            for run in chosen:
                run.hold(held_message(run.latest.step + 1 if run.latest else 0))
        self._waiting = [run for run in self._waiting if not run.ended and not run.placed]
        loads = {worker: worker.load(self.costs) for worker in list(self._workers)}
        ahead = {True: 0, False: 0}
        # Kinds of paced run being measured: until the first one's cost is known, the others of its kind wait (a
        # class's runs all come at once, and a guess of their cost could let in far more than the workers carry).
        measuring = {
            kind(run.config)
            for w in loads
            for run in list(w.runs.values())  # its reader thread removes the runs that end
            if run.status == "running" and not self.costs.known(run.config)  # a paused one measures nothing
        }
        # The runs held when a worker fell behind go on first, each on its own worker (its engine is there).
        for holder, load in loads.items():
            for run in list(holder.runs.values()):
                if not run.held:
                    continue
                if not self._closing and self._fits(run, load, loads) and run.admit():
                    self._charge(run, load)
                else:
                    ahead[run.config.pace is None] += 1
        for run in self._waiting:
            if self._closing:
                return
            stepping = run.status == "paused" and run.steps_wanted > 0  # a step by hand costs next to nothing
            if run.status != "queued" and not stepping:
                continue
            fast = run.config.pace is None
            unmeasured = not fast and not stepping and kind(run.config) in measuring
            worker = None if (ahead[fast] or unmeasured) and not stepping else self._room(run, loads)
            if worker is None:
                why = MEASURING if unmeasured and not ahead[fast] else self._why_waiting(fast, ahead[fast], loads)
                run.wait_message(why)
                ahead[fast] += 1
                continue
            self._place(run, worker, loads)
            if not self.costs.known(run.config):
                measuring.add(kind(run.config))
        self._waiting = [run for run in self._waiting if not run.placed]

    def _room(self, run: Run, loads: dict[Worker, Load]) -> Worker | None:
        """The worker that can best carry this run, starting one if there is room for another; None if none can."""
        if not loads or (
            len(loads) < self._worker_count() and not self._fits(run, min(loads.values(), key=_busy), loads)
        ):
            loads[self._start_worker()] = Load()
        worker = min(loads, key=lambda w: _busy(loads[w]))
        return worker if self._fits(run, loads[worker], loads) else None

    def _fits(self, run: Run, load: Load, loads: dict[Worker, Load]) -> bool:
        if run.status == "paused":
            return True
        if run.config.pace is None:  # the server's full-speed runs, on whichever workers
            return sum(other.fast for other in loads.values()) < self.settings.max_running_runs
        if load.paced == 0.0:
            return True
        room = min(self.settings.training_share, load.ceiling)
        return load.paced + asks(run, self.costs) <= room and load.late <= LATE_SHARE

    def _place(self, run: Run, worker: Worker, loads: dict[Worker, Load]) -> None:
        steps = run.steps_wanted
        if not run.place(lambda command: worker.send([command])):
            return
        worker.runs[run.id] = run
        worker.idle_since = math.inf
        start = Start(
            run.id,
            run.engine.name,
            run.config.model_dump(),
            len(run.curve_x),
            run.detail_interval,
            paused=run.status == "paused",
            watched=run.watched,
            seq=run.seq,
        )
        worker.send([start, *(Command(run.id, "step", run.seq) for _ in range(steps))])
        if run.status == "running":
            self._charge(run, loads[worker])

    def _charge(self, run: Run, load: Load) -> None:
        """Count a run just set going in its worker's load."""
        if run.config.pace is None:
            load.fast += 1
        else:
            load.paced += asks(run, self.costs)

    def _why_waiting(self, fast: bool, ahead: int, loads: dict[Worker, Load]) -> str:
        if fast:
            going = sum(load.fast for load in loads.values())
            what = f"{going} full-speed {'run trains' if going == 1 else 'runs train'} (at most "
            return waiting_message(True, ahead, what + f"{self.settings.max_running_runs} at once)")
        share = min((load.paced for load in loads.values()), default=0.0)
        return waiting_message(False, ahead, f"the paced runs use {share:.0%} of the training time")

    def _worker_count(self) -> int:
        return max(1, self.settings.training_processes)

    # Workers.

    def _start_worker(self) -> Worker:
        self._numbers += 1
        share = self.settings.graph_share
        if self.settings.training_processes == 0:
            mine, theirs = queue_pair()
            thread = threading.Thread(target=serve, args=(theirs, share), name="run-training", daemon=True)
            worker = Worker(self._numbers, mine, thread=thread)
            thread.start()
        else:
            context = _context()
            here, there = context.Pipe(duplex=True)
            process = context.Process(
                target=worker_process.main, args=(there, share), name=f"training-{self._numbers}", daemon=True
            )
            process.start()
            there.close()
            worker = Worker(self._numbers, PipeChannel(here), process=process)
        worker.reader = threading.Thread(target=self._read, args=(worker,), name=f"training-{worker.number}-reader")
        worker.reader.daemon = True
        worker.reader.start()
        with self._lock:
            self._workers.append(worker)
        return worker

    def _read(self, worker: Worker) -> None:
        """Apply what the worker reports to its runs, until it is gone."""
        try:
            while True:
                self._apply(worker, worker.channel.receive(None))
        except ChannelClosed:
            pass
        except Exception:  # a report that cannot be applied must not leave the runs waiting for ever
            log.exception("training worker %d: its reports could not be applied", worker.number)
        self._lost(worker)

    def _apply(self, worker: Worker, reports: Iterable[Any]) -> None:
        ended = False
        for report in reports:
            if isinstance(report, WorkerReport):
                if report.paced_steps:
                    worker.late = report.late
                    self._keep_pace(worker)
                continue
            run = worker.runs.get(report.run_id)
            if run is None:
                continue
            run.apply(report)
            if isinstance(report, StatusReport):
                if report.cost is not None:
                    self.costs.learn(run.config, report.cost)
                if run.ended:
                    worker.runs.pop(run.id, None)
                    if not worker.runs:
                        worker.idle_since = time.monotonic()
                    ended = True
        if ended:
            self._wake.set()

    def _keep_pace(self, worker: Worker) -> None:
        """After a worker's report: one that fell behind has its newest paced runs held (queued again, kept where
        they are) until what is left keeps its pace, and carries no more than that for now; one that keeps its pace
        may carry a little more each second, up to `training_share`. (The costs say what a run asks; lateness says
        what the machine gave: less than asked when the web process is busy, or other programs are.)"""
        if worker.late <= LATE_SHARE:
            worker.behind = 0
            worker.ceiling = worker.ceiling * CEILING_GROWTH
            if worker.ceiling >= self.settings.training_share:
                worker.ceiling = math.inf
            return
        if worker.late <= SHED_SHARE:
            worker.behind = 0
            return
        worker.behind += 1
        if worker.behind < SHED_AFTER:  # one bad second (a collection, a storm of new viewers) holds no run
            return
        load = worker.load(self.costs)
        paced = [r for r in list(worker.runs.values()) if r.status == "running" and r.config.pace is not None]
        # The more it falls behind, the more go at once; one keeps going, whatever happens.
        shed = min(len(paced) - 1, max(1, round(len(paced) * worker.late / 4)))
        chosen = paced[len(paced) - shed :][::-1]
        for run in chosen:
            load.paced -= asks(run, self.costs)
        worker.ceiling = min(worker.ceiling, max(load.paced, 0.0))
        worker.behind = 0  # the runs left get two seconds to show they keep their pace before more are held
        worker.to_hold = chosen  # held by the admission thread: this reader must never wait on a send to its worker
        self._wake.set()

    def _lost(self, worker: Worker) -> None:
        """A worker that ended: its runs fail, saying so, unless the server is stopping them anyway."""
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
        code = None
        if worker.process is not None:
            worker.process.join(CLOSE_WAIT)  # its pipe closes as it dies: wait for its exit code
            code = worker.process.exitcode
        for run in list(worker.runs.values()):
            run.worker_lost(
                "the server is shutting down"
                if self._closing
                else f"the training worker ended unexpectedly (exit code {code}); the steps it reported are kept"
            )
        worker.runs.clear()
        self._wake.set()


def _busy(load: Load) -> tuple[int, float]:
    return (load.fast, load.paced)
