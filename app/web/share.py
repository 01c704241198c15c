"""Sharing a run: a short link that opens it read-only, and a QR code of that link to scan from the screen."""

import io

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.web.deps import RunDep

router = APIRouter(tags=["share"])


def share_url(request: Request, run_id: str) -> str:
    """The short link of a run, on the address the asking browser used (the lecturer's, as the hall sees it)."""
    return str(request.url_for("open_shared_run", run_id=run_id))


@router.get("/r/{run_id}", include_in_schema=False)
def open_shared_run(run: RunDep) -> RedirectResponse:
    """The page, following this run (the page reads the run from the address's #fragment)."""
    return RedirectResponse(f"/#run={run.id}", status_code=307)


@router.get("/api/runs/{run_id}/qr.svg", response_class=Response)
def run_qr_code(run: RunDep, request: Request) -> Response:
    """A QR code (SVG) of the run's short link, for phones in the hall to scan off the projector."""
    code = segno.make(share_url(request, run.id), error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False, svgclass="qr-code")
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})
