"""The lecturer's view of a run, shared: viewers who follow the lecturer see what the projector shows."""

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from app.web.deps import ControlledRunDep
from app.web.responses import JSON_CHANGE, ONE_RUN, answers

router = APIRouter(prefix="/api/runs", tags=["classroom"])


class PresenterState(BaseModel):
    """What the presenter's screen shows; every field optional, null where nothing is singled out."""

    model_config = ConfigDict(extra="forbid")

    panel: str | None = Field(None, max_length=32, description="The enlarged panel: fit, loss, weights, graph ...")
    step: int | None = Field(None, ge=0, description="The backward stepper's position in the pass's node order.")
    node: str | None = Field(None, max_length=32, description="The graph node being inspected, by id (n0, n1 ...).")
    mode: Literal["backward", "forward"] | None = Field(None, description="Gradients or forward values on the graph.")


@router.post("/{run_id}/presenter", status_code=status.HTTP_204_NO_CONTENT, responses=answers(*JSON_CHANGE, *ONE_RUN))
def share_presenter_view(run: ControlledRunDep, state: PresenterState) -> None:
    """Tell the run's viewers what the lecturer shows (the run's control token is needed)."""
    run.presenter = state.model_dump()  # a new object each time: the feed sends it on its next tick
