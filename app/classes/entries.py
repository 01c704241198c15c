"""A class's runs as its messages and answers show them: who started each, how it stands, how it differs."""

from typing import Any

from app.classes.registry import Classroom
from app.classes.rules import differing
from app.runs.stored import AnyRun


def class_info(room: Classroom) -> dict[str, Any]:
    """The class itself: code, title, settings, free fields, when it was made."""
    record = room.record
    return {
        "code": record.code,
        "title": record.title,
        "settings": record.settings,
        "free": list(record.free) if record.free is not None else None,
        "created_at": record.created_at.isoformat(),
    }


def student_name(room: Classroom, student: str | None) -> str | None:
    """The display name of a student of the class (None for a run started by no student of it)."""
    found = room.students.get(student) if student is not None else None
    return found.name if found is not None else None


def run_config(room: Classroom, run: AnyRun) -> dict[str, Any]:
    """The fields of the run's config that differ from the class's settings (as JSON)."""
    return differing(room.record.settings, run.config.model_dump(mode="json"))


def run_summary(room: Classroom, run: AnyRun) -> dict[str, Any]:
    """A run as GET /api/classes/{code} lists it."""
    latest = run.latest
    return {
        "id": run.id,
        "student": run.student,
        "name": student_name(room, run.student),
        "status": run.status,
        "step": latest.step if latest is not None else -1,
        "loss": latest.loss if latest is not None else None,
        "config": run_config(room, run),
        "message": run.message,
    }
