"""Reads and writes runs in one database (SQLite by default, anything SQLAlchemy speaks by URL)."""

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import orjson
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, make_url

from app.storage.records import ACTIVE, FLOAT, Details, RunRecord, Steps, interrupted_message
from app.storage.schema import chunks, graph_frames, graph_shapes, graphs, metadata, runs

# What other modules import from here, as before the records moved to records.py.
__all__ = ["ACTIVE", "FLOAT", "Batch", "Chunk", "Details", "RunRecord", "RunStore", "Steps", "interrupted_message"]


# A run's steps start.. as the chunks table keeps them: the run's id, the first step, and its loss, params, grads.
Chunk = tuple[str, int, np.ndarray, np.ndarray, np.ndarray]


def _blob(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype=FLOAT).tobytes()


def _chunk_values(loss: np.ndarray, params: np.ndarray, grads: np.ndarray) -> dict[str, Any]:
    return {"count": len(loss), "loss": _blob(loss), "params": _blob(params), "grads": _blob(grads)}


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite keeps no time zone: every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _floats(values: Any) -> tuple[float, ...] | None:
    return tuple(float(v) for v in values) if values is not None else None


class Batch:
    """The writes of one transaction; every statement is counted, so tests can see the batching."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.statements = 0

    def execute(self, statement: Any, rows: Any = None) -> int:
        """Run one statement (with many rows, if given) in this transaction; how many rows it touched."""
        self.statements += 1
        return self._connection.execute(statement, rows).rowcount

    def save_run(self, record: RunRecord) -> None:
        """Add a new run's row."""
        self.execute(
            insert(runs).values(
                id=record.id,
                engine=record.engine,
                config=record.config,
                param_names=list(record.param_names),
                created_at=record.created_at,
                control_hash=record.control_hash,
                class_code=record.class_code,
                student=record.student,
                **self._changing(record),
            )
        )

    def update_run(self, record: RunRecord) -> None:
        """Write what changes as a run goes: status, message, times, steps done, the last step, the curve."""
        self.update_runs([record])

    def update_runs(self, records: Sequence[RunRecord]) -> None:
        """update_run for many runs, in one statement (the driver runs its rows without going back to Python)."""
        if records:
            rows = [{"row_id": record.id, **self._changing(record)} for record in records]
            self.execute(update(runs).where(runs.c.id == bindparam("row_id")), rows)

    @staticmethod
    def _changing(record: RunRecord) -> dict[str, Any]:
        return {
            "status": record.status,
            "message": record.message,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "updated_at": datetime.now(UTC),
            "steps_done": record.steps_done,
            "last_loss": record.last_loss,
            "last_grads": list(record.last_grads) if record.last_grads is not None else None,
            "last_params": list(record.last_params) if record.last_params is not None else None,
            "curve": _blob(record.curve) if record.curve is not None else None,
        }

    def append_chunk(
        self, run_id: str, start: int, loss: np.ndarray, params: np.ndarray, grads: np.ndarray, replace: bool
    ) -> None:
        """Store steps start.. as one chunk; `replace` rewrites a chunk stored before with fewer rows."""
        chunk = (run_id, start, loss, params, grads)
        if replace:
            self.replace_chunks([chunk])
        else:
            self.add_chunks([chunk])

    def add_chunks(self, new: Sequence[Chunk]) -> None:
        """Store chunks no run has stored before, in one statement."""
        if new:
            rows = [{"run_id": run_id, "start": start, **_chunk_values(*steps)} for run_id, start, *steps in new]
            self.execute(insert(chunks), rows)

    def replace_chunks(self, grown: Sequence[Chunk]) -> None:
        """Rewrite chunks stored before with fewer rows, in one statement."""
        if grown:
            rows = [{"at_run": run_id, "at_start": start, **_chunk_values(*steps)} for run_id, start, *steps in grown]
            where = (chunks.c.run_id == bindparam("at_run"), chunks.c.start == bindparam("at_start"))
            self.execute(update(chunks).where(*where), rows)

    def save_graph(self, run_id: str, shape: dict[str, Any], values: dict[str, Any] | None) -> None:
        """Keep the run's latest autograd graph, replacing the one before."""
        row = {"signature": shape["signature"], "shape": shape, "values": values}
        if not self.execute(update(graphs).where(graphs.c.run_id == run_id).values(**row)):
            self.execute(insert(graphs).values(run_id=run_id, **row))


def _sqlite_file(parsed: URL) -> Path | None:
    """The file a SQLite URL names: its path, or a `file:` URI's path when it asks for URIs; None in memory."""
    database = parsed.database
    if not database or database == ":memory:":
        return None
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        uri = urlsplit(database)
        if uri.path in ("", ":memory:") or "mode=memory" in uri.query or parsed.query.get("mode") == "memory":
            return None
        return Path(unquote(uri.path))
    return Path(database)


class RunStore:
    """The database of runs; writes go through `batch()`, one transaction each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writes = 0  # committed batches
        self.statements = 0  # statements in them

    @classmethod
    def open(cls, url: str) -> "RunStore":
        """Connect (making a SQLite file's directory if missing) and create the tables that are not there yet."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and (path := _sqlite_file(parsed)) is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, json_serializer=_json, json_deserializer=orjson.loads)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        metadata.create_all(engine)
        _add_new_columns(engine)
        return cls(engine)

    def close(self) -> None:
        """Let go of every connection."""
        self.engine.dispose()

    @contextlib.contextmanager
    def batch(self) -> Iterator[Batch]:
        """A transaction of writes, committed at the end of the block (rolled back if it raises)."""
        with self.engine.begin() as connection:
            batch = Batch(connection)
            yield batch
        self.writes += 1
        self.statements += batch.statements

    def save_run(self, record: RunRecord) -> None:
        """Add one run's row in a transaction of its own."""
        with self.batch() as batch:
            batch.save_run(record)

    def delete_run(self, run_id: str) -> None:
        """Forget a run: its row, its steps and its graphs."""
        with self.engine.begin() as connection:
            for table in (graph_frames, graph_shapes, graphs, chunks):
                connection.execute(delete(table).where(table.c.run_id == run_id))
            connection.execute(delete(runs).where(runs.c.id == run_id))

    def mark_interrupted(self) -> int:
        """Turn runs left queued, running or paused by a server that is gone into `interrupted`; how many."""
        with self.engine.begin() as connection:
            found = connection.execute(
                select(runs.c.id, runs.c.status, runs.c.steps_done, runs.c.updated_at).where(runs.c.status.in_(ACTIVE))
            ).all()
            for row in found:
                connection.execute(
                    update(runs)
                    .where(runs.c.id == row.id)
                    .values(
                        status="interrupted",
                        message=interrupted_message(row.status, row.steps_done),
                        ended_at=row.updated_at,  # the last moment anything was recorded
                    )
                )
        return len(found)

    def load_runs(self, limit: int | None = None) -> list[RunRecord]:
        """The newest runs first, without their curves and steps."""
        columns = [column for column in runs.c if column.name != "curve"]
        query = select(*columns).order_by(runs.c.created_at.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [self._record(row._mapping) for row in connection.execute(query)]

    def load_run(self, run_id: str) -> RunRecord | None:
        """One run's row, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(runs).where(runs.c.id == run_id)).first()
        return self._record(row._mapping) if row is not None else None

    def load_details(self, run_id: str) -> Details:
        """A run's latest curve and graph."""
        with self.engine.connect() as connection:
            curve = connection.execute(select(runs.c.curve).where(runs.c.id == run_id)).scalar()
            graph = connection.execute(select(graphs.c.shape, graphs.c["values"]).where(graphs.c.run_id == run_id))
            row = graph.first()
        return Details(
            curve=np.frombuffer(curve, FLOAT).astype(float) if curve is not None else None,
            graph=row.shape if row is not None else None,
            graph_values=row[1] if row is not None else None,
        )

    def load_history(self, run_id: str, param_count: int) -> Steps:
        """Every stored step of a run, in order."""
        query = select(chunks.c.loss, chunks.c.params, chunks.c.grads).where(chunks.c.run_id == run_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(chunks.c.start)).all()
        width = (-1, param_count)

        def column(index: int, shape: tuple[int, ...]) -> np.ndarray:
            parts = [np.frombuffer(row[index], FLOAT).reshape(shape) for row in rows]
            empty = np.empty((0, param_count) if len(shape) > 1 else 0)
            return np.concatenate(parts).astype(float) if parts else empty

        return Steps(loss=column(0, (-1,)), params=column(1, width), grads=column(2, width))

    @staticmethod
    def _record(row: Any) -> RunRecord:
        return RunRecord(
            id=row["id"],
            engine=row["engine"],
            status=row["status"],
            message=row["message"],
            config=row["config"],
            param_names=tuple(row["param_names"]),
            created_at=_utc(row["created_at"]) or datetime.now(UTC),
            control_hash=row.get("control_hash"),
            started_at=_utc(row["started_at"]),
            ended_at=_utc(row["ended_at"]),
            steps_done=row["steps_done"],
            last_loss=row["last_loss"],
            last_grads=_floats(row["last_grads"]),
            last_params=_floats(row["last_params"]),
            curve=np.frombuffer(row["curve"], FLOAT).astype(float) if row.get("curve") is not None else None,
            class_code=row.get("class_code"),
            student=row.get("student"),
        )


def _add_new_columns(engine: Engine) -> None:
    """Bring a database made by an older version up to date: columns added since (all nullable) are added, and
    the indexes on them (create_all makes only the tables that are missing, with theirs)."""
    found = inspect(engine)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            present = {column["name"] for column in found.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
            present |= {column.name for column in table.columns if column.nullable}
            indexed = {index["name"] for index in found.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in indexed and {column.name for column in index.columns} <= present:
                    index.create(connection)


def _json(value: Any) -> str:
    # orjson writes the graph's dataclasses as objects, as the wire does, and never NaN as a bare token.
    return orjson.dumps(value).decode()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL: readers never wait for the writer; NORMAL: a commit survives the process dying (not a power cut).
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
