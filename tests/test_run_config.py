"""RunConfig: the lecture's defaults, filled seed and learning rate, and validation naming the field."""

import math
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.run_config import ENGINE_DEFAULTS, EngineName, RunConfig, default_learning_rate, engine_defaults

FEW = settings(max_examples=40, deadline=None)


def error_locations(body: dict[str, Any]) -> list[tuple[int | str, ...]]:
    """The `loc` of every error RunConfig raises for `body` (it must raise)."""
    with pytest.raises(ValidationError) as caught:
        RunConfig.model_validate(body)
    return [tuple(error["loc"]) for error in caught.value.errors()]


def test_defaults_are_the_lecture() -> None:
    """An empty config is the lecture's run: numpy, 2000 steps, lr 1e-6 on the summed loss, 2000 points on ±π."""
    config = RunConfig()
    assert config.engine == "numpy"
    assert config.steps == 2000
    assert config.reduction == "sum"
    assert config.learning_rate == 1e-6 and config.lr == 1e-6
    assert config.points == 2000
    assert config.x_min == -math.pi and config.x_max == math.pi
    assert config.pace is None


def test_mean_reduction_defaults_to_the_same_step_size() -> None:
    """reduction='mean' without a learning rate gets 2e-3: the lecture's 1e-6 times its 2000 points."""
    assert RunConfig(reduction="mean").learning_rate == pytest.approx(2e-3, rel=1e-12)


@pytest.mark.parametrize(
    ("engine", "field", "own"), [("lecture-net", "reduction", "mean"), ("dynamic-net", "steps", 30000)]
)
def test_an_engine_whose_source_differs_from_the_lecture_fills_a_left_out_field_its_own_way(
    engine: str, field: str, own: object
) -> None:
    """lecture-net's slide uses MSELoss() (the mean), the tutorial's dynamic net runs 30000 steps: left out, the field
    takes that value (and the rate follows the reduction); given, the field is kept; every other engine keeps the
    field's own default; a dumped config reads back the same."""
    config = RunConfig.model_validate({"engine": engine})
    assert getattr(config, field) == own
    assert config.lr == default_learning_rate(config.engine, config.reduction, config.optimizer)
    given = RunConfig.model_validate({"engine": engine, field: RunConfig.model_fields[field].default})
    assert getattr(given, field) == RunConfig.model_fields[field].default
    assert RunConfig.model_validate(config.model_dump()) == config
    assert engine_defaults(engine) == {field: own}
    others = [name for name in typing.get_args(EngineName) if name not in ENGINE_DEFAULTS]
    assert others and all(engine_defaults(name) == {} for name in others)
    for name in others:
        other = RunConfig.model_validate({"engine": name})
        assert (other.reduction, other.steps) == ("sum", 2000)


def test_explicit_learning_rate_is_kept() -> None:
    """A given learning rate is never replaced by the default."""
    assert RunConfig(reduction="mean", learning_rate=0.5).learning_rate == 0.5
    assert RunConfig(learning_rate=3e-7).lr == 3e-7


def test_absent_seed_is_drawn_and_recorded() -> None:
    """Without a seed one is drawn, recorded in the config (so its dump repeats the run), and seeds differ."""
    configs = [RunConfig() for _ in range(5)]
    seeds = [c.seed for c in configs]
    assert all(isinstance(s, int) and 0 <= s < 2**31 for s in seeds)
    assert len(set(seeds)) > 1
    again = RunConfig.model_validate(configs[0].model_dump())
    assert again.seed == configs[0].seed == configs[0].initial_seed


def test_given_seed_is_kept() -> None:
    """A given seed (including 0) is used as is."""
    assert RunConfig(seed=0).initial_seed == 0
    assert RunConfig(seed=2**53 - 1).seed == 2**53 - 1  # the largest a browser holds exactly


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": -5}, "steps"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": -1e-6}, "learning_rate"),
        ({"learning_rate": "nan"}, "learning_rate"),
        ({"learning_rate": "inf"}, "learning_rate"),
        ({"learning_rate": "-inf"}, "learning_rate"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"engine": "jax"}, "engine"),
        ({"reduction": "max"}, "reduction"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**53}, "seed"),  # past what the page's JSON numbers hold exactly
        ({"points": 1}, "points"),
        ({"pace": 0}, "pace"),
        ({"x_min": -1e4}, "x_min"),
        ({"colour": "red"}, "colour"),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else "-".join(f"{k}={v}" for k, v in value.items()),
)
def test_invalid_field_is_rejected_and_named(body: dict[str, Any], field: str) -> None:
    """Each invalid value is refused with an error located at its own field."""
    assert (field,) in error_locations(body)


@pytest.mark.parametrize("x_range", [(1.0, 1.0), (2.0, -2.0)], ids=["equal", "reversed"])
def test_empty_x_range_is_rejected_naming_a_bound(x_range: tuple[float, float]) -> None:
    """x_min ≥ x_max is refused with an error located at x_min or x_max, not at the whole body."""
    x_min, x_max = x_range
    locations = error_locations({"x_min": x_min, "x_max": x_max})
    assert any(loc and loc[0] in {"x_min", "x_max"} for loc in locations), locations


@FEW
@given(
    learning_rate=st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False),
    steps=st.integers(min_value=1, max_value=1_000_000),
)
def test_any_positive_finite_rate_and_positive_steps_are_accepted(learning_rate: float, steps: int) -> None:
    """Every positive finite learning rate and every step count ≥ 1 validate unchanged."""
    config = RunConfig(learning_rate=learning_rate, steps=steps)
    assert config.lr == learning_rate
    assert config.steps == steps


@FEW
@given(learning_rate=st.floats(max_value=0.0) | st.sampled_from([math.inf, -math.inf, math.nan]))
def test_non_positive_or_non_finite_rate_is_rejected(learning_rate: float) -> None:
    """Every learning rate ≤ 0, NaN or ±∞ is refused."""
    with pytest.raises(ValidationError):
        RunConfig(learning_rate=learning_rate)


@FEW
@given(steps=st.integers(max_value=0))
def test_non_positive_steps_are_rejected(steps: int) -> None:
    """Every step count ≤ 0 is refused, at the steps field."""
    assert ("steps",) in error_locations({"steps": steps})


def test_a_lecture_net_config_holds_no_target_nor_layers() -> None:
    """lecture-net reads neither the target formula nor hidden layers: its config dumps both as null."""
    config = RunConfig(engine="lecture-net", seed=1)
    for dumped in (config.model_dump(), config.model_dump(mode="json")):
        assert dumped["target"] is None and dumped["layers"] is None
        assert dumped["points"] == 2000 and dumped["zero_grad"] is True  # what it does read stays


def test_a_lecture_net_config_ignores_a_target_and_layers_sent_with_it() -> None:
    """A formula or layers sent along (an older export's defaults, even an invalid formula) are not kept."""
    for sent in ({"target": "sin(x)", "layers": [16, "tanh"]}, {"target": "x +* 2", "layers": ["gelu"]}):
        dumped = RunConfig.model_validate({"engine": "lecture-net", **sent}).model_dump(mode="json")
        assert dumped["target"] is None and dumped["layers"] is None


def test_a_lecture_net_config_reads_back_as_dumped() -> None:
    """What is stored (the JSON dump, nulls and all) validates again to the same config."""
    config = RunConfig(engine="lecture-net", seed=7, points=300, noise=0.1)
    again = RunConfig.model_validate_json(config.model_dump_json())
    assert again == config and again.model_dump() == config.model_dump()


@pytest.mark.parametrize("engine", ["numpy", "torch-autograd", "torch-mlp", "dynamic-net"])
def test_other_engines_keep_their_target_and_layers(engine: str) -> None:
    """Every other engine's config keeps the formula and the layers, and refuses a null one."""
    dumped = RunConfig.model_validate({"engine": engine, "target": "cos(x)"}).model_dump(mode="json")
    assert dumped["target"] == "cos(x)" and dumped["layers"] == [16, "tanh"]
    assert ("target",) in error_locations({"engine": engine, "target": None})


def test_the_response_schema_says_target_and_layers_may_be_null() -> None:
    """The config as returned may hold null for both; the request schema (the form's layer rules) is unchanged."""
    returned = RunConfig.model_json_schema(mode="serialization")["properties"]
    for name in ("target", "layers"):
        assert {"type": "null"} in returned[name]["anyOf"]
    assert RunConfig.model_json_schema()["properties"]["layers"]["type"] == "array"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": "100"}, "steps"),
        ({"steps": True}, "steps"),
        ({"points": "2000"}, "points"),
        ({"seed": False}, "seed"),
        ({"noise": False}, "noise"),
        ({"learning_rate": True}, "learning_rate"),
        ({"x_min": "1"}, "x_min"),
        ({"x_max": True}, "x_max"),
        ({"pace": "30"}, "pace"),
        ({"zero_grad": "false"}, "zero_grad"),
        ({"zero_grad": 0}, "zero_grad"),
        ({"steps": 172.5}, "steps"),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else "-".join(f"{k}={v!r}" for k, v in value.items()),
)
def test_only_json_numbers_and_booleans_of_the_right_kind_are_taken(body: dict[str, Any], field: str) -> None:
    """A number sent as text or as true/false, a boolean sent as text or 0, is refused at its field; the schema
    says number or boolean, and the server keeps to it rather than guessing what was meant."""
    assert (field,) in error_locations(body)


def test_whole_numbers_written_with_a_point_are_whole_numbers() -> None:
    """172.0 is the whole number 172 (JSON Schema's integer), for steps, points, seed and layer widths alike."""
    config = RunConfig.model_validate({"steps": 172.0, "points": 50.0, "seed": 3.0, "layers": [16.0, "tanh"]})
    assert (config.steps, config.points, config.seed, config.layers) == (172, 50, 3, [16, "tanh"])
    assert all(type(value) is int for value in (config.steps, config.points, config.seed, config.layers[0]))


@pytest.mark.parametrize("body", [{"x_min": 5}, {"x_max": -4}, {"x_min": 3.5}])
def test_one_bound_against_the_others_default_is_checked_too(body: dict[str, Any]) -> None:
    """x_min past the default x_max (π), or x_max below the default x_min, is refused at x_max: the range is
    checked whichever bound was sent."""
    assert ("x_max",) in error_locations(body)


@pytest.mark.parametrize("pace", [1e-300, 5e-324, 0.05, 2e6])
def test_pace_outside_its_range_is_refused(pace: float) -> None:
    """A pace below one step in ten seconds or above a million a second is refused at its field."""
    assert ("pace",) in error_locations({"pace": pace})


def test_points_beyond_the_schema_ceiling_are_refused_before_anything_is_made() -> None:
    """1e15 points is refused by validation itself (no data is made for it: the target is only parsed)."""
    assert ("points",) in error_locations({"points": 1e15})
    assert ("points",) in error_locations({"points": 2134345221})


def test_the_schema_says_which_engines_refuse_zero_grad_off() -> None:
    """The JSON schema's zero_grad rule names exactly the engines that keep no .grad (the manager refuses
    zero_grad=false for those): a schema-valid config is one the server takes."""
    from app.engines import ENGINES
    from app.run_config import ZERO_GRAD_RULE

    fresh = {name for name, spec in ENGINES.items() if not spec.stores_grads}
    assert set(ZERO_GRAD_RULE["if"]["properties"]["engine"]["enum"]) == fresh  # type: ignore[index]
    assert ZERO_GRAD_RULE in RunConfig.model_json_schema()["allOf"]


def test_the_schema_says_which_engines_read_each_switch() -> None:
    """Each switch only some engines read (no_grad, degree) is fixed at its default by the schema for exactly the
    engines that do not read it, as the server refuses it for them."""
    from app.engines import ENGINES
    from app.run_config import SWITCH_ENGINES, SWITCH_RULES

    for field, engines in SWITCH_ENGINES.items():
        assert set(engines) == {name for name, spec in ENGINES.items() if field in spec.switches}, field
    assert {field for spec in ENGINES.values() for field in spec.switches} == set(SWITCH_ENGINES)
    schema = RunConfig.model_json_schema()
    for rule in SWITCH_RULES:
        assert rule in schema["allOf"]
        [field] = rule["then"]["properties"]  # type: ignore[index]
        default = RunConfig.model_fields[field].get_default(call_default_factory=True)
        assert rule["then"]["properties"][field]["const"] == default  # type: ignore[index]
