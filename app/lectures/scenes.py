"""A lecture as data: its scenes in order, each a slide's point in a few lines, its equation, the run it starts
(and the run beside it), the panel enlarged and the code lines marked. One TOML file a lecture; a file with an
error is refused with a message naming its line."""

import re
import tomllib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.engines import ENGINES
from app.engines.code import step_code
from app.run_config import RunConfig

# The panels a scene may enlarge, as presenter mode names them (static/js/present/enlarge.js).
Panel = Literal["fit", "loss", "weights", "graph", "code", "equations"]
# Steps a second a scene's run takes unless its file says: slow enough to watch each step move the fit.
DEFAULT_PACE = 30


class LectureError(ValueError):
    """A lecture file that cannot be shown, and where: `line` is 1-based (None: the file as a whole)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


class Scene(BaseModel):
    """One step of the lecture: what the hall reads, the run it watches, and where to look."""

    model_config = ConfigDict(extra="forbid")

    part: str = Field(max_length=80, description="The lecture's part the scene belongs to (its outline entry).")
    title: str = Field(max_length=120)
    slides: list[int] = Field(default_factory=list, max_length=20, description="The seed slides the scene shows.")
    text: str = Field(max_length=1200, description="The slide's point in a few lines.")
    equation: str = Field("", max_length=300, description="Its equation, as text (Unicode maths).")
    run: dict[str, Any] = Field(description="The run the scene starts when it opens: any run config, as sent.")
    compare: dict[str, Any] | None = Field(None, description="A second run started beside it, compared on the page.")
    panel: Panel | None = Field(None, description="The panel enlarged while the scene is open (none: the board).")
    lines: list[str] = Field(
        default_factory=list, max_length=12, description="Code lines to mark: each is found in the engine's step."
    )

    @field_validator("run", "compare")
    @classmethod
    def _a_run_config(cls, run: dict[str, Any] | None) -> dict[str, Any] | None:
        # Checked as the server checks a run, kept as written (the server draws what it leaves out, the seed);
        # a scene's run is watched, not raced: paced unless the file says how fast.
        if run is None:
            return None
        try:
            RunConfig.model_validate(run)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise PydanticCustomError("run_config", "{field}: {msg}", {"field": field, "msg": first["msg"]}) from None
        return {"pace": DEFAULT_PACE, **run}

    @field_validator("lines")
    @classmethod
    def _lines_of_its_engine(cls, lines: list[str], info: ValidationInfo) -> list[str]:
        run = info.data.get("run")
        if run is None:
            return lines  # the run is wrong: that is the error to fix first
        engine = ENGINES[RunConfig.model_validate(run).engine]
        code = [line.text for line in step_code(engine.train, engine.param_names) if line.text.strip()]
        for wanted in lines:
            if not any(wanted.strip() in text for text in code):
                raise PydanticCustomError(
                    "unknown_line",
                    '"{wanted}" is not a line of {engine}\'s step',
                    {"wanted": wanted, "engine": engine.name},
                )
        return lines


class Lecture(BaseModel):
    """A lecture's title and scenes, in the order they are taught."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=160)
    source: str = Field("", max_length=300, description="Where its material comes from.")
    # Written [[scene]] in the file, one table a scene; served as `scenes`.
    scenes: list[Scene] = Field(min_length=1, max_length=200, validation_alias="scene")


def parse_lecture(text: str) -> Lecture:
    """The lecture a TOML file holds; LectureError naming the line of the first thing wrong with it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        raise LectureError(str(error), int(found.group(1)) if found else None) from None
    try:
        return Lecture.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = first["loc"]
        # A run's own field (its engine, its steps) is a key of the file too: the line to point at.
        field = (first.get("ctx") or {}).get("field")
        loc = (*loc, *str(field).split(".")) if first["type"] == "run_config" and field else loc
        raise LectureError(f"{where(first['loc'])}: {first['msg']}", line_of(text, loc)) from None


def where(loc: tuple[Any, ...]) -> str:
    """A place in the lecture as its author counts: "scene 3, run" (scenes from 1), "title"."""
    if len(loc) > 1 and loc[0] == "scene" and isinstance(loc[1], int):
        rest = ".".join(str(part) for part in loc[2:])
        return f"scene {loc[1] + 1}" + (f", {rest}" if rest else "")
    return ".".join(str(part) for part in loc)


def line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of a validation error's place in the file: the key's own line, else its scene's header."""
    scene = loc[1] if len(loc) > 1 and loc[0] == "scene" and isinstance(loc[1], int) else None
    keys = [part for part in loc if isinstance(part, str) and part != "scene"]
    headers = 0
    table: list[str] = []  # the table the lines are in: [] at the top, ["scene"], ["scene", "run"] ...
    found: int | None = None
    multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if multiline:
            multiline = line.count('"""') % 2 == 0
            continue
        if line.startswith("[[scene]]"):
            headers += 1
            table = ["scene"]
            if scene is not None and headers == scene + 1:
                found = number
            continue
        header = re.match(r"^\[([\w.]+)\]", line)
        if header:
            table = header.group(1).split(".")
            if scene is not None and headers == scene + 1 and table[1:] == keys[:1]:
                found = number
            continue
        key = re.match(r"^([A-Za-z0-9_-]+)\s*=", line)
        if key:
            path = [*table[1:], key.group(1)] if table else [key.group(1)]
            here = (scene is None and not table) or (scene is not None and headers == scene + 1)
            if here and path == keys[: len(path)] and path:
                found = number
            multiline = line.count('"""') == 1
    return found
