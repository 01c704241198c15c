"""The API's interactive reference at /docs, served from this server's own files (FastAPI's loads them from a CDN)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.web.deps import TemplatesDep

router = APIRouter()


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """Swagger UI on /openapi.json."""
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
