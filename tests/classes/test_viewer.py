"""A class viewer that falls behind gets the frames it missed merged into one, and still every loss once, in order."""

import asyncio
from typing import Any

import orjson

from app.classes.viewer import ClassViewer, merge
from app.runs.viewer import Encoded


def frame(runs: dict[str, Any], added: list[dict[str, Any]] | None = None, **more: Any) -> dict[str, Any]:
    return {"type": "class_frame", "runs": runs, "added": added or [], **more}


def entry(run_id: str, losses: list[float], status: str = "running") -> dict[str, Any]:
    return {
        "id": run_id,
        "student": "s",
        "name": "S",
        "status": status,
        "config": {},
        "message": None,
        "losses": losses,
    }


FRAMES = [
    frame({"a": {"start": 2, "losses": [3.0, 4.0]}}, [entry("b", [1.0])]),
    frame({"a": {"start": 4, "losses": [5.0]}, "b": {"start": 1, "losses": [2.0, 3.0]}}, varying=["learning_rate"]),
    frame({"b": {"start": 3, "losses": [], "status": "finished"}}, [entry("c", [])]),
    frame({"c": {"start": 0, "losses": [9.0], "status": "diverged", "message": "blew up"}}, removed=["a"]),
]


def test_merged_frames_say_what_the_frames_said_one_by_one() -> None:
    """Each run's losses joined from the first frame's start, the latest status and message, a run added in an
    earlier frame carrying the later news in its entry, removed runs dropped, the latest `varying`."""
    merged = FRAMES[0]
    for later in FRAMES[1:]:
        merged = merge(merged, later)
    assert merged == {
        "type": "class_frame",
        "runs": {},
        "added": [
            entry("b", [1.0, 2.0, 3.0], "finished"),
            {**entry("c", [9.0], "diverged"), "message": "blew up"},
        ],
        "removed": ["a"],
        "varying": ["learning_rate"],
    }
    assert merge(FRAMES[0], FRAMES[1])["runs"] == {"a": {"start": 2, "losses": [3.0, 4.0, 5.0]}}


def test_a_viewer_behind_gets_one_merged_frame_after_what_it_waits_for() -> None:
    """While the socket cannot take more, frames merge into the one waiting (after a snapshot still waiting);
    sent the ordinary way, they arrive as one frame equal to their merge."""
    writable = False

    def write_now(message: Encoded) -> bool:
        return writable

    async def run() -> list[Any]:
        viewer = ClassViewer(write_now)
        viewer.offer(Encoded({"type": "class_snapshot"}))
        for body in FRAMES:
            viewer.offer_frame(Encoded(body), body)
        viewer.offer(Encoded({"type": "presenter", "state": {"run": "a"}}), kind="presenter")
        viewer.offer(Encoded({"type": "presenter", "state": {"run": "b"}}), kind="presenter")
        got = []
        async for message in viewer.messages():
            got.append(orjson.loads(message.data))
            if len(got) == 3:
                break
        return got

    snapshot, merged, presenter = asyncio.run(run())
    expected = FRAMES[0]
    for later in FRAMES[1:]:
        expected = merge(expected, later)
    assert snapshot == {"type": "class_snapshot"}
    assert merged == expected
    assert presenter == {"type": "presenter", "state": {"run": "b"}}
