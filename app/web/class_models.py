"""The class routes' request and answer models (the class feed's messages are in docs/protocol.md)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints, WithJsonSchema

from app.run_config import RunConfig
from app.runs.run import RunStatus

# A partial RunConfig is read as given (which fields were sent matters), then checked as a RunConfig (on top of
# the class's settings, for a student's): the document shows it as the RunConfig it is.
PARTIAL_CONFIG = {"$ref": "#/components/schemas/RunConfig-Input"}
MAX_TITLE = 120
MAX_NAME = 40
# The lecturer's class view state: a flat object of short scalars, whatever the class page needs to share.
MAX_PRESENTER_KEYS = 16
PresenterKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
PresenterValue = Annotated[str, Field(max_length=64)] | bool | int | Annotated[float, Field(allow_inf_nan=False)] | None


class ClassRequest(BaseModel):
    """A class to open: its title, the settings its runs start from, the fields students may change."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(max_length=MAX_TITLE)] | None = Field(None, description="Shown on the class view.")
    settings: Annotated[dict[str, Any], WithJsonSchema({"allOf": [PARTIAL_CONFIG]})] = Field(
        default_factory=dict,
        description="A partial RunConfig: every student's run starts from it (fields left out take their defaults).",
    )
    free: list[Annotated[str, WithJsonSchema({"type": "string", "enum": list(RunConfig.model_fields)})]] | None = Field(
        None,
        max_length=64,
        description="The RunConfig fields students may change; every other field is fixed by the class. "
        "null: all are free.",
    )


class ClassCreated(BaseModel):
    """A new class, with the token that steers its class view: keep it, it is not shown again."""

    code: str = Field(description="6 characters from A-Z and 2-9 without I, O, 0 and 1.")
    title: str | None
    settings: dict[str, Any]
    free: list[str] | None
    created_at: datetime
    join_url: str = Field(description="The link students open to join (the one its QR code encodes).")
    view_url: str = Field(description="The class view's path.")
    control_token: str = Field(description="Send it as X-Control-Token to share the class view (presenter).")


class ClassRunSummary(BaseModel):
    """One run of a class, as the class lists it."""

    id: str
    student: str | None = Field(description="The student who started it.")
    name: str | None = Field(description="That student's display name.")
    status: RunStatus
    step: int = Field(description="The last step recorded; -1 before the first.")
    loss: float | None = Field(description="The loss of the last step recorded (null before it, or not finite).")
    config: dict[str, Any] = Field(description="The fields of the run's config that differ from the class's settings.")
    message: str | None


class ClassDetail(BaseModel):
    """A class and its runs, oldest first."""

    code: str
    title: str | None
    settings: dict[str, Any]
    free: list[str] | None
    created_at: datetime
    join_url: str
    view_url: str
    runs: list[ClassRunSummary]


class JoinRequest(BaseModel):
    """A student joining a class."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)] | None = Field(
        None, description="The name the class view shows (default: Student N)."
    )


class Joined(BaseModel):
    """A student of the class: keep the token, it starts the student's runs and is not shown again."""

    student: str = Field(description="The student's id in the class.")
    student_token: str = Field(description="Send it as X-Student-Token to start runs in the class.")
    name: str


class ClassPresenterState(RootModel[dict[PresenterKey, PresenterValue]]):
    """What the lecturer's class view shows, shared with the class's followers: a flat object of at most 16 keys
    (lower-case letters, digits and _, at most 32 characters), each a short string, a number, a boolean or null."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})  # keys that fit no pattern: 422

    root: dict[PresenterKey, PresenterValue] = Field(max_length=MAX_PRESENTER_KEYS)
