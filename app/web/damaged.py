"""A run whose stored data does not read back: a clear JSON error for it, while every other run works."""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from fastapi import HTTPException, status

from app.storage.records import DamagedRun
from app.web.responses import ErrorAnswer

log = logging.getLogger(__name__)

# The OpenAPI entry of the routes that read a run's stored steps or graphs.
DAMAGED: dict[int | str, dict[str, Any]] = {
    500: {
        "model": ErrorAnswer,
        "description": "The run's stored data is damaged (the database file was changed or cut short): "
        '`{"detail": "the stored steps of run X are damaged: ..."}`; other runs still answer.',
    }
}


@contextlib.contextmanager
def damaged_as_error() -> Iterator[None]:
    """Answer a DamagedRun raised in the block as a 500 that says which run and what of it is damaged."""
    try:
        yield
    except DamagedRun as error:
        log.error("%s", error)
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(error)) from None
