"""The WebSocket messages, one typed shape each (docs/protocol.md describes them; static/js/protocol.js mirrors)."""

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict  # pydantic validates only this TypedDict on Python < 3.12

from app.runs.run import RunStatus

# Plain TypedDicts rather than pydantic models: frames are built 30 times a second and serialized
# once with orjson, so validation would be pure cost; tests validate received messages against these.


class Series(TypedDict):
    """Points to draw: x and y of equal length."""

    x: list[float]
    y: list[float]


class GraphShape(TypedDict):
    """The autograd graph's nodes and edges (gradient flows from source to target), sent once per shape."""

    signature: str
    nodes: list[dict[str, Any]]  # {"id", "name", "kind": "op" | "leaf" | "constant", "label", "line": int | None}
    edges: list[list[Any]]  # [source id, target id, input index]


# Per captured step, keyed by node id (grad_out by "source>target:index"): forward, saved, order, grad_in,
# grad_out, leaf_grads, and the step it was captured at. Each value a tensor summary (docs/protocol.md).
GraphValues = dict[str, Any]


class View(TypedDict):
    """How to draw the data: "fit" is y against x; "outputs" each prediction against its target."""

    kind: Literal["fit", "outputs"]
    x_label: str
    y_label: str


class RunSummary(TypedDict):
    """A run as REST's RunInfo shows it (the same fields, JSON-ready)."""

    id: str
    engine: str
    status: RunStatus
    message: str | None
    config: dict[str, object]
    param_names: list[str]
    step: int
    steps_done: int
    loss: float | None
    params: dict[str, float]
    grads: dict[str, float]
    created_at: str
    started_at: str | None
    ended_at: str | None
    class_code: str | None
    student: str | None


class GradNorms(TypedDict):
    """The gradient's length at some steps: every step, or an even sample of a long run's."""

    steps: list[int]
    norms: list[float | None]


class Snapshot(TypedDict):
    """The first message of every socket: all a viewer needs to draw the run as it stands."""

    type: Literal["snapshot"]
    run: RunSummary
    view: View
    data: Series
    truth: Series
    curve_x: list[float]
    loss_from: int
    loss: list[float]
    step: int
    params: dict[str, float]
    grads: dict[str, float]
    grad_norms: GradNorms
    curve: list[float]
    graph: GraphShape | None
    graph_values: GraphValues | None
    presenter: dict[str, Any] | None


# What is new since the viewer's previous frame: every loss from step "from" on, the weights and the curve.
# The functional form because "from" is a Python keyword.
Frame = TypedDict(
    "Frame",
    {
        "type": Literal["frame"],
        "status": RunStatus,
        "from": int,
        "loss": list[float],
        "step": int,
        "params": dict[str, float],
        "grads": dict[str, float],
        "curve": list[float],
        "rate": float,
        "graph_values": GraphValues | None,
        # The run's graph is captured less often than its frames go out (the training workers are short of time).
        "thinned": bool,
        "graph": NotRequired[GraphShape],
    },
)


class StatusMessage(TypedDict):
    """A change of status; `final` marks the socket's last message."""

    type: Literal["status"]
    status: RunStatus
    message: str | None
    final: bool


class PresenterMessage(TypedDict):
    """What the lecturer's screen shows (panel, backward-stepper position, inspected node, mode)."""

    type: Literal["presenter"]
    state: dict[str, Any]


# The class feed (WS /ws/classes/{code}): one class frame a tick, built once for every viewer of the class.


class ClassInfo(TypedDict):
    """A class: its code, title, the settings its runs start from, the fields students may change (null: all)."""

    code: str
    title: str | None
    settings: dict[str, Any]
    free: list[str] | None
    created_at: str


class ClassRun(TypedDict):
    """A run of a class with every loss so far; `config` holds the fields that differ from the class's settings."""

    id: str
    student: str | None
    name: str | None
    status: RunStatus
    config: dict[str, Any]
    message: str | None
    losses: list[float | None]  # null: a loss that is not finite


# The first message of a class feed: every run as it stands, and what the lecturer's class view shows. The
# functional form because "class" is a Python keyword.
ClassSnapshot = TypedDict(
    "ClassSnapshot",
    {
        "type": Literal["class_snapshot"],
        "class": ClassInfo,
        "varying": list[str],
        "runs": list[ClassRun],
        "presenter": dict[str, Any] | None,
    },
)


class ClassRunNews(TypedDict):
    """A run's news since the last class frame: the losses from step `start` on, and what changed."""

    start: int
    losses: list[float | None]
    status: NotRequired[RunStatus]
    message: NotRequired[str | None]


class ClassFrame(TypedDict):
    """What is new in a class since the last class frame (sent only when something is)."""

    type: Literal["class_frame"]
    runs: dict[str, ClassRunNews]
    added: list[ClassRun]
    removed: NotRequired[list[str]]
    varying: NotRequired[list[str]]
