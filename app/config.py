"""Server settings: limits and paths, read from AUTOGRAD_LIVE_* environment variables."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def default_database_url(data_dir: Path) -> str:
    """The SQLite file in the data directory that stores runs unless database_url names another database."""
    return f"sqlite:///{data_dir / 'autograd-live.db'}"


def default_training_processes() -> int:
    """One worker process per core but one, which the web process's fan-out keeps: at least one."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


class Settings(BaseSettings):
    """Limits of this server; run hyperparameters belong to the run config instead."""

    model_config = SettingsConfigDict(env_prefix="AUTOGRAD_LIVE_")

    host: str = "127.0.0.1"
    port: int = 8000
    max_steps: int = Field(1_000_000, gt=0, description="The most steps one run may ask for.")
    max_points: int = Field(100_000, gt=1, description="The most data points one run may ask for.")
    max_step_work: int = Field(
        100_000_000, gt=0, description="The most multiply-adds one step of a run may take (points × model size)."
    )
    max_running_runs: int = Field(
        4, gt=0, description="Runs at full speed (no pace) that train at once, sharing the time fairly; more wait."
    )
    max_active_runs: int = Field(1000, gt=0, description="Queued, running and paused runs; more are refused (422).")
    training_processes: int = Field(
        default_factory=default_training_processes,
        ge=0,
        description="Worker processes that train runs (default: one fewer than the cores, at least one); 0 trains "
        "in a thread of the server's own process.",
    )
    training_share: float = Field(
        0.6,
        gt=0,
        le=1,
        description="The share of a worker's time that admitted paced runs' steps may use (graphs have graph_share "
        "besides); more wait.",
    )
    graph_share: float = Field(
        0.2, gt=0, le=1, description="The share of a worker's time spent capturing graphs; past it, graphs thin out."
    )
    abandon_after: float = Field(
        600, gt=0, description="Seconds a paused or queued run with no viewer and no command waits before it stops."
    )
    stall_report: float = Field(
        0,
        ge=0,
        description="Seconds the event loop may be held up before every thread's stack is logged (0: never).",
    )
    max_kept_runs: int = Field(200, gt=0, description="Runs kept in memory; the oldest ended ones go first.")
    frame_rate: float = Field(30.0, gt=0, le=120, description="The most frames per second sent to a viewer.")
    curve_points: int = Field(200, gt=1, le=5000, description="Points of the drawn prediction curve.")
    lecturer_key: str | None = Field(
        None, description="When set, starting a run needs it in the X-Lecturer-Key header; unset, anyone may."
    )
    lectures_dir: Path | None = Field(
        None, description="A directory of lecture files (name.toml, scenes as data) offered beside the shipped ones."
    )
    static_dir: Path = ROOT / "static"
    templates_dir: Path = ROOT / "templates"
    data_dir: Path = Field(ROOT / "data", description="Where the default database file lives (made if missing).")
    database_url: str = Field("", description="Where runs are stored; empty means a SQLite file in data_dir.")
    flush_interval: float = Field(0.5, gt=0, le=10, description="Seconds between the store's batched writes.")
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="The largest request body any route but import takes (413 past it)."
    )
    max_import_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="The largest exported run POST /api/runs/import takes (413 past it)."
    )
    max_runs_per_client: int = Field(
        4, gt=0, description="Runs one client (address) may have queued, running or paused at once."
    )
    create_rate: float = Field(30, gt=0, description="Runs one client may start (or import) a minute, after a burst.")
    create_burst: int = Field(10, gt=0, description="Runs one client may start (or import) at once.")
    read_rate: float = Field(120, gt=0, description="History, CSV and export reads a client may make a minute.")
    read_burst: int = Field(30, gt=0, description="Whole-run reads one client may make at once.")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins besides the server's own whose pages may open its WebSocket and change its runs.",
    )
    public_url: str | None = Field(
        None, description="The address students reach this server at, for share links and QR codes; unset: detected."
    )
    class_frame_rate: float = Field(
        4.0, gt=0, le=30, description="Class frames per second sent to a class's viewers (each built once for all)."
    )
    join_rate: float = Field(120, gt=0, description="Class joins one address may make a minute, after its burst.")
    join_burst: int = Field(
        400, gt=0, description="Class joins one address may make at once: a whole hall behind one NAT address."
    )
    max_class_students: int = Field(1000, gt=0, description="Students one class may have; more joins are refused.")
    max_stored_frames: int = Field(
        1000, ge=0, le=100_000, description="Framed steps per run whose autograd graph is kept for replay (thinned)."
    )

    @model_validator(mode="after")
    def _default_database(self) -> Self:
        if not self.database_url:
            self.database_url = default_database_url(self.data_dir)
        return self


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
