"""The error answers routes document in the OpenAPI document, each `{"detail": "..."}` with what went wrong."""

from typing import Any

from pydantic import BaseModel, Field


class ErrorAnswer(BaseModel):
    """Why a request was refused, for people."""

    detail: str = Field(description="What went wrong and, where it helps, what to send instead.")


WHY = {
    400: "The request could not be read.",
    403: "Refused: a foreign Origin, a missing or wrong control token, or a missing lecturer key.",
    404: "No run with that id (or nothing of it at that step).",
    409: "The run is not in a state that allows this (it already ended, is not paused, or is stored unreadable).",
    413: "The request body is larger than this route takes (max_body_bytes, max_import_bytes).",
    415: "The body is not declared JSON: send Content-Type: application/json.",
    429: "Too many requests from this client: try again after Retry-After seconds.",
    503: "The database refused the write: nothing of it was kept.",
}


def answers(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of these error statuses."""
    return {code: {"model": ErrorAnswer, "description": WHY[code]} for code in codes}


# What every state-changing route under /api may answer before it runs: another site's Origin, a body too large.
CHANGE = (403, 413)
# And a route that reads a JSON body: one not declared JSON (422, FastAPI documents itself).
JSON_CHANGE = (*CHANGE, 415)
# What every route on one run may answer before it runs: no such run, or one stored that cannot be read.
ONE_RUN = (404, 409)
