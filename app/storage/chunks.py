"""A stored run's steps read a few chunks at a time, each checked to decode to the length it should."""

import contextlib
import zlib
from collections.abc import Iterator

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError, OperationalError

from app.storage.records import FLOAT, Column, DamagedRun
from app.storage.schema import CHUNK_STEPS, chunks
from app.storage.store import RunStore

PAGE_CHUNKS = 16  # chunks fetched by one query: 16K steps, under 1.2 MB of blobs for the cubic


def check_steps(store: RunStore, run_id: str, param_count: int, count: int) -> None:
    """Raise DamagedRun unless the run's chunks are whole: one after another from step 0, `count` steps in all,
    every blob of the length its rows need. Reads only the chunks' sizes, not their numbers."""
    query = (
        select(
            chunks.c.start,
            chunks.c.count,
            func.length(chunks.c.loss),
            func.length(chunks.c.params),
            func.length(chunks.c.grads),
        )
        .where(chunks.c.run_id == run_id)
        .order_by(chunks.c.start)
    )
    with reading(run_id), store.engine.connect() as connection:
        rows = connection.execute(query).all()
    expected = 0
    for start, rows_in, loss, params, grads in rows:
        if start != expected:
            raise DamagedRun(run_id, "steps", f"the chunk after step {expected} starts at step {start}")
        for name, size, width in (("loss", loss, 1), ("params", params, param_count), ("grads", grads, param_count)):
            if size != rows_in * width * FLOAT.itemsize:
                wanted = rows_in * width * FLOAT.itemsize
                raise DamagedRun(run_id, "steps", f"the {name} of steps {start}.. are {size} bytes, not {wanted}")
        expected = start + rows_in
    if expected != count:
        raise DamagedRun(run_id, "steps", f"{expected} steps are stored where the run recorded {count}")


def read_column(
    store: RunStore, run_id: str, param_count: int, column: Column, start: int, stop: int
) -> Iterator[np.ndarray]:
    """Steps start..stop-1 of one column, a chunk at a time (loss: (n,), params and grads: (n, param_count)),
    fetched a page of chunks per query, so no more than a page is ever in memory."""
    if start >= stop:
        return
    blob = chunks.c[column]
    first = start - start % CHUNK_STEPS
    while first < stop:
        query = (
            select(chunks.c.start, chunks.c.count, blob)
            .where(chunks.c.run_id == run_id, chunks.c.start >= first, chunks.c.start < stop)
            .order_by(chunks.c.start)
            .limit(PAGE_CHUNKS)
        )
        with reading(run_id), store.engine.connect() as connection:
            page = connection.execute(query).all()
        if not page:
            raise DamagedRun(run_id, "steps", f"no chunk holds step {first}")
        for chunk_start, rows, data in page:
            if chunk_start != first:
                raise DamagedRun(run_id, "steps", f"the chunk after step {first} starts at step {chunk_start}")
            values = _decode(run_id, data, rows, param_count if column != "loss" else 0, column, chunk_start)
            yield values[max(start - chunk_start, 0) : stop - chunk_start]
            first = chunk_start + rows


def _decode(run_id: str, data: bytes, rows: int, width: int, column: str, start: int) -> np.ndarray:
    expected = rows * max(width, 1) * FLOAT.itemsize
    if len(data) != expected:
        raise DamagedRun(run_id, "steps", f"the {column} of steps {start}.. are {len(data)} bytes, not {expected}")
    values = np.frombuffer(data, FLOAT).astype(float)
    return values.reshape(rows, width) if width else values


@contextlib.contextmanager
def reading(run_id: str, what: str = "steps") -> Iterator[None]:
    """Turns a stored value that does not decode (a blob of the wrong size, broken JSON or zlib) and the database's
    own report of a damaged file (not of a busy one) into DamagedRun, naming the run and `what` of it."""
    try:
        yield
    except OperationalError:
        raise
    except DatabaseError as error:
        raise DamagedRun(run_id, what, str(error.orig)) from error
    except (ValueError, zlib.error) as error:
        raise DamagedRun(run_id, what, f"{type(error).__name__}: {error}") from error
