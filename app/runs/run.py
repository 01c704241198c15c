"""One training run: its engine driven in a worker thread, with pause, step, resume, stop and pace."""

import threading
import time
from datetime import UTC, datetime
from typing import Any, Literal, cast

import numpy as np

from app.engines.base import EngineSpec, StepRecord
from app.engines.code import step_code
from app.engines.problem import Problem
from app.graph.capture import capture_step
from app.graph.model import BackwardTrace, Graph, GraphNow, graph_shape, graph_values
from app.run_config import RunConfig
from app.runs.divergence import divergence_message, finite, ran_away
from app.runs.history import GraphFrames, History
from app.storage.frames import FoundGraph, GraphFrame

# `interrupted`: the server stopped while the run was going (set by the store, never by a live run).
# `unreadable`: a stored run this server cannot read back (app/runs/unreadable.py), never a live run's.
RunStatus = Literal[
    "queued", "running", "paused", "finished", "stopped", "failed", "diverged", "interrupted", "unreadable"
]
ENDED: frozenset[str] = frozenset({"finished", "stopped", "failed", "diverged", "interrupted"})


# The longest single wait for a paced step: a wait is never longer than the platform's timers can count, and a
# pace change or a stop is seen by then at the latest even if its notification were missed.
MAX_WAIT = 1.0
# A run that waits longer than this for its next paced step gives its training slot to another meanwhile (a pace
# under 4 steps/s); a paused run always does. Faster paced runs keep it: taking it back each step costs more.
SLOT_KEEP = 0.25


class RunStateError(Exception):
    """A command that the run's current status does not allow."""


class Run:
    """Trains one config in a thread and records every step; commands are safe to call from any thread."""

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
        self.status: RunStatus = "queued"
        self.message: str | None = None
        self.created_at = datetime.now(UTC)
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.latest: StepRecord | None = None
        self.curve: np.ndarray | None = None
        # The graphs of the framed steps, the latest among them, for replay and the wire (the writer stores them).
        self.graph_frames = GraphFrames(max_frames)
        self._detail_interval = detail_interval
        self._cond = threading.Condition()
        self._stop = False
        self._step_budget = 0
        self._thread: threading.Thread | None = None
        self._slots: threading.Semaphore | None = None
        self._holding = False  # whether the worker holds one of the server's training slots
        self._pace_origin = (0.0, 0)

    # Commands, from the event loop or any thread.

    def start(self, slots: threading.Semaphore) -> None:
        """Start the worker thread; it waits as `queued` until one of the slots is free."""
        self._thread = threading.Thread(target=self._work, args=(slots,), name=f"run-{self.id}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Hold the run after its current step, or the one after it when the current one's graph and curve were
        not captured: a paused run shows every view at the step its weights are at."""
        with self._cond:
            self._require({"running", "queued"}, "pause")
            self.status = "paused"

    def resume(self) -> None:
        """Let a paused run go on at its pace."""
        with self._cond:
            self._require({"paused"}, "resume")
            # A run paused while it waited for a slot goes back to waiting; its worker turns it running.
            self.status = "running" if self.started_at else "queued"
            self._cond.notify_all()

    def step(self) -> None:
        """Take exactly one step of a paused run."""
        with self._cond:
            self._require({"paused"}, "step")
            self._step_budget += 1
            self._cond.notify_all()

    def stop(self) -> None:
        """End the run after its current step."""
        with self._cond:
            self._require({"queued", "running", "paused"}, "stop")
            self._stop = True
            self._cond.notify_all()

    def set_pace(self, pace: float | None) -> None:
        """Change how many steps a second the run takes (None: as fast as it goes), from the next step on."""
        with self._cond:
            self._require({"queued", "running", "paused"}, "change the pace of")
            self.config = self.config.model_copy(update={"pace": pace})
            self._pace_origin = (0.0, 0)  # the new pace counts from the next step
            self._cond.notify_all()

    def join(self, timeout: float) -> None:
        """Wait for the worker thread to end, at most `timeout` seconds (blocking: call off the event loop)."""
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def ended(self) -> bool:
        """Whether the run is over for good."""
        return self.status in ENDED

    def graph_at(self, step: int) -> FoundGraph | None:
        """The autograd graph of the framed step nearest at or before `step` (None: none captured by then)."""
        return self.graph_frames.at(step)

    def kept_graphs(self) -> tuple[list[GraphFrame], dict[str, dict[str, Any]]]:
        """The graph frames kept for replay, by step, and every shape they have, by signature."""
        state = self.graph_frames.state
        return list(state.frames), dict(state.shapes)

    # The worker thread.

    def _work(self, slots: threading.Semaphore) -> None:
        self._slots = slots
        if not self._take_slot():
            self._end("stopped")
            return
        try:
            self.started_at = datetime.now(UTC)
            with self._cond:
                if self.status == "queued":
                    self.status = "running"
            self._train()
        except Exception as error:  # an engine bug must end its run, never the server
            self._end("failed", f"{type(error).__name__}: {error}")
        finally:
            self._let_go()

    def _take_slot(self) -> bool:
        """Wait for a training slot (False if the run is stopped meanwhile); a run that had started waits as
        `queued` and goes back to `running` once it has one."""
        assert self._slots is not None
        while not self._slots.acquire(timeout=0.1):
            if self._stop:
                return False
            with self._cond:
                if self.status == "running":
                    self.status = "queued"
        with self._cond:
            self._holding = True
            if self.status == "queued" and self.started_at is not None:
                self.status = "running"
        return True

    def _let_go(self) -> None:
        """Give the training slot back while the run waits (paused, or a slow pace), so waiting holds none."""
        if self._holding and self._slots is not None:
            self._holding = False
            self._slots.release()

    def _train(self) -> None:
        stream = self.engine.train(self.config, self.problem, self.curve_x)
        last_detail = 0.0
        want_detail: bool | None = None  # the first send must be None; the engine's first record has detail
        first_loss: float | None = None
        captured = True  # whether the last step recorded carried its curve and graph (none yet: nothing to show)
        for t in range(self.config.steps):
            turn = self._wait_turn(t, captured)
            if turn is not None and not self._holding and not self._take_slot():
                turn = None
            if turn is None:
                self._end("stopped")
                return
            if turn == "single" and want_detail is False:
                want_detail = True  # a step taken by hand while paused is always shown, graph and all
            captured = want_detail is not False
            if want_detail is False:
                record = stream.send(want_detail)
            else:  # a step that becomes a frame: its graph and backward pass are captured too
                record, graph, trace = capture_step(stream, want_detail)
                if graph is None and self.engine.hand_graph is not None:
                    code = step_code(self.engine.train)
                    graph, trace = self.engine.hand_graph(record, self.problem, self.config, code)
                if graph is not None:
                    self._keep_graph(record, graph, trace)
            if not finite(record):
                self._diverged(record, first_loss)
                return
            self.history.append(record)
            self.latest = record
            if record.curve is not None:
                self.curve = record.curve
            first_loss = record.loss if first_loss is None else first_loss
            if ran_away(record.loss, first_loss):
                self._diverged(record, first_loss)
                return
            now = time.monotonic()
            if record.curve is not None:
                last_detail = now
            want_detail = now - last_detail >= self._detail_interval or t + 2 >= self.config.steps
        stream.close()
        self._end("finished")

    def _wait_turn(self, t: int, captured: bool = True) -> Literal["go", "single"] | None:
        """Block until step t may run (pause, single steps, pace): "single" for a step taken by hand while
        paused, and for one more step when a pause comes after a step that was not `captured` (so the paused
        run holds on a step with its graph and curve), "go" otherwise, None once the run must stop."""
        if self.config.pace is None and self.status == "running" and not self._stop:
            return "go"  # the hot path takes no lock: a command is seen at the next step
        with self._cond:
            while True:
                if self._stop:
                    return None
                if self.status == "paused":
                    if not captured:
                        captured = True  # that one step, then the pause holds
                        self._pace_origin = (time.monotonic(), t)
                        return "single"
                    if self._step_budget > 0:
                        self._step_budget -= 1
                        self._pace_origin = (time.monotonic(), t)
                        return "single"
                    self._let_go()
                    self._cond.wait()
                    self._pace_origin = (time.monotonic(), t)
                    continue
                pace = self.config.pace
                if pace is None:
                    return "go"
                origin_time, origin_step = self._pace_origin
                if t == 0 or origin_time == 0.0:
                    self._pace_origin = (time.monotonic(), t)
                    return "go"
                delay = origin_time + (t - origin_step) / pace - time.monotonic()
                if delay <= 0:
                    return "go"
                if delay > SLOT_KEEP:
                    self._let_go()
                self._cond.wait(min(delay, MAX_WAIT))

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

    def _keep_graph(self, record: StepRecord, graph: Graph, trace: BackwardTrace | None) -> None:
        shape = self.graph
        if shape is None or shape["signature"] != graph.signature:
            shape = graph_shape(graph)
        self.graph_frames.add(record.step, shape, {**graph_values(graph, trace), "step": record.step})

    def _diverged(self, record: StepRecord, first_loss: float | None) -> None:
        self._end("diverged", divergence_message(record, first_loss, self.config.lr))

    def _end(self, status: RunStatus, message: str | None = None) -> None:
        with self._cond:
            self.message = message
            self.ended_at = datetime.now(UTC)
            self.status = status
            self._cond.notify_all()

    def _require(self, allowed: set[str], command: str) -> None:
        if self.status not in allowed:
            raise RunStateError(f"cannot {command} a run that is {self.status}")
