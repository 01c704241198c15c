"""Classes and their students, as the store keeps them; which stored runs belong to which class."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from app.storage.schema import class_students, classes, runs
from app.storage.store import RunStore, _utc


@dataclass(frozen=True, slots=True)
class ClassRecord:
    """A class's row: its code, title, the settings its runs start from and the fields students may change."""

    code: str
    title: str | None
    settings: dict[str, Any]
    free: tuple[str, ...] | None  # None: every field is free
    control_hash: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StudentRecord:
    """One student of a class: an id, a display name and the hash of the token that starts their runs."""

    class_code: str
    id: str
    name: str | None
    token_hash: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class ClassRun:
    """A stored run that was started in a class, and by whom."""

    id: str
    class_code: str
    student: str | None
    created_at: datetime


def save_class(store: RunStore, record: ClassRecord) -> None:
    """Add a class's row."""
    with store.batch() as batch:
        batch.execute(
            insert(classes).values(
                code=record.code,
                title=record.title,
                settings=record.settings,
                free=list(record.free) if record.free is not None else None,
                control_hash=record.control_hash,
                created_at=record.created_at,
            )
        )


def save_student(store: RunStore, record: StudentRecord) -> None:
    """Add a student's row."""
    with store.batch() as batch:
        batch.execute(
            insert(class_students).values(
                class_code=record.class_code,
                id=record.id,
                name=record.name,
                token_hash=record.token_hash,
                joined_at=record.joined_at,
            )
        )


def load_classes(store: RunStore) -> list[ClassRecord]:
    """Every class, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(classes).order_by(classes.c.created_at)).all()
    return [
        ClassRecord(
            code=row.code,
            title=row.title,
            settings=dict(row.settings or {}),
            free=tuple(row.free) if row.free is not None else None,
            control_hash=row.control_hash,
            created_at=_utc(row.created_at) or row.created_at,
        )
        for row in rows
    ]


def load_students(store: RunStore) -> list[StudentRecord]:
    """Every student of every class, in the order they joined."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(class_students).order_by(class_students.c.joined_at)).all()
    return [
        StudentRecord(row.class_code, row.id, row.name, row.token_hash, _utc(row.joined_at) or row.joined_at)
        for row in rows
    ]


def load_class_runs(store: RunStore) -> list[ClassRun]:
    """Every stored run started in a class, oldest first (its row only: id, class, student, creation time)."""
    query = (
        select(runs.c.id, runs.c.class_code, runs.c.student, runs.c.created_at)
        .where(runs.c.class_code.is_not(None))
        .order_by(runs.c.created_at)
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [ClassRun(row.id, row.class_code, row.student, _utc(row.created_at) or row.created_at) for row in rows]
