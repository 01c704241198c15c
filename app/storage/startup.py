"""The database opened at start-up: checked whole, and any failure told in one line naming the cause and where."""

import logging
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.storage.store import RunStore

log = logging.getLogger(__name__)

EXIT_CODE = 4  # `python -m app` exits with it when the database cannot be used (uvicorn's own start-up failure is 3)
PROBLEMS_SHOWN = 1  # of an integrity check's findings, how many the line quotes


class StoreUnusable(Exception):
    """The database cannot be opened, read or written, or fails its integrity check; the message is one line."""

    def __init__(self, where: str, cause: str) -> None:
        super().__init__(f"cannot use the database {where}: {cause}")


def open_checked(url: str) -> RunStore:
    """Open the store and check it before any run is read: SQLite's quick_check (a read of every page, about a
    second per gigabyte) and a write lock taken and let go; other databases, a query. StoreUnusable otherwise."""
    try:
        parsed = make_url(url)
    except Exception as error:
        raise StoreUnusable(repr(url[:80]), _cause(error)) from None
    path = Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None
    if path is not None and str(path) == ":memory:":
        path = None
    where = str(path) if path is not None else parsed.render_as_string(hide_password=True)
    if path is not None:
        _check_path(path, where)
    try:
        store = RunStore.open(url)
    except Exception as error:
        raise StoreUnusable(where, _cause(error)) from None
    try:
        _check(store, where, sqlite=parsed.get_backend_name() == "sqlite")
    except StoreUnusable:
        store.close()
        raise
    except Exception as error:
        store.close()
        raise StoreUnusable(where, _cause(error)) from None
    return store


def _check_path(path: Path, where: str) -> None:
    """Refuse a file that cannot be one, and say so when an empty file is taken as a new database."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise StoreUnusable(where, f"{parent} is not a directory")
            break
    if path.is_dir():
        raise StoreUnusable(where, "it is a directory")
    if path.is_file() and path.stat().st_size == 0:
        log.warning("autograd-live: the database %s was empty (0 bytes): starting afresh, with no runs", where)


def _check(store: RunStore, where: str, sqlite: bool) -> None:
    with store.engine.connect() as connection:
        if not sqlite:
            connection.execute(text("SELECT 1"))
            return
        found = [str(row[0]) for row in connection.exec_driver_sql("PRAGMA quick_check").all()]
        # One row per problem, or one row of several lines under a "*** in database main ***" heading.
        problems = [line for text in found for line in text.splitlines() if line.strip() and "***" not in line]
        if problems != ["ok"]:
            shown = "; ".join(str(problem) for problem in problems[:PROBLEMS_SHOWN])
            more = f" (and {len(problems) - PROBLEMS_SHOWN} more)" if len(problems) > PROBLEMS_SHOWN else ""
            raise StoreUnusable(where, f"integrity check failed: {shown}{more}")
        # Runs are written from the first step on: a file that cannot be written (read-only, or locked by another
        # process past the driver's busy timeout) is found now, not at the first flush.
        version = connection.exec_driver_sql("PRAGMA user_version").scalar()
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            connection.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")  # writes page 1, rolled back
        finally:
            connection.exec_driver_sql("ROLLBACK")


def _cause(error: BaseException) -> str:
    """The error's own words on one line: the driver's message rather than SQLAlchemy's wrapping of it."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if isinstance(error, OSError) and error.strerror:
        words = f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    else:
        words = str(error) or type(error).__name__
    return " ".join(words.split())[:300]
