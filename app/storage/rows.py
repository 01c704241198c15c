"""Run rows read one by one: a row whose values cannot be decoded (damaged JSON, a time that is no time) is
returned as a BrokenRow saying why, instead of failing the read of every other row."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, type_coerce
from sqlalchemy.types import NullType

from app.storage.records import RunRecord
from app.storage.schema import runs
from app.storage.store import RunStore, _utc

EPOCH = datetime.fromtimestamp(0, UTC)  # when a row's own time cannot be read: listed last
LISTED = [column for column in runs.c if column.name != "curve"]  # the run list needs no curve


@dataclass(frozen=True, slots=True)
class BrokenRow:
    """A row that does not decode: its id, what of it could be read, and why the rest could not."""

    id: str
    engine: str
    created_at: datetime
    control_hash: str | None
    reason: str


def _raw(query_columns: list[Any]) -> Any:  # a Select of every column, untyped
    # NullType: the driver's own value, left for _decode to convert column by column.
    return select(*(type_coerce(column, NullType()).label(column.name) for column in query_columns))


def _decode(store: RunStore, row: dict[str, Any]) -> RunRecord | BrokenRow:
    dialect = store.engine.dialect
    values: dict[str, Any] = {}
    problems: list[str] = []
    for column in LISTED:  # every column, so a broken row still shows what of it can be read
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        try:
            values[column.name] = convert(row[column.name]) if convert is not None else row[column.name]
        except Exception as error:  # whatever a damaged value raises in its type's converter
            problems.append(f"its {column.name} is damaged ({type(error).__name__}: {error})")
    if problems:
        return _broken(row, values, "; ".join(problems))
    try:
        return RunStore._record(values | {"curve": None})
    except Exception as error:
        return _broken(row, values, f"its row does not fit a run ({type(error).__name__}: {error})")


def _broken(row: dict[str, Any], values: dict[str, Any], reason: str) -> BrokenRow:
    created = values.get("created_at")
    engine = row.get("engine")
    hashed = row.get("control_hash")
    return BrokenRow(
        id=str(row["id"]),
        engine=engine if isinstance(engine, str) else "",
        created_at=_utc(created) or EPOCH if isinstance(created, datetime) else EPOCH,
        control_hash=hashed if isinstance(hashed, str) else None,
        reason=reason,
    )


def read_runs(store: RunStore, limit: int | None = None) -> list[RunRecord | BrokenRow]:
    """The newest rows first, each a RunRecord (without its curve) or a BrokenRow."""
    # Ordered by the raw text of created_at: a damaged time sorts somewhere instead of failing the query.
    query = _raw(LISTED).order_by(runs.c.created_at.desc()).limit(limit)
    with store.engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    return [_decode(store, row) for row in rows]


def read_run(store: RunStore, run_id: str) -> RunRecord | BrokenRow | None:
    """One run's row (without its curve), a BrokenRow, or None when there is no such row."""
    with store.engine.connect() as connection:
        row = connection.execute(_raw(LISTED).where(runs.c.id == run_id)).first()
    return _decode(store, dict(row._mapping)) if row is not None else None
