"""The autograd graph of an ended (or running) run at a past step, for the replay timeline."""

from typing import Annotated

import orjson
from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from app.schemas import GraphAtStep
from app.web.damaged import DAMAGED, damaged_as_error
from app.web.deps import RunDep

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.get("/{run_id}/graph", response_class=Response, responses={200: {"model": GraphAtStep}, **DAMAGED})
def graph_at_step(
    run: RunDep, step: Annotated[int, Query(ge=0, le=2**53, description="The step to show the graph of.")]
) -> Response:
    """The graph captured at the framed step nearest at or before `step`, its shape and values as they were;
    404 when the run captured no graph by then."""
    with damaged_as_error():
        found = run.graph_at(min(step, run.history.count))  # no graph lies past the steps recorded
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"run {run.id!r} has no autograd graph at or before step {step}")
    body = {
        "requested": step,
        "step": found.step,
        "next_step": found.next_step,
        "shape": found.shape,
        "values": orjson.Fragment(found.values),  # the stored JSON as it is: not parsed and written again
    }
    return Response(orjson.dumps(body), media_type="application/json")
