"""A run's steps written out a piece at a time (JSON columns, CSV rows), never built whole in memory.

Each generator is synchronous: Starlette's StreamingResponse runs every `next()` in its thread pool, so reading
the store and serializing stay off the event loop.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import numpy as np
import pydantic_core

from app.storage.records import Column
from app.storage.schema import CHUNK_STEPS

PIECE_BYTES = 256 * 1024  # what one write to the socket carries, about


class StepColumns(Protocol):
    """What is read of a run's history here: a live History or a stored run's."""

    @property
    def count(self) -> int: ...

    @property
    def param_names(self) -> tuple[str, ...]: ...

    def column(self, column: Column, start: int, stop: int) -> Iterator[np.ndarray]: ...


DumpList = Callable[[list[Any]], bytes]  # a list as JSON


def pydantic_json(values: list[Any]) -> bytes:
    """A list as FastAPI writes a response model (pydantic's JSON), so a streamed answer is the one built whole
    before, byte for byte."""
    return pydantic_core.to_json(values)


def history_json(history: StepColumns, start: int, stop: int) -> Iterator[bytes]:
    """Steps start..stop-1 as JSON columns, as GET /history answers, in pieces of about PIECE_BYTES."""
    return buffered(history_parts(history, start, stop, pydantic_json))


def history_parts(history: StepColumns, start: int, stop: int, dump: DumpList) -> Iterator[bytes]:
    """Steps start..stop-1 as {"step": [...], "loss": [...], "params": {name: [...]}, "grads": {name: [...]}},
    each list written by `dump`: one pass over the steps per column, a chunk of them in memory at a time."""

    def array(pieces: Iterable[list[Any]]) -> Iterator[bytes]:
        yield b"["
        comma = b""
        for values in pieces:
            if values:
                yield comma + dump(values)[1:-1]
                comma = b","
        yield b"]"

    def steps() -> Iterator[list[int]]:
        for first in range(start, stop, CHUNK_STEPS):
            yield list(range(first, min(first + CHUNK_STEPS, stop)))

    def named(column: Column) -> Iterator[bytes]:
        yield b"{"
        for i, name in enumerate(history.param_names):
            yield (b"," if i else b"") + dump([name])[1:-1] + b":"
            yield from array(piece[:, i].tolist() for piece in history.column(column, start, stop))
        yield b"}"

    yield b'{"step":'
    yield from array(steps())
    yield b',"loss":'
    yield from array(piece.tolist() for piece in history.column("loss", start, stop))
    yield b',"params":'
    yield from named("params")
    yield b',"grads":'
    yield from named("grads")
    yield b"}"


def history_csv(history: StepColumns) -> Iterator[bytes]:
    """Every recorded step as a row: step, loss, each weight, each gradient (columns grad_<name>), the floats
    repr-exact, so the CSV reads back to the very numbers the run recorded."""

    def parts() -> Iterator[bytes]:
        names = history.param_names
        n = history.count
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", "loss", *names, *(f"grad_{name}" for name in names)])
        step = 0
        pieces = zip(
            history.column("loss", 0, n), history.column("params", 0, n), history.column("grads", 0, n), strict=True
        )
        for loss, params, grads in pieces:
            for row_loss, row_params, row_grads in zip(loss.tolist(), params.tolist(), grads.tolist(), strict=True):
                writer.writerow([step, repr(row_loss), *map(repr, row_params), *map(repr, row_grads)])
                step += 1
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
        yield out.getvalue().encode()

    return buffered(parts())


def buffered(parts: Iterable[bytes], size: int = PIECE_BYTES) -> Iterator[bytes]:
    """The parts joined into pieces of about `size` bytes: each piece is one hop to a thread and one write."""
    pending: list[bytes] = []
    held = 0
    for part in parts:
        pending.append(part)
        held += len(part)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)
