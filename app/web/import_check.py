"""An export file read and checked for import: strict JSON, the typed model, then how its fields fit together and
this server's limits. Every refusal is a 422 naming the field by its path, with the true reason."""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import numpy as np
import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.config import Settings
from app.engines import ENGINES
from app.run_config import RunConfig
from app.runs.manager import ConfigError
from app.storage.frames import GraphFrame, pack, stride_for
from app.storage.store import RunRecord, Steps
from app.web.export_model import ExportedRun

Path = tuple[str | int, ...]
GRAPH_PARTS = ("graph", "graph_values", "graph_frames", "graph_shapes")
MAX_PROBLEMS = 20  # problems named in one answer: a file wrong a million times gets a short answer


def refusal(path: Path, message: str, kind: str = "import") -> RequestValidationError:
    """A 422 in FastAPI's shape, naming the body field at `path` (never echoing the input)."""
    return RequestValidationError([{"type": kind, "loc": ("body", *path), "msg": message, "input": None}])


@dataclass(frozen=True, slots=True)
class Checked:
    """An export that fits this server: its row (without id and token yet), steps and graphs, ready to store."""

    record: RunRecord
    steps: Steps
    graph: tuple[dict[str, Any], dict[str, Any] | None] | None
    frames: list[GraphFrame]
    shapes: dict[str, dict[str, Any]]


def parse(body: bytes) -> tuple[ExportedRun, dict[str, Any]]:
    """The body as the typed model, and the raw graph parts (stored as they came: replays answer them byte for
    byte). Strict JSON: NaN, Infinity and lone surrogates are refused, as orjson refuses them."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise refusal((), f"the body is not valid JSON: {str(error)[:200]}", "json_invalid") from None
    try:
        exported = ExportedRun.model_validate(raw)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_context=False, include_input=False)[:MAX_PROBLEMS]
        raise RequestValidationError([{**problem, "loc": ("body", *problem["loc"])} for problem in problems]) from None
    return exported, {part: raw.get(part) for part in GRAPH_PARTS}


def check(
    exported: ExportedRun, raw: dict[str, Any], settings: Settings, limits: Callable[[RunConfig], None]
) -> Checked:
    """How the fields fit together and this server's limits (`limits`: the check a new run passes, which raises
    ConfigError naming the config field)."""
    run = exported.run
    config = run.config
    try:
        limits(config)
    except ConfigError as error:
        raise refusal(("run", "config", *([error.field] if error.field else [])), str(error), "limit") from None
    if run.engine != config.engine:
        raise refusal(("run", "engine"), f"the run's engine {run.engine!r} is not its config's {config.engine!r}")
    names = ENGINES[config.engine].names(config)
    if tuple(run.param_names) != names:
        raise refusal(("run", "param_names"), f"the {config.engine} engine with this config has {list(names)}")
    steps = _steps(exported, names, settings.max_steps, config.steps)
    count = len(steps.loss)
    _check_summary(exported, names, count)
    frames, shapes = _graphs(exported, raw, count, settings.max_stored_frames)
    record = RunRecord(
        id="",
        engine=config.engine,
        status=run.status,
        message=run.message,
        config=config.model_dump(mode="json"),
        param_names=names,
        created_at=run.created_at.astimezone(UTC),  # stored as UTC: SQLite keeps no offset
        started_at=run.started_at.astimezone(UTC) if run.started_at else None,
        ended_at=run.ended_at.astimezone(UTC) if run.ended_at else None,
        steps_done=count,
        last_loss=float(steps.loss[-1]) if count else None,
        last_grads=tuple(steps.grads[-1].tolist()) if count else None,
        last_params=tuple(float(run.params[name]) for name in names) if count else None,
    )
    graph = (raw["graph"], raw["graph_values"]) if exported.graph is not None else None
    return Checked(record, steps, graph, frames, shapes)


def _same_names(path: Path, found: Sequence[str], names: tuple[str, ...]) -> None:
    if sorted(found) != sorted(names):
        raise refusal(path, f"needs exactly the parameters {list(names)}, not {sorted(found)[:20]}")


def _steps(exported: ExportedRun, names: tuple[str, ...], max_steps: int, config_steps: int) -> Steps:
    """The history as arrays, once its columns fit together and within the limits."""
    history = exported.history
    count = len(history.loss)
    if count > max_steps:
        raise refusal(("history", "loss"), f"{count} steps: at most {max_steps} (the server's max_steps)", "limit")
    if count > config_steps:
        raise refusal(("history", "loss"), f"{count} steps recorded, but the run's config asks for {config_steps}")
    if history.step != list(range(count)):
        raise refusal(("history", "step"), f"the steps must be 0 to {count - 1}, one per loss, in order")
    columns = []
    for part in ("params", "grads"):
        values = getattr(history, part)
        _same_names(("history", part), list(values), names)
        for name in names:
            if len(values[name]) != count:
                raise refusal(("history", part, name), f"{len(values[name])} values for {count} steps")
        columns.append(np.array([values[name] for name in names], dtype=np.float64).T.reshape(count, len(names)))
    return Steps(loss=np.array(history.loss, dtype=np.float64), params=columns[0], grads=columns[1])


def _check_summary(exported: ExportedRun, names: tuple[str, ...], count: int) -> None:
    """The run's latest numbers agree with its history."""
    run = exported.run
    if run.steps_done != count:
        raise refusal(("run", "steps_done"), f"{run.steps_done} steps done, but the history holds {count}")
    if run.step != count - 1:
        raise refusal(("run", "step"), f"the last step is {count - 1} by the history, not {run.step}")
    _same_names(("run", "params"), list(run.params), names)
    if count:
        _same_names(("run", "grads"), list(run.grads), names)
        if run.loss is None:
            raise refusal(("run", "loss"), "a run with steps has the loss of its last one")
    elif run.grads or run.loss is not None:
        raise refusal(("run", "grads" if run.grads else "loss"), "a run without steps has no gradient and no loss")


def _graphs(
    exported: ExportedRun, raw: dict[str, Any], count: int, cap: int
) -> tuple[list[GraphFrame], dict[str, dict[str, Any]]]:
    """The kept graph frames (each at a recorded step, in order, of a known shape) thinned evenly to this
    server's max_stored_frames, and the shapes they need, as the file has them."""
    if exported.graph_values is not None:
        if exported.graph is None:
            raise refusal(("graph",), "graph_values need the graph's shape")
        if exported.graph_values.signature != exported.graph.signature:
            raise refusal(("graph_values", "signature"), "not the signature of the graph")
        if exported.graph_values.step is not None and exported.graph_values.step >= count:
            raise refusal(("graph_values", "step"), f"must be a step of the history (0 to {count - 1})")
    for signature, shape in exported.graph_shapes.items():
        if shape.signature != signature:
            raise refusal(("graph_shapes", signature), "every shape must be filed under its own signature")
    shapes: dict[str, dict[str, Any]] = dict(raw["graph_shapes"] or {})
    if exported.graph is not None:
        shapes.setdefault(exported.graph.signature, raw["graph"])
    kept = exported.graph_frames
    for index, frame in enumerate(kept):
        if frame.step >= count:
            raise refusal(("graph_frames", index, "step"), f"must be a step of the history (0 to {count - 1})")
        if frame.signature not in shapes:
            raise refusal(("graph_frames", index, "signature"), "a shape that is not in graph_shapes")
    for index, (earlier, later) in enumerate(itertools.pairwise(kept), start=1):
        if later.step <= earlier.step:
            raise refusal(("graph_frames", index, "step"), "the frames must come in order of their steps, one per step")
    stride = stride_for(len(kept), cap)
    frames = [
        GraphFrame(seq, frame.step, frame.signature, pack(raw["graph_frames"][seq]))
        for seq, frame in enumerate(kept)
        if cap > 0 and seq % stride == 0
    ]
    needed = {frame.signature for frame in frames}
    return frames, {signature: shape for signature, shape in shapes.items() if signature in needed}
