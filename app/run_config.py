"""The validated configuration of one training run, as the REST API and the engines see it."""

import math
import secrets
from typing import Annotated, Literal, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict, JsonValue
from pydantic_core import PydanticCustomError

from app.formula import DEFAULT_TARGET, compile_formula

EngineName = Literal[
    "linear",
    "linear-torch",
    "numpy",
    "torch-tensors",
    "torch-autograd",
    "tiny-autograd",
    "torch-function",
    "torch-nn",
    "torch-optim",
    "dynamic-net",
    "torch-mlp",
    "lecture-net",
]
Reduction = Literal["sum", "mean"]
Optimizer = Literal["sgd", "momentum", "rmsprop", "adam"]
Activation = Literal["sigmoid", "relu", "tanh", "softmax"]
MAX_WIDTH = 256


def _number_only(value: object) -> object:
    """JSON numbers only: true, false and "100" are not numbers, whatever Python would make of them."""
    if isinstance(value, bool | str):
        kind = "true or false" if isinstance(value, bool) else "text"
        raise PydanticCustomError("number_type", "Input should be a number, not {kind}", {"kind": kind})
    return value


def _whole_only(value: object) -> object:
    """A JSON number that is whole, as an int: 172.0 is 172 (JSON Schema's "integer"); 172.5 stays to be refused."""
    value = _number_only(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Bounds go before these in an Annotated type (Annotated[int, Field(ge=0), WHOLE_ONLY]): after them, pydantic
# cannot hand the bounds to the JSON schema as minimum and maximum, and writes keys no schema reader knows.
NUMBER_ONLY = BeforeValidator(_number_only)
WHOLE_ONLY = BeforeValidator(_whole_only)
# A whole number as JSON has it: 172 and 172.0 alike, never true or "172" (also inside strict models).
Whole = Annotated[int, WHOLE_ONLY]
Number = Annotated[float, NUMBER_ONLY]
Width = Annotated[int, Field(ge=1, le=MAX_WIDTH)]
# Absolute ceilings of the schema; the server's own limits (max_steps, max_points) are checked before any data is
# made (RunManager.check_limits) and are usually far lower.
MAX_STEPS = 10**9
MAX_POINTS = 10**8
# Steps per second a run may be slowed to: one every ten seconds at the slowest (slower is a pause and steps).
# The highest power of x a linear model's features may reach: [1, x, x², x³], the lecture's cubic.
MAX_DEGREE = 3
# The largest seed: the largest whole number a browser's JSON numbers (doubles) hold exactly, so the page shows
# and sends back the very seed a run used.
MAX_SEED = 2**53 - 1
MIN_PACE = 0.1
MAX_PACE = 1_000_000
Pace = Annotated[float, Field(ge=MIN_PACE, le=MAX_PACE), NUMBER_ONLY]
DType = Literal["float64", "float32"]

DEFAULT_POINTS = 2000
# The lecture's rate for the summed loss, and the rate that takes the same step on the mean of 2000 points.
DEFAULT_LEARNING_RATE: dict[Reduction, float] = {"sum": 1e-6, "mean": 1e-6 * DEFAULT_POINTS}
# The tutorial's rates where they differ from the lecture's (for the summed loss).
ENGINE_LEARNING_RATE: dict[str, float] = {"torch-function": 5e-6, "dynamic-net": 1e-8, "lecture-net": 1.25e-4}
# Networks train with Adam, whose step does not scale with the gradient, so neither with the reduction.
NETWORK_LEARNING_RATE = 1e-2
# RMSprop and Adam scale each step by the gradient's size, so their rate does not depend on the reduction.
OPTIMIZER_LEARNING_RATE: dict[Optimizer, float] = {"rmsprop": 1e-3, "adam": 1e-2}


def default_learning_rate(engine: EngineName, reduction: Reduction, optimizer: Optimizer) -> float:
    """The tutorial's learning rate for this engine, optimizer and reduction."""
    if engine == "torch-mlp":
        return NETWORK_LEARNING_RATE
    if engine == "torch-optim" and optimizer in OPTIMIZER_LEARNING_RATE:
        return OPTIMIZER_LEARNING_RATE[optimizer]
    scale = ENGINE_LEARNING_RATE.get(engine, DEFAULT_LEARNING_RATE["sum"]) / DEFAULT_LEARNING_RATE["sum"]
    return DEFAULT_LEARNING_RATE[reduction] * scale


# Where an engine's own source differs from the lecture's defaults, a field left out takes the engine's value:
# lecture-net is the lecture's network, whose slide uses MSELoss() (the mean); dynamic-net is the tutorial's script,
# which runs 30000 steps.
# The linear engines start where the lecture does, with one feature: y = b + w1 x, a line.
ENGINE_DEFAULTS: dict[str, dict[str, object]] = {
    "lecture-net": {"reduction": "mean"},
    "dynamic-net": {"steps": 30000},
    "linear": {"degree": 1},
    "linear-torch": {"degree": 1},
}


def engine_defaults(engine: object) -> dict[str, object]:
    """Every field's default for `engine` where it differs from the lecture's (the field's own default)."""
    return ENGINE_DEFAULTS.get(engine, {}) if isinstance(engine, str) else {}


def default_layers() -> list[int | Activation]:
    """One hidden layer of 16 units with tanh: small, and smooth enough to bend into sin(x)."""
    return [16, "tanh"]


# Fields an engine does not read. lecture-net learns a seeded teacher network's two outputs with the lecture's
# fixed network: no target formula, no hidden layers. Its config writes them as null (stored and returned), so
# it says only what shaped the run; whatever is sent for them (an older export's defaults) is ignored unchecked.
UNUSED_FIELDS: dict[str, frozenset[str]] = {"lecture-net": frozenset({"target", "layers"})}


def unused_fields(engine: object) -> frozenset[str]:
    """The config fields `engine` does not read (none for a name that is not an engine's: validation says so)."""
    return UNUSED_FIELDS.get(engine, frozenset()) if isinstance(engine, str) else frozenset()


def _excerpt(value: object, limit: int = 40) -> str:
    """A value as an error message may quote it: short, whatever was sent."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Engines that compute fresh gradients every step and keep no .grad: zero_grad=false means nothing there.
FRESH_GRADIENT_ENGINES: tuple[EngineName, ...] = ("linear", "numpy", "torch-tensors")
# The same rule in the JSON schema, so the document refuses what the server refuses (engine absent is numpy).
ZERO_GRAD_RULE: JsonDict = {
    "if": {"properties": {"engine": {"enum": list(FRESH_GRADIENT_ENGINES)}}},
    "then": {"properties": {"zero_grad": {"const": True}}},
}

# The switches only some engines read (EngineSpec.switches, checked by app/engines/switches.py), and those engines;
# every other engine takes them only at their default. Rules of the JSON schema too, built below.
SWITCH_ENGINES: dict[str, tuple[EngineName, ...]] = {
    "no_grad": ("linear-torch", "torch-autograd"),
    "degree": ("linear", "linear-torch"),
    "frozen": ("torch-autograd",),
}


def _switch_rule(field: str, default: JsonValue) -> JsonDict:
    """The JSON schema's rule that an engine not reading `field` takes it only at `default`."""
    return {
        "if": {"not": {"properties": {"engine": {"enum": list(SWITCH_ENGINES[field])}}, "required": ["engine"]}},
        "then": {"properties": {field: {"const": default}}},
    }


SWITCH_RULES: tuple[JsonDict, ...] = (
    _switch_rule("no_grad", True),
    _switch_rule("degree", MAX_DEGREE),
    _switch_rule("frozen", []),
)


class RunConfig(BaseModel):
    """What to train and how; every field defaults to the lecture's value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"allOf": [ZERO_GRAD_RULE, *SWITCH_RULES]})

    engine: EngineName = Field("numpy", description="Which implementation trains the cubic.")
    steps: Whole = Field(
        2000,
        gt=0,
        le=MAX_STEPS,
        description="Gradient descent steps to take (left out for dynamic-net: the tutorial's 30000, or the "
        "server's max_steps if lower).",
    )
    # An optional field's bounds go inside its Annotated type: beside a union with null, pydantic would write them
    # as keys no JSON schema reader knows.
    learning_rate: Annotated[float, Field(gt=0), NUMBER_ONLY] | None = Field(
        None,
        description="Step size η; absent means the tutorial's: 1e-6 for the summed loss, 2e-3 for the mean.",
    )
    reduction: Reduction = Field(
        "sum",
        description="Squared error summed (the lecture's code) or averaged (lecture-net's default: its slide's "
        "MSELoss()).",
    )
    seed: Annotated[int, Field(ge=0, le=MAX_SEED), WHOLE_ONLY] | None = Field(
        None, description="Seed of the initial weights; drawn and recorded when absent."
    )
    pace: Pace | None = Field(
        None, description="Steps per second to slow down to (0.1 to 1e6); absent means full speed."
    )
    points: Whole = Field(
        DEFAULT_POINTS, ge=2, le=MAX_POINTS, description="Number of data points evenly spaced on the range."
    )
    x_min: Number = Field(-math.pi, ge=-1e3, le=1e3, description="Left end of the x range.")
    x_max: Number = Field(
        math.pi,
        ge=-1e3,
        le=1e3,
        validate_default=True,  # x_min alone may pass the default x_max: the range is checked either way
        description="Right end of the x range; larger than x_min.",
    )
    target: str = Field(
        DEFAULT_TARGET,
        description="The function of x to learn: numbers, x, pi, e, + - * / **, and sin, cos, exp, log, ... "
        "(null for lecture-net, which learns a teacher network's outputs).",
    )
    noise: Number = Field(0.0, ge=0, le=100, description="Standard deviation of Gaussian noise added to targets.")
    dtype: DType = Field("float64", description="Floating point precision of data and weights.")
    zero_grad: StrictBool = Field(
        True,
        description="Reset the gradients after every update; off, they pile up across steps (the common mistake).",
    )
    degree: Annotated[int, Field(ge=1, le=MAX_DEGREE), WHOLE_ONLY] = Field(
        MAX_DEGREE,
        description="The linear engines' features: the powers of x from 1 up to this, [1, x] (a line, their "
        "default), [1, x, x²] or [1, x, x², x³] (the cubic, which every other engine fits).",
    )
    frozen: list[Annotated[str, Field(pattern=r"^[a-z]\w{0,15}$")]] = Field(
        default_factory=list,
        max_length=8,
        description="Weights made with requires_grad=False (torch-autograd): no gradient reaches them, they keep "
        "their first value and their node leaves the graph; freezing them all leaves backward() nothing to do, and "
        "PyTorch says so.",
    )
    no_grad: StrictBool = Field(
        True,
        description="Update the weights inside torch.no_grad() (torch-autograd); off, autograd tracks the update and "
        "PyTorch refuses it: an in-place change of a leaf that requires grad ends the run failed, with its error.",
    )
    layers: list[Width | Activation] = Field(
        default_factory=default_layers,
        max_length=8,
        description="Hidden layers of the torch-mlp network between input x and output y: widths of Linear "
        "layers and activations, e.g. [16, 'tanh'] is Linear(1, 16), Tanh(), Linear(16, 1) (null for lecture-net).",
    )
    optimizer: Optimizer = Field(
        "sgd", description="torch.optim algorithm of the torch-optim engine (momentum is SGD with momentum 0.9)."
    )

    @model_validator(mode="before")
    @classmethod
    def _engine_fields(cls, data: object) -> object:
        # Fields the engine does not read are left out before validation: they keep their defaults inside (nothing
        # reads them) and dump as null.
        if isinstance(data, dict):
            unused = unused_fields(data.get("engine", cls.model_fields["engine"].default))
            return {name: value for name, value in data.items() if name not in unused}
        return data

    @field_serializer("target")
    def _dump_target(self, target: str) -> str | None:
        return None if "target" in unused_fields(self.engine) else target

    @field_serializer("layers")
    def _dump_layers(self, layers: list[Width | Activation]) -> list[Width | Activation] | None:
        return None if "layers" in unused_fields(self.engine) else layers

    @field_validator("learning_rate")
    @classmethod
    def _finite_rate(cls, rate: float | None) -> float | None:
        if rate is not None and not math.isfinite(rate):
            raise ValueError("the learning rate must be a finite positive number")
        return rate

    @field_validator("layers", mode="before")
    @classmethod
    def _known_layers(cls, layers: object) -> object:
        # One plain message per bad entry, rather than pydantic's two for a failed int-or-name union.
        if not isinstance(layers, list):
            return layers
        known = []
        for i, layer in enumerate(layers):
            if isinstance(layer, float) and layer.is_integer():
                layer = int(layer)  # 16.0 is the whole number 16, as JSON Schema's "integer" has it
            width = isinstance(layer, int) and not isinstance(layer, bool) and 1 <= layer <= MAX_WIDTH
            if not (width or layer in get_args(Activation)):
                raise ValueError(
                    f"layer {i + 1} ({_excerpt(layer)}) is not a width from 1 to {MAX_WIDTH} "
                    f"nor one of {', '.join(get_args(Activation))}"
                )
            known.append(layer)
        return known

    @field_validator("x_max")
    @classmethod
    def _range_not_empty(cls, x_max: float, info: ValidationInfo) -> float:
        x_min = info.data.get("x_min")
        if x_min is not None and not x_min < x_max:
            raise ValueError(f"x_max must be larger than x_min ({x_min:g})")
        return x_max

    @field_validator("target")
    @classmethod
    def _valid_target(cls, text: str) -> str:
        # Only parsed here: its values are checked once the server knows the points fit its limits
        # (RunManager.check_limits), never on data of a size nobody has checked yet.
        return compile_formula(text).text  # FormulaError is a ValueError: a 422 on "target" with its message

    @model_validator(mode="after")
    def _fill_defaults(self) -> Self:
        for name, value in engine_defaults(self.engine).items():
            if name not in self.model_fields_set:
                # Left out: the engine's own default, still counted as not sent (so a server whose max_steps is
                # lower takes its most rather than refusing a field nobody typed: RunManager.check_limits).
                self.__dict__[name] = value
        if self.seed is None:
            self.seed = secrets.randbelow(2**31)
        if self.learning_rate is None:
            self.learning_rate = default_learning_rate(self.engine, self.reduction, self.optimizer)
        return self

    @property
    def lr(self) -> float:
        """The learning rate, always set once validated."""
        assert self.learning_rate is not None
        return self.learning_rate

    @property
    def initial_seed(self) -> int:
        """The seed of the initial weights, always set once validated."""
        assert self.seed is not None
        return self.seed
