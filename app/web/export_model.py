"""The export file's format as one strict, typed model: what GET /api/runs/{id}/export writes and what
POST /api/runs/import takes (every field checked by type here; how the fields fit together, in import_run.py)."""

import re
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from app.run_config import WHOLE_ONLY, RunConfig
from app.web.export import EXPORT_FORMAT, EXPORT_VERSION

# How an exported run may have ended (a run that still goes cannot be exported whole).
EndedStatus = Literal["finished", "stopped", "failed", "diverged", "interrupted"]
MAX_NAME = 64  # the longest id, parameter name or graph signature the store keeps
MAX_MESSAGE = 4000  # the longest status message taken in


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text_only(value: object) -> object:
    # A time is an ISO 8601 text: pydantic would also read a number (or a text of digits) as seconds since 1970.
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError("a time must be an ISO 8601 text with its time zone, e.g. 2026-12-06T19:50:00+00:00")
    return value


# Strict where JSON has the type (an int or a float is a number, never a text or true); lax only to read a time.
Number = Annotated[float, Field(allow_inf_nan=False)]  # strict: an int or a float, finite
Time = Annotated[AwareDatetime, BeforeValidator(_text_only), Field(strict=False)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Count = Annotated[int, Field(ge=0), WHOLE_ONLY]
# JSON has no tuple: a list of exactly three, its items still strict.
Edge = Annotated[tuple[Name, Name, Annotated[int, Field(ge=0), WHOLE_ONLY]], Field(strict=False)]


class Strict(BaseModel):
    """Every model of the format: strict types, and no field it does not know."""

    model_config = ConfigDict(strict=True, extra="forbid")


class ExportedRunInfo(Strict):
    """The run as GET /api/runs/{id} showed it when exported (its id is not kept: an import gets a new one)."""

    id: Annotated[str, Field(max_length=MAX_NAME)]
    engine: Name
    status: EndedStatus
    message: Annotated[str, Field(max_length=MAX_MESSAGE)] | None
    config: Annotated[RunConfig, Field(strict=False)]  # read exactly as POST /api/runs reads a config
    param_names: list[Name]
    step: Annotated[int, Field(ge=-1), WHOLE_ONLY]
    steps_done: Count
    loss: Number | None
    params: dict[str, Number] = Field(description="The weights after the last step's update.")
    grads: dict[str, Number] = Field(description="The gradient of the last step; empty before the first step.")
    created_at: Time
    started_at: Time | None
    ended_at: Time | None
    # The class it ran in, if any (exports made before classes have neither): an import joins no class.
    class_code: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    student: Annotated[str, Field(max_length=MAX_NAME)] | None = None


class ExportedHistory(Strict):
    """Every recorded step as columns, as GET /api/runs/{id}/history gives them."""

    step: list[Count]
    loss: list[Number]
    params: dict[str, list[Number]]
    grads: dict[str, list[Number]]


class GraphNodeIn(Strict):
    """A node of a graph's shape."""

    id: Name
    name: str
    kind: Literal["op", "leaf", "constant"]
    label: str
    line: Count | None = None  # absent from files exported before nodes named the line that built them


class GraphShapeIn(Strict):
    """A graph's shape: its nodes and edges ([source id, target id, input index]), filed under its signature."""

    signature: Name
    nodes: list[GraphNodeIn]
    edges: list[Edge]


class GraphValuesIn(BaseModel):
    """A captured graph's values: its shape's signature and, by node id, the values (kept as they are)."""

    model_config = ConfigDict(strict=True, extra="allow")

    signature: Name
    step: Count | None = None


class GraphFrameIn(GraphValuesIn):
    """The values of a graph kept for replay: at a recorded step, of a shape in graph_shapes."""

    step: Count


class ExportedRun(Strict):
    """The file GET /api/runs/{id}/export gives and POST /api/runs/import takes."""

    format: Literal["autograd-live-run"] = Field(description=f"Always {EXPORT_FORMAT!r}.")
    version: Annotated[int, Field(ge=1, le=EXPORT_VERSION), WHOLE_ONLY]
    run: ExportedRunInfo
    history: ExportedHistory
    graph: GraphShapeIn | None = None
    graph_values: GraphValuesIn | None = None
    # The graphs kept for replay (absent from files exported before they were): GraphValues by step, and shapes.
    graph_frames: list[GraphFrameIn] = Field(default_factory=list)
    graph_shapes: dict[str, GraphShapeIn] = Field(default_factory=dict)


def inlined_schema() -> dict[str, Any]:
    """The model's JSON schema with every definition written in place, to stand alone in the OpenAPI document
    (the route reads its body itself, so FastAPI does not file the model under components)."""
    schema = ExportedRun.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if (ref := node.get("$ref")) is not None:
                return inline(definitions[ref.rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(schema)  # type: ignore[no-any-return]
