"""A stored run this server cannot read back: listed with why, so one bad row never hides or breaks the others."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import ValidationError

MAX_REASON = 300  # characters of a reason shown: enough to say what is wrong, never a whole damaged value


def shorten(text: str, limit: int = MAX_REASON) -> str:
    """The text, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(error: Exception) -> str:
    """What went wrong, short: a validation error's first problem by field, else the error's own words."""
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False, include_context=False)[0]
        return shorten(f"{'.'.join(map(str, first['loc'])) or 'value'}: {first['msg']}")
    return shorten(str(error) or type(error).__name__)


def aware(moment: datetime) -> datetime:
    """The moment with a time zone (UTC if it has none), so any two can be compared."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class UnreadableRun:
    """A stored run's row that does not read as a run here (a damaged value, an engine or config this version no
    longer takes, limits it is over, parameters that do not fit its engine): what could be read of it, and why.
    It can only be listed, shown and deleted."""

    id: str
    engine: str
    reason: str
    created_at: datetime
    control_hash: str | None = None
    steps_done: int = 0
    status: Literal["unreadable"] = "unreadable"

    @property
    def ended(self) -> bool:
        """Nothing goes on in it: it may be deleted."""
        return True

    @property
    def message(self) -> str:
        """Why it cannot be read, in words."""
        return f"this server cannot read this run: {self.reason}"


class UnreadableRunError(KeyError):
    """The run asked for is stored but cannot be read (a KeyError, so code that knows only found or not found
    treats it as not there)."""

    def __init__(self, run: UnreadableRun) -> None:
        super().__init__(run.id)
        self.run = run
