"""A database that cannot be used stops `python -m app` at start-up with one line naming the cause and the file, and
a distinct exit code; an empty file is started afresh, with a warning. Real files, a real server process."""

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.config import Settings
from app.main import create_app
from app.storage.records import RunRecord
from app.storage.schema import CHUNK_STEPS
from app.storage.startup import EXIT_CODE, StoreUnusable
from app.storage.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
DB = "autograd-live.db"  # the file in the data directory


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(data_dir: Path, database_url: str = "") -> subprocess.Popen[str]:
    """`python -m app` on a free port, storing in `data_dir` (or at `database_url`)."""
    env = {**os.environ, "AUTOGRAD_LIVE_DATA_DIR": str(data_dir), "AUTOGRAD_LIVE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "app", "--port", str(free_port())]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def refused(data_dir: Path, database_url: str = "") -> str:
    """Start the server, expect it to stop with EXIT_CODE; its stderr, which must be one line and no traceback."""
    process = serve(data_dir, database_url)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == EXIT_CODE, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("autograd-live: cannot use the database "), lines[0]
    return lines[0]


def with_runs(path: Path) -> Path:
    """A real database of three runs of 20 chunks each: a few megabytes over a few hundred pages."""
    store = RunStore.open(f"sqlite:///{path}")
    rng = np.random.default_rng(0)
    for number in range(3):
        record = RunRecord(
            id=f"r{number}", engine="numpy", status="finished", message=None, config={},
            param_names=("a", "b", "c", "d"), created_at=datetime.now(UTC), steps_done=20 * CHUNK_STEPS,
        )  # fmt: skip
        with store.batch() as batch:
            batch.save_run(record)
            for start in range(0, 20 * CHUNK_STEPS, CHUNK_STEPS):
                loss, params, grads = rng.standard_normal(CHUNK_STEPS), *rng.standard_normal((2, CHUNK_STEPS, 4))
                batch.append_chunk(record.id, start, loss, params, grads, False)
    store.close()  # the last connection checkpoints the WAL into the file and removes it
    assert not path.with_name(path.name + "-wal").exists()
    return path


Damage = Callable[[Path], None]


def garbage_header(path: Path) -> None:
    path.write_bytes(np.random.default_rng(1).bytes(64 * 1024))


def random_bytes_inside(path: Path) -> None:
    with path.open("r+b") as file:
        file.seek(path.stat().st_size // 2)
        file.write(np.random.default_rng(3).bytes(16 * 1024))


def truncated(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


@pytest.mark.parametrize(
    ("damage", "cause"),
    [
        (garbage_header, "file is not a database"),
        (random_bytes_inside, "integrity check failed: "),
        (truncated, "malformed"),
    ],
)
def test_a_damaged_file_stops_the_server_with_one_line(tmp_path: Path, damage: Damage, cause: str) -> None:
    """Garbage from the first byte, random bytes in the middle, the file cut in half: one line, the file named."""
    damage(with_runs(tmp_path / DB))
    line = refused(tmp_path)
    assert line.startswith(f"autograd-live: cannot use the database {tmp_path / DB}: ")
    assert cause in line


def test_a_directory_that_cannot_be_made_stops_the_server(tmp_path: Path) -> None:
    """The data directory's parent is a file (the tests run as root, which a read-only directory does not stop)."""
    (tmp_path / "file").write_text("not a directory")
    line = refused(tmp_path / "file" / "data")
    assert line.endswith(f"{tmp_path / 'file' / 'data' / DB}: {tmp_path / 'file'} is not a directory")


def test_a_read_only_database_stops_the_server(tmp_path: Path) -> None:
    """A database the server may only read (opened read-only, as a read-only mount or file would be for a user
    other than root) is found at start-up, not at the first flush."""
    path = with_runs(tmp_path / DB)
    line = refused(tmp_path, f"sqlite:///file:{path}?mode=ro&uri=true")
    assert line.endswith("attempt to write a readonly database")


def test_a_database_locked_by_another_process_stops_the_server(tmp_path: Path) -> None:
    """Another connection holding an exclusive lock past the driver's busy timeout (5 s)."""
    path = with_runs(tmp_path / DB)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        line = refused(tmp_path)
    finally:
        holder.close()
    assert line == f"autograd-live: cannot use the database {path}: database is locked"


def test_an_unknown_kind_of_database_stops_the_server(tmp_path: Path) -> None:
    """A URL no driver speaks: the same one line."""
    line = refused(tmp_path, "nosuchdb://user:secret@host/runs")
    assert "nosuchdb" in line and "secret" not in line


def test_an_empty_file_is_started_afresh_with_a_warning(tmp_path: Path) -> None:
    """A 0-byte file (as left by a disk that filled up) is a new database: the server starts, says so, lists no
    runs, and stores the next one."""
    (tmp_path / DB).touch()
    process = serve(tmp_path)
    port = int(process.args[-1])  # type: ignore[index]
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=2).json() == []:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert f"autograd-live: the database {tmp_path / DB} was empty (0 bytes): starting afresh, with no runs" in stderr
    assert "Traceback" not in stderr
    assert (tmp_path / DB).stat().st_size > 0


def test_under_another_server_the_lifespan_raises_the_one_line_error(tmp_path: Path) -> None:
    """`app.main:app` served by anything else: start-up fails with StoreUnusable, its message the same line."""
    garbage_header(tmp_path / DB)
    app = create_app(Settings(data_dir=tmp_path))

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(StoreUnusable, match=r"^cannot use the database .*: file is not a database$"):
        asyncio.run(start())
