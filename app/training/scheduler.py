"""Many runs stepped in turn by one thread: paced runs when their step is due, full-speed runs sharing the rest of
the time fairly, paused runs not at all; their steps reported over the worker's channel in batches."""

import heapq
import itertools
import time
from dataclasses import dataclass, field

from app.training.channel import Channel
from app.training.messages import (
    Command,
    Inbound,
    Outbound,
    Shutdown,
    Start,
    StatusReport,
    Stepped,
    WorkerReport,
    batch,
)
from app.training.trainer import Trainer

FLUSH_INTERVAL = 0.004  # seconds between two batches of reports: ~8 batches per frame at 30 frames/s
POLL_INTERVAL = 0.002  # seconds between two looks for commands while runs are stepping
IDLE_WAIT = 1.0  # the longest wait for a command while nothing is due
COST_REPORT_INTERVAL = 1.0  # seconds between two reports of each run's measured cost
FAIR_LEAD = 0.02  # seconds of time used that one full-speed run may be ahead of the others before they catch up
CAPTURE_BURST = 0.05  # seconds of graph capture that may be spent at once after a quiet spell
LATE = 1 / 30  # seconds past its due time after which a paced step counts as late (a frame's time)
BEHIND = 0.005  # seconds the next paced step may be overdue before graphs wait for the steps to catch up
# Seconds early a paced step may be taken to join other runs' steps in one batch (its pace still counts from its
# start: the next one is due no earlier), and the most data points one batch holds (its tensors stay small).
BATCH_AHEAD = 0.008
BATCH_POINTS = 1_000_000


@dataclass(order=True)
class _Entry:
    """A run filed in a queue: paced runs by when their step is due, full-speed runs by the time they have used."""

    key: float
    order: int
    trainer: Trainer = field(compare=False)
    version: int = field(compare=False)


class CaptureBudget:
    """The share of the worker's time that graph captures may take: a bucket of seconds that fills with time."""

    def __init__(self, share: float) -> None:
        self.share = share
        self._seconds = CAPTURE_BURST
        self._then = time.monotonic()

    def allows(self, now: float, watched: bool) -> bool:
        """Whether a capture may be taken now: for a run no one watches (whose graphs only its replay shows), only
        while the budget has more than half of its burst to spare, so the watched runs' graphs go first."""
        self._seconds = min(CAPTURE_BURST, self._seconds + (now - self._then) * self.share)
        self._then = now
        return self._seconds > (0.0 if watched else CAPTURE_BURST / 2)

    def spend(self, seconds: float) -> None:
        """Count a capture's time against the budget (one that took longer than a burst, a one-off stall, counts as
        one burst: it must not starve every graph after it)."""
        self._seconds -= min(seconds, CAPTURE_BURST)


class Scheduler:
    """Steps every run it is given until told to shut down; one instance per worker (process or thread)."""

    def __init__(self, channel: Channel, graph_share: float) -> None:
        self.channel = channel
        self.trainers: dict[str, Trainer] = {}
        self._paced: list[_Entry] = []  # due time
        self._fast: list[_Entry] = []  # CPU time used, so the run that has had least goes next
        self._versions: dict[str, int] = {}
        self._order = itertools.count()
        self._outbox: list[Outbound] = []  # status reports, sent after the steps gathered meanwhile
        self._steps: dict[str, list[Stepped]] = {}  # each run's steps since the last batch
        self._flushed = self._polled = self._costs_reported = time.monotonic()
        self._budget = CaptureBudget(graph_share)
        self._running = True
        self._paced_steps = self._late_steps = 0  # since the last WorkerReport

    def run(self) -> None:
        """Step runs and take commands until a Shutdown comes (or the channel closes)."""
        while self._running:
            now = time.monotonic()
            entry = self._next(now)
            if entry is None:
                self._flush(now)
                self._take_commands(self._wait(now))
                continue
            if now - self._polled >= POLL_INTERVAL:
                self._take_commands(0.0)
                if not self._current(entry):
                    continue
            self._step(entry, now)
            if now - self._flushed >= FLUSH_INTERVAL:
                self._flush(now)
        self._flush(time.monotonic())

    # Which run goes next.

    def _next(self, now: float) -> _Entry | None:
        """The run to step now: a paced run whose step is due, else the full-speed run that has had least time."""
        while self._paced and not self._current(self._paced[0]):
            heapq.heappop(self._paced)
        if self._paced and self._paced[0].key <= now:
            return heapq.heappop(self._paced)
        while self._fast and not self._current(self._fast[0]):
            heapq.heappop(self._fast)
        return heapq.heappop(self._fast) if self._fast else None

    def _wait(self, now: float) -> float:
        """How long to wait for a command before the next paced step is due."""
        return min(IDLE_WAIT, max(0.0, self._paced[0].key - now)) if self._paced else IDLE_WAIT

    def _current(self, entry: _Entry) -> bool:
        return self._versions.get(entry.trainer.run_id) == entry.version

    def _file(self, trainer: Trainer, used: float = 0.0, now: float | None = None) -> None:
        """Put a run back in the queue it belongs to now (none while it is paused or once it has ended)."""
        version = self._versions.get(trainer.run_id, 0) + 1
        self._versions[trainer.run_id] = version
        if trainer.ended:
            del self._versions[trainer.run_id]
            self.trainers.pop(trainer.run_id, None)
            return
        now = time.monotonic() if now is None else now
        if trainer.full_speed:
            # A run that joins the full-speed ones starts level with the one that has had least time so far, and a
            # run whose step took long (a graph, a stall) waits at most FAIR_LEAD for the others to catch up.
            floor = min((e.key for e in self._fast if self._current(e)), default=used)
            key = min(max(used, floor), floor + FAIR_LEAD)
            heapq.heappush(self._fast, _Entry(key, next(self._order), trainer, version))
            return
        due = trainer.due(now)
        if due is not None:
            heapq.heappush(self._paced, _Entry(due, next(self._order), trainer, version))

    # Stepping.

    def _step(self, entry: _Entry, now: float) -> None:
        trainer = entry.trainer
        # Steps go before graphs: while another paced step is overdue, this one is taken without its graph.
        behind = bool(self._paced) and self._paced[0].key < now - BEHIND
        allowed = not behind and self._budget.allows(now, trainer.watched)
        if trainer.batchable(allowed):
            companions = self._companions(trainer, now, behind)
            if companions:  # alone, a run steps with its own generator: quicker than a batch of one
                self._step_together([entry, *companions], now)
                return
        self._count(entry, now)
        self._gather(trainer.advance(allowed))
        if trainer.capture_time:
            self._budget.spend(trainer.capture_time)
        self._refile(entry)

    def _count(self, entry: _Entry, now: float) -> None:
        if not entry.trainer.full_speed:
            self._paced_steps += 1
            self._late_steps += now - entry.key > LATE

    def _refile(self, entry: _Entry) -> None:
        trainer = entry.trainer
        used = entry.key + trainer.took if trainer.full_speed else 0.0
        self._file(trainer, used)

    def _companions(self, first: Trainer, now: float, behind: bool) -> list[_Entry]:
        """The paced runs due within BATCH_AHEAD whose next step can join `first`'s in one batch, taken off their
        queue (a run whose step will capture a graph stays, to be stepped alone)."""
        points = len(first.problem.x)
        room = BATCH_POINTS // points - 1
        joining: list[_Entry] = []
        passed: list[_Entry] = []
        while room > 0 and self._paced and self._paced[0].key <= now + BATCH_AHEAD:
            entry = heapq.heappop(self._paced)
            if not self._current(entry):
                continue
            other = entry.trainer
            allowed = not behind and self._budget.allows(now, other.watched)
            if other.batch_key == first.batch_key and other.batchable(allowed):
                joining.append(entry)
                room -= 1
            else:
                passed.append(entry)
        for entry in passed:
            heapq.heappush(self._paced, entry)
        return joining

    def _step_together(self, group: list[_Entry], now: float) -> None:
        """One step of each run in `group`, taken in one batch by their engine; each run then goes on alone."""
        trainers = [entry.trainer for entry in group]
        first = trainers[0]
        assert first.engine.batching is not None
        cpu = time.thread_time()
        try:
            records = first.engine.batching.step_many(first.problem, [t.batch_row() for t in trainers], first.curve_x)
        except Exception:  # a batch that fails: each run steps alone, and a run whose step fails ends failed
            records = None
        share = (time.thread_time() - cpu) / len(group)
        for i, entry in enumerate(group):
            self._count(entry, now)
            batched = (records[i], share) if records is not None else None
            self._gather(entry.trainer.advance(False, batched))
            self._refile(entry)

    # Commands and reports.

    def _take_commands(self, timeout: float) -> None:
        self._polled = time.monotonic()
        for message in self.channel.receive(timeout):
            self._apply(message)

    def _apply(self, message: Inbound) -> None:
        if isinstance(message, Shutdown):
            for trainer in list(self.trainers.values()):
                trainer.apply(Command(trainer.run_id, "stop", trainer.seq))
                self._gather(trainer.advance(False))
            self.trainers.clear()
            self._running = False
        elif isinstance(message, Start):
            try:
                trainer = Trainer(message)
            except Exception as error:  # a config this worker cannot build: the run fails, the worker goes on
                report = StatusReport(message.run_id, "failed", 0, f"{type(error).__name__}: {error}")
                self._outbox.append(report)
                return
            self.trainers[trainer.run_id] = trainer
            self._file(trainer)
        else:
            found = self.trainers.get(message.run_id)
            if found is not None:
                took_effect = found.apply(message)
                if took_effect is not None:
                    self._outbox.append(took_effect)  # the web process learns the command took effect
                self._file(found)

    def _gather(self, reports: list[Stepped | StatusReport]) -> None:
        for report in reports:
            if isinstance(report, Stepped):
                self._steps.setdefault(report.run_id, []).append(report)
            else:
                self._outbox.append(report)

    def _flush(self, now: float) -> None:
        """Send every run's steps since the last flush, one batch a run, then the status reports (a run's last
        steps before the report that it ended)."""
        if now - self._costs_reported >= COST_REPORT_INTERVAL:
            self._costs_reported = now
            self._outbox.extend(trainer.report() for trainer in self.trainers.values() if trainer.cost is not None)
            late = self._late_steps / self._paced_steps if self._paced_steps else 0.0
            self._outbox.append(WorkerReport(late, self._paced_steps))
            self._paced_steps = self._late_steps = 0
        if self._steps or self._outbox:
            batches: list[Outbound] = [batch(steps) for steps in self._steps.values()]
            self.channel.send(batches + self._outbox)
            self._steps = {}
            self._outbox = []
        self._flushed = now


def serve(channel: Channel, graph_share: float) -> None:
    """Run a scheduler on `channel` until it is told to shut down, then close the channel (the web process's
    reader of it ends: a worker process's pipe closes as the process ends, a worker thread's queue must be told)."""
    try:
        Scheduler(channel, graph_share).run()
    finally:
        channel.close()
