"""The page that shows a run."""

from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.config import get_settings
from app.engines import ENGINES
from app.run_config import (
    DEFAULT_LEARNING_RATE,
    DType,
    EngineName,
    Optimizer,
    Reduction,
    RunConfig,
    default_learning_rate,
)
from app.schemas import Health

router = APIRouter()
templates = Jinja2Templates(directory=get_settings().templates_dir)

TARGETS_PATH = "/api/targets"


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


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    """The live view: controls, fit, loss, weights, the engine's code and the comparison of two runs."""
    defaults = RunConfig.model_fields
    # The page offers target presets only where the API has them; its schema (built once, cached) says so.
    has_targets_api = TARGETS_PATH in request.app.openapi().get("paths", {})
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "engines": list(ENGINES.values()),
            "defaults": {name: field.default for name, field in defaults.items()},
            "learning_rates": DEFAULT_LEARNING_RATE,
            "learning_rate_table": learning_rate_table(),
            "optimizers": get_args(Optimizer),
            "dtypes": get_args(DType),
            "has_target": "target" in defaults,
            "targets_url": TARGETS_PATH if has_targets_api else None,
        },
    )


@router.get("/healthz", tags=["health"])
def healthz() -> Health:
    """The server is up."""
    return Health()
