"""The lectures a server offers: the ones it ships and those in its lectures directory, one TOML file each, read
when asked for (a lecturer's edit shows at the next load)."""

from dataclasses import dataclass
from pathlib import Path

from app.lectures.scenes import Lecture, LectureError, parse_lecture

SHIPPED = Path(__file__).resolve().parent
MAX_LECTURE_BYTES = 512 * 1024


@dataclass(frozen=True)
class LectureFile:
    """A lecture file and what came of reading it: its lecture, or why it cannot be shown."""

    name: str
    path: Path
    lecture: Lecture | None
    error: LectureError | None


class LectureLibrary:
    """Lectures by name (the file's name without .toml); a file in the lectures directory shadows a shipped one."""

    def __init__(self, directory: Path | None) -> None:
        self.directories = [SHIPPED, *([directory] if directory is not None else [])]

    def paths(self) -> dict[str, Path]:
        """Every lecture file by name, the later directory's winning."""
        found: dict[str, Path] = {}
        for directory in self.directories:
            if directory.is_dir():
                found.update({path.stem: path for path in sorted(directory.glob("*.toml"))})
        return found

    def read(self, name: str) -> LectureFile | None:
        """The lecture of that name, read now (None: there is none)."""
        path = self.paths().get(name)
        return None if path is None else read_file(name, path)

    def all(self) -> list[LectureFile]:
        """Every lecture, read now, by name."""
        return [read_file(name, path) for name, path in sorted(self.paths().items())]


def read_file(name: str, path: Path) -> LectureFile:
    """A lecture file read and checked; a file too large or not UTF-8 is refused as a whole."""
    try:
        if path.stat().st_size > MAX_LECTURE_BYTES:
            raise LectureError(f"the file is larger than {MAX_LECTURE_BYTES // 1024} KiB", None)
        return LectureFile(name, path, parse_lecture(path.read_text(encoding="utf-8")), None)
    except UnicodeDecodeError:
        return LectureFile(name, path, None, LectureError("the file is not UTF-8 text", None))
    except LectureError as error:
        return LectureFile(name, path, None, error)
