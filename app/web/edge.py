"""What every request passes before it reaches a route, and the error answers every route shares."""

from fastapi import FastAPI

from app.config import Settings
from app.web import errors, openapi_links
from app.web.body_limit import BodyLimit, limit_by_route
from app.web.cross_site import CrossSite
from app.web.security_headers import SecurityHeaders
from app.web.strict_json import StrictJson


def install(app: FastAPI, settings: Settings) -> None:
    """Outermost first: security headers on every answer, then the cheap refusals that read only headers (a
    foreign Origin, a body not declared JSON, a declared length over the limit), then the body read strictly."""
    errors.install(app)
    openapi_links.install(app)
    app.add_middleware(StrictJson)  # added last-to-first: each add_middleware wraps the ones before it
    app.add_middleware(BodyLimit, limit_for=limit_by_route(settings.max_body_bytes, settings.max_import_bytes))
    app.add_middleware(CrossSite, allowed_origins=settings.allowed_origins)
    app.add_middleware(SecurityHeaders)
