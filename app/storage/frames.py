"""The autograd graph of every step that had a frame, kept for replay: packed, thinned to a cap, stored, found."""

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select

from app.storage.schema import graph_frames, graph_shapes, graphs
from app.storage.store import Batch, RunStore

LEVEL = 6  # zlib: about 2 KB a frame instead of 5-15 KB of JSON, in about 0.1 ms

ShapeOf = Callable[[str], dict[str, Any] | None]  # a graph's shape by its signature (None: not known)


def pack(values: Mapping[str, Any]) -> bytes:
    """GraphValues as zlib-compressed JSON (orjson writes the summaries, dataclasses, as the wire has them)."""
    return zlib.compress(orjson.dumps(values), LEVEL)


def unpack(data: bytes) -> bytes:
    """The JSON of packed GraphValues, byte for byte as it was packed."""
    return zlib.decompress(data)


@dataclass(frozen=True, slots=True)
class GraphFrame:
    """One captured graph kept for replay: which capture it was (`seq`, 0 for the run's first), its step, the
    signature of its shape and its values, packed."""

    seq: int
    step: int
    signature: str
    data: bytes


@dataclass(frozen=True, slots=True)
class FoundGraph:
    """The graph shown at a step: the nearest one kept at or before it. `values` is the GraphValues' JSON as it
    was captured; `next_step` the step of the next one kept (None: none), so it holds for every step before."""

    step: int
    shape: dict[str, Any]
    values: bytes
    next_step: int | None


def stride_for(count: int, cap: int) -> int:
    """The smallest power-of-two stride whose multiples below `count` are at most `cap` (cap 0: keep none)."""
    stride = 1
    while cap > 0 and -(-count // stride) > cap:
        stride *= 2
    return stride


def nearest(
    step: int, frame: GraphFrame | None, next_step: int | None, latest: Mapping[str, Any] | None, shape_of: ShapeOf
) -> FoundGraph | None:
    """Of the kept frame at or before `step` (and the step of the one after it) and the run's latest captured
    GraphValues (never older than a kept frame), the one nearest `step` from below; None when neither is, or its
    shape is unknown."""
    latest_step = latest.get("step") if latest is not None else None
    if latest is not None and isinstance(latest_step, int) and latest_step <= step:
        shape = shape_of(str(latest.get("signature")))
        return FoundGraph(latest_step, shape, orjson.dumps(latest), None) if shape is not None else None
    if frame is None:
        return None
    if next_step is None and isinstance(latest_step, int) and latest_step > frame.step:
        next_step = latest_step
    shape = shape_of(frame.signature)
    return FoundGraph(frame.step, shape, unpack(frame.data), next_step) if shape is not None else None


# Writing, in the writer's (or an import's) transaction.


def save_frames(batch: Batch, run_id: str, frames: Sequence[GraphFrame]) -> None:
    """Add these frames to the run's stored ones (one statement for all of them)."""
    if frames:
        rows = [
            {"run_id": run_id, "step": frame.step, "seq": frame.seq, "signature": frame.signature, "data": frame.data}
            for frame in frames
        ]
        batch.execute(insert(graph_frames), rows)


def thin_frames(batch: Batch, run_id: str, stride: int) -> None:
    """Drop the run's stored frames whose capture number is not a multiple of `stride`."""
    table = graph_frames.c
    batch.execute(delete(graph_frames).where(table.run_id == run_id, table.seq % stride != 0))


def save_shapes(batch: Batch, run_id: str, shapes: Mapping[str, dict[str, Any]]) -> None:
    """Add these shapes (by signature) to the run's stored ones."""
    if shapes:
        rows = [{"run_id": run_id, "signature": signature, "shape": shape} for signature, shape in shapes.items()]
        batch.execute(insert(graph_shapes), rows)


# Reading.


def frame_at(store: RunStore, run_id: str, step: int) -> tuple[GraphFrame | None, int | None]:
    """The run's stored frame at or nearest before `step`, and the step of the one after it (None: none)."""
    table = graph_frames.c
    columns = (table.seq, table.step, table.signature, table.data)
    with store.engine.connect() as connection:
        row = connection.execute(
            select(*columns).where(table.run_id == run_id, table.step <= step).order_by(table.step.desc()).limit(1)
        ).first()
        after = row.step if row is not None else -1
        following = connection.execute(
            select(func.min(table.step)).where(table.run_id == run_id, table.step > after)
        ).scalar()
    frame = GraphFrame(row.seq, row.step, row.signature, row.data) if row is not None else None
    return frame, following


def all_frames(store: RunStore, run_id: str) -> list[GraphFrame]:
    """Every stored frame of the run, by step."""
    table = graph_frames.c
    query = select(table.seq, table.step, table.signature, table.data).where(table.run_id == run_id)
    with store.engine.connect() as connection:
        rows = connection.execute(query.order_by(table.step)).all()
    return [GraphFrame(row.seq, row.step, row.signature, row.data) for row in rows]


def load_shapes(store: RunStore, run_id: str) -> dict[str, dict[str, Any]]:
    """Every stored shape of the run's graph by signature, the latest graph's among them (stored before any
    shape was: an older database, or an import of an older export)."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(graph_shapes.c.signature, graph_shapes.c.shape).where(graph_shapes.c.run_id == run_id)
        ).all()
        latest = connection.execute(select(graphs.c.shape).where(graphs.c.run_id == run_id)).scalar()
    shapes: dict[str, dict[str, Any]] = {row.signature: row.shape for row in rows}
    if latest is not None:
        shapes.setdefault(latest["signature"], latest)
    return shapes
