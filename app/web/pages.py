"""The page that shows a run."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.config import get_settings
from app.engines import ENGINES
from app.run_config import DEFAULT_LEARNING_RATE, RunConfig
from app.schemas import Health

router = APIRouter()
templates = Jinja2Templates(directory=get_settings().templates_dir)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    """The live view: controls, fit, loss and weights."""
    defaults = RunConfig.model_fields
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "engines": list(ENGINES.values()),
            "defaults": {name: field.default for name, field in defaults.items()},
            "learning_rates": DEFAULT_LEARNING_RATE,
        },
    )


@router.get("/healthz", tags=["health"])
def healthz() -> Health:
    """The server is up."""
    return Health()
