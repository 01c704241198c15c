"""The page that shows a run."""

from functools import cache
from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.engines import ENGINES
from app.engines.problem import CUBIC_PARAMS
from app.run_config import (
    DEFAULT_LEARNING_RATE,
    MAX_DEGREE,
    DType,
    EngineName,
    Optimizer,
    Reduction,
    RunConfig,
    default_learning_rate,
    engine_defaults,
)
from app.schemas import Health
from app.web.deps import TemplatesDep

router = APIRouter()

# A first run is there to be watched: the page's pace field starts at this, so the default 2,000 steps take about
# 13 s. A script calling the API, or a blank field, still trains at full speed.
PAGE_PACE = 150


@cache  # fixed for the life of the server: built once, not for every page
def learning_rate_table() -> dict[str, dict[str, dict[str, float]]]:
    """The server's η for a blank field, by engine, reduction and optimizer: the form shows it as a placeholder."""
    engines: tuple[EngineName, ...] = get_args(EngineName)
    reductions: tuple[Reduction, ...] = get_args(Reduction)
    optimizers: tuple[Optimizer, ...] = get_args(Optimizer)
    return {
        engine: {
            reduction: {optimizer: default_learning_rate(engine, reduction, optimizer) for optimizer in optimizers}
            for reduction in reductions
        }
        for engine in engines
    }


@cache  # a schema is costly to build: once
def layer_rules() -> dict[str, object]:
    """What `layers` accepts, read from RunConfig's own schema so the form's hint cannot drift from it."""
    schema = RunConfig.model_json_schema()["properties"]["layers"]
    width, activation = schema["items"]["anyOf"]
    return {
        "min_width": width["minimum"],
        "max_width": width["maximum"],
        "activations": activation["enum"],
        "max_entries": schema["maxItems"],
    }


def page_context(request: Request) -> dict[str, object]:
    """What the run page's template needs: the engines, the defaults and the form's rules."""
    defaults = RunConfig.model_fields
    return {
        "engines": list(ENGINES.values()),
        # call_default_factory: `layers` has a factory (a fresh list per config), not a plain default.
        "defaults": {name: field.get_default(call_default_factory=True) for name, field in defaults.items()},
        "engine_defaults": engine_defaults,
        "learning_rates": DEFAULT_LEARNING_RATE,
        "learning_rate_table": learning_rate_table(),
        "layer_rules": layer_rules(),
        "optimizers": get_args(Optimizer),
        "dtypes": get_args(DType),
        "targets_url": request.url_for("list_targets").path,
        "page_pace": PAGE_PACE,
        "feature_choices": feature_choices(),
        "cubic_names": CUBIC_PARAMS,  # the weights torch-autograd may freeze (its `frozen` switch)
    }


def feature_choices() -> list[dict[str, object]]:
    """The linear engines' degrees as the form offers them: the features each gives and the model they make."""
    names = ("b", "w1", "w2", "w3")
    powers = ("1", "x", "x²", "x³")
    return [
        {
            "degree": degree,
            "features": f"[{', '.join(powers[: degree + 1])}]",
            "model": "y = b + " + " + ".join(f"{names[p]} {powers[p]}" for p in range(1, degree + 1)),
        }
        for degree in range(1, MAX_DEGREE + 1)
    ]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """The live view: controls, fit, loss, weights, the engine's code and the comparison of two runs."""
    return templates.TemplateResponse(request, "index.html", page_context(request))


@router.get("/present/{run_id}", include_in_schema=False)
def present(run_id: str) -> RedirectResponse:
    """The page in presenter mode, following this run: large type, themes, keys (the page reads the fragment)."""
    return RedirectResponse(f"/#run={run_id}&present=1", status_code=307)


@router.get("/healthz", tags=["health"])
def healthz() -> Health:
    """The server is up."""
    return Health()
