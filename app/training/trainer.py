"""One run's engine as the scheduler steps it: its pause, single steps, pace and stop, and its divergence check."""

import time
from typing import Any, Literal

import numpy as np

from app.engines import ENGINES
from app.engines.base import StepRecord, StepStream, Weights
from app.engines.code import step_code
from app.engines.mistakes import failure_message
from app.engines.problem import data_key
from app.graph.capture import capture_step
from app.graph.model import BackwardTrace, Graph, graph_shape, graph_values
from app.run_config import RunConfig
from app.training.divergence import divergence_message, finite, ran_away
from app.training.messages import Command, Start, StatusReport, Stepped

COST_WEIGHT = 0.05  # how much one step's measured time moves the run's average cost per step

Turn = Literal["go", "single"]
Report = Stepped | StatusReport  # what a step tells: the step, and a change of status
BatchRow = tuple[RunConfig, Weights, bool]  # what a batched step takes of a run: config, weights, curve wanted
# Commands whose effect the worker reports back (the web process shows a change of status once it is true).
CONFIRMED = frozenset({"pause", "resume", "pace", "hold", "admit"})


class Trainer:
    """Steps one run's engine when the scheduler says; commands arrive between steps, never during one."""

    def __init__(self, start: Start) -> None:
        self.run_id = start.run_id
        self.config = RunConfig.model_validate(start.config)
        self.engine = ENGINES[start.engine]
        self.problem = self.engine.make_problem(self.config)
        grid = np.linspace(self.config.x_min, self.config.x_max, start.curve_points)
        self.curve_x = self.engine.drawing(self.config, self.problem, grid).grid
        self.detail_interval = start.detail_interval
        # Runs with equal keys can take their plain steps together (None: this engine steps each run alone).
        self.batch_key = (
            (start.engine, data_key(self.config), start.curve_points)
            if self.engine.batching is not None and self.engine.batching.takes(self.config)
            else None
        )
        self.watched = start.watched
        self.status = "paused" if start.paused else "running"
        self.seq = start.seq  # the run's commands applied so far
        self.ended = False
        self.cost: float | None = None  # seconds per step (without captures), a running average
        self._plain_measured = False  # whether `cost` is a plain step's yet
        self.thinned = False  # whether the last frame-worthy step went without its graph (no time for it)
        self.capture_time = 0.0  # seconds the last step spent capturing its graph (0: none captured)
        self.took = 0.0  # seconds of CPU the last step took, its capture included
        self._started = False
        self._stream: StepStream | None = None  # the engine's generator, while it stands where the run does
        self._weights: Weights | None = None  # where the run stands, for engines that take steps in batches
        self._t = 0
        self._want_detail: bool | None = None  # the first send must be None; the engine's first record has detail
        self._captured = True  # whether the last step carried its curve and graph (none yet: nothing to show)
        self._step_budget = 0
        # Paused, but the step it holds on (one with its graph) is still to be taken: the status it reports till then.
        self._pausing_from: str | None = None
        self._stop = False
        self._pace_origin = (0.0, 0)
        self._last_detail = 0.0
        self._first_loss: float | None = None
        self._signature: str | None = None  # the graph shape last sent

    # Commands.

    def apply(self, command: Command) -> StatusReport | None:
        """Take a command in (the web process checked it is allowed; one that no longer applies is ignored): the
        report that tells the web process it took effect, when it says so (a pause says so once the run holds)."""
        was = self.status
        self._take_in(command)
        if self.status != "paused":
            self._pausing_from = None
        if command.name not in CONFIRMED:
            return None
        if command.name == "pause" and not self._captured and was != "paused":
            self._pausing_from = was  # reported paused with the step it holds on, which is taken next
            return None
        return self._report()

    def _take_in(self, command: Command) -> None:
        self.seq = command.seq
        if command.name == "pause" and self.status in ("running", "queued"):
            self.status = "paused"
        elif (command.name == "resume" and self.status == "paused") or (
            command.name == "admit" and self.status == "queued"
        ):
            self.status = "running"
            self._pace_origin = (time.monotonic(), self._t)
        elif command.name == "hold" and self.status == "running":
            self.status = "queued"  # held: no turn until admitted again (its engine keeps where it is)
        elif command.name == "step" and self.status == "paused":
            self._step_budget += 1
        elif command.name == "stop":
            self._stop = True
        elif command.name == "pace":
            self.config = self.config.model_copy(update={"pace": command.value})
            self._pace_origin = (0.0, 0)  # the new pace counts from the next step
        elif command.name == "watch":
            self.watched = bool(command.value)
            self._last_detail = 0.0  # a new viewer sees the next step drawn whole

    # When to step.

    @property
    def full_speed(self) -> bool:
        """Whether the run steps whenever it gets a turn (no pace, not paused, nothing pending)."""
        return self.config.pace is None and self.status == "running" and not self._stop

    def due(self, now: float) -> float | None:
        """When the next step may be taken (`now` or earlier: at once); None while held, or paused with nothing
        to do."""
        if self._stop:
            return now
        if self.status == "queued":
            return None
        if self.status == "paused":
            return now if not self._captured or self._step_budget > 0 else None
        pace = self.config.pace
        origin_time, origin_step = self._pace_origin
        if pace is None or self._t == 0 or origin_time == 0.0:
            return now
        return origin_time + (self._t - origin_step) / pace

    def batchable(self, graph_allowed: bool) -> bool:
        """Whether the next step may be taken together with other runs' of the same batch key: a running run's
        step without a graph to capture."""
        return (
            self.batch_key is not None
            and self._started
            and not self._stop
            and self.status == "running"
            and not self._capturing("go", graph_allowed)
        )

    def batch_row(self) -> BatchRow:
        """What the engine's step_many takes of this run for its next step."""
        assert self._weights is not None
        return self.config, self._weights, bool(self._want_detail)

    # One step.

    def advance(self, graph_allowed: bool, batched: tuple[StepRecord, float] | None = None) -> list[Report]:
        """Take the step that is due (or end the run): what to report. `graph_allowed`: whether there is time to
        capture a graph if the step becomes a frame (a step taken by hand, or the last ones, always get one).
        `batched`: the step already taken with other runs' (see `batchable`), and its share of their CPU time."""
        if self._stop:
            return self._end("stopped")
        reports: list[Report] = []
        now = time.monotonic()
        if not self._started:
            self._started = True
            if self.engine.batching is not None:
                self._weights = Weights(0, self.engine.initial_params(self.config))
            reports.append(self._report())  # started: the web process marks it running (or paused)
        turn: Turn = "go"
        if self.status == "paused":
            turn = "single"
            if self._captured:
                self._step_budget -= 1
            self._pace_origin = (now, self._t)
        elif self.config.pace is not None and (self._t == 0 or self._pace_origin[0] == 0.0):
            self._pace_origin = (now, self._t)
        try:
            reports.extend(self._take(turn, graph_allowed, now, batched))
        except Exception as error:  # an engine bug must end its run, never the worker
            reports.extend(self._end("failed", failure_message(error)))
        if self._pausing_from is not None and self._captured and not self.ended:
            self._pausing_from = None
            reports.append(self._report())  # paused, after the step it holds on
        return reports

    def _capturing(self, turn: Turn, graph_allowed: bool) -> bool:
        """Whether the next step captures its graph: a frame's, when there is time, and always the first, the last
        and one taken by hand."""
        detail = self._want_detail
        if detail is False:
            return False
        return graph_allowed or detail is None or turn == "single" or self._t + 1 >= self.config.steps

    def _take(
        self, turn: Turn, graph_allowed: bool, now: float, batched: tuple[StepRecord, float] | None
    ) -> list[Report]:
        if turn == "single" and self._want_detail is False:
            self._want_detail = True  # a step taken by hand while paused is always shown, graph and all
        detail = self._want_detail
        graph: Graph | None = None
        trace: BackwardTrace | None = None
        capturing = self._capturing(turn, graph_allowed)
        if batched is not None:
            record, took = batched
            capturing = False
            if self._stream is not None:  # where the generator stands is no longer where the run does
                self._stream.close()
                self._stream = None
        else:
            cpu = time.thread_time()  # the CPU the step takes, however busy the machine (wall time counts others)
            record, graph, trace = self._record(detail, capturing)
            took = time.thread_time() - cpu
        self.took = took
        self.thinned = detail is not False and not capturing
        # A paused run must hold on a step whose curve and graph were both taken.
        self._captured = detail is not False and capturing
        self.capture_time = took if capturing else 0.0
        # The cost that admission counts is a plain step's (graphs have a budget of their own); until one is
        # measured, a captured step's stands in for it (an upper bound: the first plain step replaces it).
        if self.cost is None or (not capturing and not self._plain_measured):
            self.cost = took
            self._plain_measured = not capturing
        elif not capturing:
            self.cost += COST_WEIGHT * (took - self.cost)
        if not finite(record):  # never recorded: a step that is not a number shows nothing
            return self._end("diverged", divergence_message(record, self._first_loss, self.config.lr))
        stepped = self._stepped(record, graph, trace)
        self._first_loss = record.loss if self._first_loss is None else self._first_loss
        if ran_away(record.loss, self._first_loss):
            return [stepped, *self._end("diverged", divergence_message(record, self._first_loss, self.config.lr))]
        self._t += 1
        if self._weights is not None:
            piled = record.grads if self.engine.stores_grads and not self.config.zero_grad else None
            self._weights = Weights(self._t, record.updated, piled)
        if record.curve is not None:
            self._last_detail = now
        self._want_detail = now - self._last_detail >= self.detail_interval or self._t + 2 >= self.config.steps
        if self._t >= self.config.steps:
            return [stepped, *self._end("finished")]
        return [stepped]

    def _record(self, detail: bool | None, capturing: bool) -> tuple[StepRecord, Graph | None, BackwardTrace | None]:
        """Take one step with the engine's generator: its record, and its graph when `capturing`."""
        send = detail
        if self._stream is None:  # the first step, or the first alone after steps taken in batches
            batching = self.engine.batching
            if batching is not None and self._weights is not None:
                self._stream = batching.resume(self.config, self.problem, self.curve_x, self._weights)
            else:
                self._stream = self.engine.train(self.config, self.problem, self.curve_x)
            send = None  # a generator's first send; its record carries the curve
        if not capturing:  # with its curve or not: a frame without its graph when there is no time for one
            return self._stream.send(send), None, None
        record, graph, trace = capture_step(self._stream, send)
        if graph is None and self.engine.hand_graph is not None:
            code = step_code(self.engine.train)
            graph, trace = self.engine.hand_graph(record, self.problem, self.config, code)
        return record, graph, trace

    def _stepped(self, record: StepRecord, graph: Graph | None, trace: BackwardTrace | None) -> Stepped:
        if graph is None:
            return Stepped(self.run_id, record)
        shape: dict[str, Any] | None = None
        if graph.signature != self._signature:
            shape = graph_shape(graph)
            self._signature = graph.signature
        values = {**graph_values(graph, trace), "step": record.step}
        return Stepped(self.run_id, record, graph.signature, shape, values)

    def _end(self, status: str, message: str | None = None) -> list[Report]:
        self.ended = True
        self._pausing_from = None
        self.status = status
        if self._stream is not None:
            self._stream.close()
        return [self._report(message)]

    def _report(self, message: str | None = None) -> StatusReport:
        status = self._pausing_from or self.status
        return StatusReport(self.run_id, status, self.seq, message, self.cost, self.thinned)

    def report(self) -> StatusReport:
        """The run's status and measured cost as of now."""
        return self._report()
