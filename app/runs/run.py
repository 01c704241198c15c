"""One training run as the web process holds it: what its worker reported (every step, the latest state, its
graphs) and the commands that steer it, which go to the worker that trains it."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, cast

import numpy as np

from app.engines.base import EngineSpec, StepRecord
from app.engines.problem import Problem
from app.graph.model import GraphNow
from app.run_config import RunConfig
from app.runs.history import GraphFrames, History
from app.storage.frames import FoundGraph, GraphFrame
from app.training.messages import Command, CommandName, Graphed, RunReport, StepBatch

# `interrupted`: the server stopped while the run was going (set by the store, never by a live run).
# `unreadable`: a stored run this server cannot read back (app/runs/unreadable.py), never a live run's.
RunStatus = Literal[
    "queued", "running", "paused", "finished", "stopped", "failed", "diverged", "interrupted", "unreadable"
]
ENDED: frozenset[str] = frozenset({"finished", "stopped", "failed", "diverged", "interrupted"})

# Sends a command to the worker that trains the run.
Steer = Callable[[Command], None]


class RunStateError(Exception):
    """A command that the run's current status does not allow."""


@dataclass(frozen=True, slots=True)
class RunNow:
    """A run's state at one moment, replaced whole, so no reader pairs one step's weights with another's status."""

    status: RunStatus = "queued"
    message: str | None = None
    latest: StepRecord | None = None
    curve: np.ndarray | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    thinned: bool = False  # its graph is captured less often than its frames (the workers are short of time)


class Run:
    """A run trained by a worker: it keeps what the worker reports; commands are safe to call from any thread."""

    def __init__(
        self,
        run_id: str,
        config: RunConfig,
        engine: EngineSpec,
        problem: Problem,
        curve_x: np.ndarray,
        detail_interval: float,
        max_frames: int = 1000,
    ) -> None:
        """`max_frames`: the most framed steps whose graph is kept for replay (the server's max_stored_frames)."""
        self.id = run_id
        self.config = config
        self.engine = engine
        self.problem = problem
        self.drawing = engine.drawing(config, problem, curve_x)
        self.curve_x = self.drawing.grid
        self.param_names = engine.names(config)
        self.history = History(config.steps, self.param_names)
        self.control_hash: str | None = None  # sha256 of the token its creator steers it with
        self.client: str | None = None  # who started it (an address), for the per-client limits
        self.class_code: str | None = None  # the class it was started in (app/classes), and by which student
        self.student: str | None = None
        self.presenter: dict[str, object] | None = None  # what the lecturer's screen shows, for followers
        self.created_at = datetime.now(UTC)
        self.now = RunNow()
        self.cost: float | None = None  # seconds of a worker's CPU per step, as last measured
        self.touched = time.monotonic()  # when it was last steered or watched (abandoned runs end)
        # The graphs of the framed steps, the latest among them, for replay and the wire (the writer stores them).
        self.graph_frames = GraphFrames(max_frames)
        self.detail_interval = detail_interval
        self._shapes: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._steer: Steer | None = None  # set once a worker trains it
        self._seq = 0  # status-changing commands sent to its worker
        self._step_wanted = 0  # steps asked for by hand before a worker took it
        self._pausing = False  # paused by a command its worker has not yet said it holds to
        self._pause_seq = 0  # that command's number
        self._watched = False
        self._stop_message: str | None = None  # why a stop came (an abandoned run's is said by the server)
        self._on_change: Callable[[], None] | None = None
        self._on_news: Callable[[], object] | None = None  # once, at the next steps or status (a waiting feed)

    # What readers see: one consistent state.

    @property
    def status(self) -> RunStatus:
        """queued, running, paused, or how it ended."""
        return self.now.status

    @property
    def message(self) -> str | None:
        """Why it waits or how it ended, in a sentence."""
        return self.now.message

    @property
    def latest(self) -> StepRecord | None:
        """The last step recorded."""
        return self.now.latest

    @property
    def curve(self) -> np.ndarray | None:
        """The latest prediction curve."""
        return self.now.curve

    @property
    def started_at(self) -> datetime | None:
        """When a worker took it."""
        return self.now.started_at

    @property
    def ended_at(self) -> datetime | None:
        """When it ended."""
        return self.now.ended_at

    @property
    def thinned(self) -> bool:
        """Whether its graph is captured less often than its frames go out (its worker is short of time)."""
        return self.now.thinned

    @property
    def ended(self) -> bool:
        """Whether the run is over for good."""
        return self.now.status in ENDED

    @property
    def placed(self) -> bool:
        """Whether a worker trains it (or has trained it)."""
        return self._steer is not None

    @property
    def steps_wanted(self) -> int:
        """Steps asked for by hand while it waited paused for a worker."""
        return self._step_wanted

    # Commands, from the event loop or any thread.

    def pause(self, wait: float = 0.0) -> None:
        """Hold the run after its current step, or the one after it when the current one's graph and curve were
        not captured: a paused run shows every view at the step its weights are at. A run its worker trains is
        `paused` once the worker holds it, after that step arrived; wait at most `wait` seconds for that
        (blocking: 0 from the event loop)."""
        deadline = time.monotonic() + wait
        with self._cond:
            self._require({"running", "queued"}, "pause")
            if self.placed:
                self._pausing = True
            else:
                self._publish(status="paused")
            self._send("pause")
            self._pause_seq = self._seq
            while self._pausing and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)

    def resume(self) -> None:
        """Let a paused run go on at its pace (one that never had a worker waits for one again)."""
        with self._cond:
            self._require({"paused"}, "resume")
            self._pausing = False
            self._publish(status="running" if self.placed else "queued")
            self._send("resume")

    def step(self) -> None:
        """Take exactly one step of a paused run."""
        with self._cond:
            self._require({"paused"}, "step")
            if self.placed:
                self._send("step")
            else:
                self._step_wanted += 1
                self._changed()

    def stop(self, message: str | None = None) -> None:
        """End the run after its current step (with `message`, the reason it says it ended)."""
        with self._cond:
            self._require({"queued", "running", "paused"}, "stop")
            if self.placed:
                self._stop_message = message
                self._send("stop")
            else:  # it never trained: it ends here and now
                self._end("stopped", message)

    def set_pace(self, pace: float | None) -> None:
        """Change how many steps a second the run takes (None: as fast as it goes), from the next step on."""
        with self._cond:
            self._require({"queued", "running", "paused"}, "change the pace of")
            self.config = self.config.model_copy(update={"pace": pace})
            self._send("pace", pace)

    def watch(self, watched: bool) -> None:
        """Tell its worker whether anyone watches it (an unwatched run's graphs are captured rarely)."""
        with self._cond:
            self._watched = watched
            self.touched = time.monotonic()
            if self._steer is not None and not self.ended:
                self._steer(Command(self.id, "watch", self._seq, watched))

    def join(self, timeout: float) -> None:
        """Wait for the run to end, at most `timeout` seconds (blocking: call off the event loop)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.ended and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)

    # The run's place in the training workers (the pool calls these).

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` (in the changing thread, holding no lock of the run's: it must not block) whenever the
        run's status changes or it asks for a worker."""
        self._on_change = callback

    def on_news(self, callback: Callable[[], object] | None) -> None:
        """Call `callback` once (in the thread that brings them, the worker's reader or a command's: it must not
        block) when the run's next steps or status arrive; None: not any more."""
        self._on_news = callback

    def place(self, steer: Steer) -> bool:
        """A worker takes the run: it is running (or stays paused) from now on. False if it ended meanwhile."""
        with self._cond:
            if self.ended:
                return False
            self._steer = steer
            status: RunStatus = "paused" if self.status == "paused" else "running"
            self._publish(status=status, message=None, started_at=datetime.now(UTC))
            return True

    def hold(self, message: str) -> bool:
        """Take a running run off its worker's time, queued again with `message` (the server fell behind); False
        if it no longer runs."""
        with self._cond:
            if self.status != "running" or not self.placed or self._pausing:
                return False
            self._publish(status="queued", message=message)
            self._send("hold")
            return True

    def admit(self) -> bool:
        """Let a held run go on where it stopped; False if it is no longer held (paused, stopped meanwhile)."""
        with self._cond:
            if self.status != "queued" or not self.placed or self._pausing:
                return False
            self._publish(status="running", message=None)
            self._send("admit")
            return True

    @property
    def held(self) -> bool:
        """Whether a worker has it but the server holds it queued (it fell behind; it goes on once there is room)."""
        return self.placed and self.status == "queued" and not self._pausing

    def wait_message(self, message: str) -> None:
        """Say why a queued run waits and where it stands."""
        with self._cond:
            if self.status == "queued" and message != self.message:
                self._publish(message=message)

    @property
    def watched(self) -> bool:
        """Whether anyone watches it now."""
        return self._watched

    @property
    def seq(self) -> int:
        """Status-changing commands sent to its worker so far."""
        return self._seq

    # What the worker reports, applied in the thread that reads the bus.

    def apply(self, report: RunReport) -> None:
        """Take in one report of the worker that trains the run."""
        if isinstance(report, StepBatch):
            self._stepped(report)
            return
        with self._cond:
            if report.cost is not None:
                self.cost = report.cost
            if report.status in ENDED:
                message = (self._stop_message or report.message) if report.status == "stopped" else report.message
                self._end(cast(RunStatus, report.status), message)
            elif self._pausing and report.status == "paused" and report.seq >= self._pause_seq:
                # Held, after the pause or a later command that leaves it paused (a step, a pace).
                self._pausing = False
                self._publish(status="paused")
            elif report.seq >= self._seq and report.status != self.status:  # not a report older than a command
                self._publish(status=cast(RunStatus, report.status))
            if report.thinned != self.now.thinned:
                self._publish(thinned=report.thinned)

    def worker_lost(self, message: str) -> None:
        """Its worker is gone: the run ends `failed`, saying why."""
        with self._cond:
            if not self.ended:
                self._end("failed", message)

    def _stepped(self, steps: StepBatch) -> None:
        for graph in steps.graphs:
            self._keep_graph(graph)
        # Before `now`: `latest`'s steps are recorded.
        if steps.loss is None:
            self.history.append(steps.last)
        else:
            self.history.extend(*steps.columns())
        now = self.now  # built field by field: `replace` costs a tenth of a paced step's handling here
        curve = steps.curve if steps.curve is not None else now.curve
        self.now = RunNow(
            status=now.status,
            message=now.message,
            latest=steps.last,
            curve=curve,
            started_at=now.started_at,
            ended_at=now.ended_at,
            thinned=now.thinned,
        )
        self._news()

    def _keep_graph(self, graph: Graphed) -> None:
        if graph.shape is not None:
            self._shapes[graph.signature] = graph.shape
        self.graph_frames.add(graph.step, self._shapes[graph.signature], graph.values)

    # Graphs, as the feed and the replay read them.

    def graph_at(self, step: int) -> FoundGraph | None:
        """The autograd graph of the framed step nearest at or before `step` (None: none captured by then)."""
        return self.graph_frames.at(step)

    def kept_graphs(self) -> tuple[list[GraphFrame], dict[str, dict[str, Any]]]:
        """The graph frames kept for replay, by step, and every shape they have, by signature."""
        state = self.graph_frames.state
        return list(state.frames), dict(state.shapes)

    @property
    def graph_now(self) -> GraphNow | None:
        """The latest autograd graph captured, its shape and its values: from one read of the graph frames' state,
        which is replaced as a whole, so never one step's values with another step's shape."""
        state = self.graph_frames.state
        latest = state.latest
        return (state.shapes[latest["signature"]], cast(dict[str, Any], latest)) if latest is not None else None

    @property
    def graph(self) -> dict[str, Any] | None:
        """The shape of the latest autograd graph captured."""
        now = self.graph_now
        return now[0] if now else None

    @property
    def graph_values(self) -> dict[str, Any] | None:
        """The values of the latest autograd graph captured."""
        now = self.graph_now
        return now[1] if now else None

    # Inside.

    def _send(self, name: CommandName, value: Any = None) -> None:
        self.touched = time.monotonic()
        self._seq += 1
        if self._steer is not None:
            self._steer(Command(self.id, name, self._seq, value))
        self._changed()

    def _publish(self, **changes: Any) -> None:
        self.now = replace(self.now, **changes)
        self._cond.notify_all()
        self._news()

    def _news(self) -> None:
        callback, self._on_news = self._on_news, None
        if callback is not None:
            callback()

    def _end(self, status: RunStatus, message: str | None = None) -> None:
        self._pausing = False
        self._publish(status=status, message=message, ended_at=datetime.now(UTC))
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def _require(self, allowed: set[str], command: str) -> None:
        # A run its worker is pausing takes the commands of a paused one: they reach the worker after the pause.
        status = "paused" if self._pausing else self.status
        if status not in allowed:
            raise RunStateError(f"cannot {command} a run that is {status}")
