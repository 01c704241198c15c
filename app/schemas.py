"""REST response models (the request model is app.run_config.RunConfig)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.engines.code import Phase
from app.run_config import RunConfig
from app.runs.run import RunStatus


class CodeLineInfo(BaseModel):
    """A line of the engine's step and its phase: forward, loss, backward, update, zero or record."""

    text: str
    phase: Phase
    updates: list[str] | Literal["all"] = Field(
        default_factory=list,
        description='The weights this line updates, by name ([] for none); "all" for every weight of the run '
        "(an optimizer's step, a loop over the model's parameters), whose names may depend on its config.",
    )
    when: dict[str, str | bool] | None = Field(
        None,
        description='The config this line runs under, e.g. {"zero_grad": true} or {"reduction": "mean"}: a run whose '
        "config differs skips it; null: every run runs it. The source's `if config...` line itself is not listed.",
    )
    inside: dict[str, str | bool] | None = Field(
        None,
        description='The switched `with` block this line is in, e.g. {"no_grad": true} inside `with torch.no_grad():`: '
        "a run whose config differs leaves the `with` out (that line carries the same `when`) and runs this line "
        "one level out, four spaces less indented; null: in no such block.",
    )
    needs_grad: str | None = Field(
        None,
        description="The weight this line updates only while it requires grad (the source's `if c.requires_grad:` "
        "is not listed): a run that freezes it (config `frozen`) skips the line; null: every run runs it.",
    )


class EngineInfo(BaseModel):
    """An engine a run can use, with the source lines of one of its steps."""

    name: str
    description: str
    model: str
    param_names: list[str]
    inputs: int = Field(description="1: y = target(x) on the x range; 2: (x1, x2) -> (y1, y2) drawn from the seed.")
    stores_grads: bool = Field(description="Gradients live in .grad between steps, so zero_grad=false piles them up.")
    powers: dict[str, list[int]] | None = Field(
        None,
        description="Where the model is a sum of weights times powers of x: the powers each weight multiplies "
        '({"a": [0], "b": [1], ...}; the dynamic net\'s e: [4, 5]); a past step\'s fit is Σ weight·Σ x^power. Null '
        "for the others (the Legendre model, the networks).",
    )
    sources: dict[str, str] = Field(
        default_factory=dict,
        description="For an engine whose autograd is written out (tiny-autograd): the source of the method that "
        'makes each op\'s node, by op ("mul": its Tensor.__mul__), and "backward": the walk backward() takes; the '
        "page shows them beside the graph's boxes. Empty for the rest.",
    )
    switches: list[str] = Field(
        default_factory=list,
        description='The config fields only some engines read that this one does: "no_grad" (a run may leave '
        'torch.no_grad() out of its update, and PyTorch then refuses it), "degree" (the powers of x among a linear '
        "model's features). Every other engine refuses them at anything but their default.",
    )
    code: list[CodeLineInfo] = Field(
        description="The body of the engine's training loop, from its own source. A graph node's `line` is an "
        "index into this list: the line that built it."
    )
    leaves: dict[str, str] = Field(
        default_factory=dict,
        description="The graph leaf (its label) holding each weight whose leaf is not named after it: torch.nn's "
        "a is the leaf 0.bias, b, c and d the leaf 0.weight. A weight not listed is the leaf of its own name.",
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="The config fields this engine defaults to its own value when they are left out, where that "
        "differs from the field's default: lecture-net's reduction (mean, as its slide's MSELoss()), dynamic-net's "
        "steps (the tutorial's 30000).",
    )


class TargetPreset(BaseModel):
    """A named target function."""

    name: str
    formula: str


class RunInfo(BaseModel):
    """A run's config, status and latest numbers."""

    id: str
    engine: str
    status: RunStatus
    message: str | None = Field(description="Why the run failed or diverged, in words.")
    config: RunConfig | None = Field(description="null only for a run that is `unreadable`.")
    param_names: list[str]
    step: int = Field(description="The last step recorded; -1 before the first.")
    steps_done: int
    loss: float | None = Field(description="The loss of the last step recorded.")
    params: dict[str, float] = Field(description="The weights now, after the last update.")
    grads: dict[str, float] = Field(description="The gradient of the last step recorded.")
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    class_code: str | None = Field(None, description="The class the run was started in (null outside a class).")
    student: str | None = Field(None, description="The student of that class who started it (null outside one).")


class CreatedRun(RunInfo):
    """A new run, with the token that steers it: keep it, it is not shown again."""

    control_token: str = Field(description="Send it as X-Control-Token to pause, resume, step, stop or delete.")


class RunHistory(BaseModel):
    """Every recorded step: loss[i] and grads[*][i] were computed with params[*][i], before that update."""

    step: list[int]
    loss: list[float]
    params: dict[str, list[float]]
    grads: dict[str, list[float]]


class Health(BaseModel):
    """The server answers."""

    status: str = "ok"


class GraphAtStep(BaseModel):
    """The autograd graph a replay shows at a step: the one captured at the nearest framed step at or before it."""

    requested: int = Field(description="The step asked for.")
    step: int = Field(description="The step the graph was captured at: the requested one, or the nearest before.")
    next_step: int | None = Field(description="The next step with a kept graph: this one holds until then.")
    shape: dict[str, object] = Field(description="GraphShape (docs/protocol.md): the graph's shape at that step.")
    values: dict[str, object] = Field(description="GraphValues (docs/protocol.md), exactly as they were captured.")
