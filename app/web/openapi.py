"""The OpenAPI document of one app, with the limits of its own settings written into the run config's schema."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.config import Settings


def with_server_limits(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """app.openapi, with steps and points bounded by this server's max_steps and max_points, so what the
    document calls valid is what the server takes (schema checkers and clients see the real limits)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # made once and kept by FastAPI; the limits are written into it the first time
        imported = schema["paths"].get("/api/runs/import", {}).get("post", {})
        body = imported.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        for config in (
            schema["components"]["schemas"].get("RunConfig-Input", {}),  # a new run's
            body.get("properties", {}).get("run", {}).get("properties", {}).get("config", {}),  # an imported run's
        ):
            properties = config.get("properties", {})
            for field, limit in (("steps", settings.max_steps), ("points", settings.max_points)):
                if field in properties:
                    properties[field]["maximum"] = min(properties[field].get("maximum", limit), limit)
        return schema

    return openapi
