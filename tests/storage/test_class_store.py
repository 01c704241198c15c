"""Classes in the store: a database made before classes gains their tables and columns on open, its runs read as
before, and classes, students and class runs read back as written."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, Table, create_engine, insert, inspect

from app.storage.classes import (
    ClassRecord,
    StudentRecord,
    load_class_runs,
    load_classes,
    load_students,
    save_class,
    save_student,
)
from app.storage.records import RunRecord
from app.storage.schema import metadata
from app.storage.store import RunStore

NEW_TABLES = ("classes", "class_students")
NEW_COLUMNS = ("class_code", "student")
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def before_classes(path: Path) -> str:
    """A database with the schema as it was before classes (the tables of today without what classes added), with
    one run in it."""
    old = MetaData()
    for table in metadata.sorted_tables:
        if table.name not in NEW_TABLES:
            columns = [column._copy() for column in table.columns if column.name not in NEW_COLUMNS]
            Table(table.name, old, *columns)
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    old.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(old.tables["runs"]).values(
                id="old-run",
                engine="numpy",
                status="finished",
                config={"engine": "numpy", "steps": 3},
                param_names=["a", "b", "c", "d"],
                created_at=WHEN,
                updated_at=WHEN,
                steps_done=3,
            )
        )
    engine.dispose()
    return url


def record(run_id: str, class_code: str | None = None, student: str | None = None) -> RunRecord:
    return RunRecord(
        id=run_id,
        engine="numpy",
        status="finished",
        message=None,
        config={"engine": "numpy"},
        param_names=("a", "b", "c", "d"),
        created_at=WHEN,
        class_code=class_code,
        student=student,
    )


def test_a_database_from_before_classes_gains_them_on_open(tmp_path: Path) -> None:
    """The tables, the columns and the index on runs.class_code are added; the old run reads with no class."""
    url = before_classes(tmp_path / "old.db")
    assert not set(NEW_TABLES) & set(inspect(create_engine(url)).get_table_names())
    store = RunStore.open(url)
    try:
        found = inspect(store.engine)
        assert set(NEW_TABLES) <= set(found.get_table_names())
        assert set(NEW_COLUMNS) <= {column["name"] for column in found.get_columns("runs")}
        assert "ix_runs_class_code" in {index["name"] for index in found.get_indexes("runs")}
        [old] = store.load_runs()
        assert old.id == "old-run" and old.class_code is None and old.student is None
        store.save_run(record("new-run", "K7QM2P", "s1"))
        assert [(run.id, run.class_code, run.student) for run in load_class_runs(store)] == [
            ("new-run", "K7QM2P", "s1")
        ]
    finally:
        store.close()
    again = RunStore.open(url)  # opening it again changes nothing
    try:
        assert {run.id for run in again.load_runs()} == {"old-run", "new-run"}
    finally:
        again.close()


def test_classes_and_students_read_back_as_written(tmp_path: Path) -> None:
    """A class (settings, free fields, token hash), its students and its runs come back from a new store."""
    url = f"sqlite:///{tmp_path / 'classes.db'}"
    store = RunStore.open(url)
    lesson = ClassRecord("K7QM2P", "Lecture 3", {"engine": "numpy", "pace": 30.0}, ("learning_rate",), "h" * 64, WHEN)
    open_all = ClassRecord("ABCDEF", None, {}, None, None, WHEN.replace(hour=10))
    students = [StudentRecord("K7QM2P", f"s{i}", f"Student {i}", f"t{i}", WHEN.replace(minute=i)) for i in range(3)]
    try:
        save_class(store, lesson)
        save_class(store, open_all)
        for student in students:
            save_student(store, student)
        store.save_run(record("r1", "K7QM2P", "s0"))
        store.save_run(record("r2"))
    finally:
        store.close()
    store = RunStore.open(url)
    try:
        assert load_classes(store) == [lesson, open_all]
        assert load_students(store) == students
        assert [run.id for run in load_class_runs(store)] == ["r1"]
    finally:
        store.close()
