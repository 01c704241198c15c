"""Every class of this server, its students and its runs: kept in memory, written to the store as they come."""

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.classes.codes import new_code, new_student_id
from app.storage.classes import (
    ClassRecord,
    StudentRecord,
    load_class_runs,
    load_classes,
    load_students,
    save_class,
    save_student,
)
from app.storage.store import RunStore

NEW_CODE_TRIES = 20  # codes drawn before giving up (with a billion codes, one almost always does)


class ClassFullError(Exception):
    """A class that has as many students as the server lets one class have."""


@dataclass(slots=True)
class Classroom:
    """One class as this server holds it: its record, students by id, its runs' ids in the order they started,
    and what the lecturer's class view shows (replaced whole, never changed, so a feed compares by identity)."""

    record: ClassRecord
    students: dict[str, StudentRecord] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)
    presenter: dict[str, Any] | None = None
    tokens: dict[str, str] = field(default_factory=dict)  # a student token's hash → the student's id
    version: int = 0  # counts changes to its runs (one added or forgotten), so cached answers know they are old

    @property
    def code(self) -> str:
        """The class's code."""
        return self.record.code

    def student_of(self, token_hash: str) -> StudentRecord | None:
        """The student whose token has this hash, if any."""
        student_id = self.tokens.get(token_hash)
        return self.students.get(student_id) if student_id is not None else None

    def add_student(self, student: StudentRecord) -> None:
        """Count a student in (the registry does, under its lock)."""
        self.students[student.id] = student
        self.tokens[student.token_hash] = student.id


class ClassRegistry:
    """The classes, read from the store at start-up (with their students and runs) and written to it as they are
    made; safe to use from any thread."""

    def __init__(self, store: RunStore | None, max_students: int) -> None:
        self._store = store
        self.max_students = max_students
        self._classes: dict[str, Classroom] = {}
        self._lock = threading.Lock()
        if store is not None:
            for record in load_classes(store):
                self._classes[record.code] = Classroom(record)
            for student in load_students(store):
                if (room := self._classes.get(student.class_code)) is not None:
                    room.add_student(student)
            for run in load_class_runs(store):
                if (room := self._classes.get(run.class_code)) is not None:
                    room.runs.append(run.id)

    def create(
        self, title: str | None, settings: dict[str, Any], free: tuple[str, ...] | None, control_hash: str
    ) -> Classroom:
        """A new class under a fresh code, stored before it is listed."""
        with self._lock:
            for _ in range(NEW_CODE_TRIES):
                code = new_code()
                if code not in self._classes:
                    break
            else:  # pragma: no cover - a billion codes
                raise RuntimeError("no free class code found")
            record = ClassRecord(code, title, settings, free, control_hash, datetime.now(UTC))
            room = self._classes[code] = Classroom(record)
        try:
            if self._store is not None:
                save_class(self._store, record)
        except Exception:
            with self._lock:
                self._classes.pop(code, None)
            raise
        return room

    def get(self, code: str) -> Classroom:
        """The class with this code (in any case); KeyError if there is none."""
        return self._classes[code.upper()]

    def join(self, room: Classroom, name: str | None, token_hash: str) -> StudentRecord:
        """A new student of the class, stored; ClassFullError past the server's max_class_students."""
        with self._lock:
            if len(room.students) >= self.max_students:
                raise ClassFullError(
                    f"this class has {len(room.students)} students, the most one class may have "
                    "(the server's max_class_students)"
                )
            student_id = new_student_id()
            while student_id in room.students:  # pragma: no cover - 2**48 ids
                student_id = new_student_id()
            shown = name or f"Student {len(room.students) + 1}"
            student = StudentRecord(room.code, student_id, shown, token_hash, datetime.now(UTC))
            room.add_student(student)
        try:
            if self._store is not None:
                save_student(self._store, student)
        except Exception:
            with self._lock:
                room.students.pop(student_id, None)
                room.tokens.pop(token_hash, None)
            raise
        return student

    def add_run(self, room: Classroom, run_id: str) -> None:
        """List a run just started in the class (its row, with the class's code, is the store's record of it)."""
        with self._lock:
            room.runs.append(run_id)
            room.version += 1

    def forget_run(self, room: Classroom, run_id: str) -> None:
        """Stop listing a run that is gone (deleted)."""
        with self._lock:
            if run_id in room.runs:
                room.runs.remove(run_id)
                room.version += 1

    def run_ids(self, room: Classroom) -> tuple[str, ...]:
        """The class's runs, oldest first, as they are now."""
        with self._lock:
            return tuple(room.runs)
