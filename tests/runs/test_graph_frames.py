"""GraphFrames: the graphs of a run's framed steps, kept bit for bit and thinned evenly to a cap."""

import orjson
import pytest

from app.runs.history import GraphFrames
from app.storage.frames import stride_for, unpack


def shape(signature: str) -> dict[str, object]:
    return {"signature": signature, "nodes": [{"id": "n0", "name": "SumBackward0", "kind": "op"}], "edges": []}


def values(step: int, signature: str = "s1") -> dict[str, object]:
    """GraphValues-like: a different number at every step, one that JSON writes with all its digits."""
    return {"signature": signature, "forward": {"n0": {"values": [step / 7, -1e-300]}}, "order": ["n0"], "step": step}


def fill(cap: int, captures: int, every: int = 3) -> GraphFrames:
    """`captures` graphs at steps 0, every, 2·every, ..."""
    frames = GraphFrames(cap)
    for i in range(captures):
        frames.add(i * every, shape("s1"), values(i * every))
    return frames


@pytest.mark.parametrize(("cap", "captures"), [(10, 1000), (7, 50), (16, 16), (16, 17), (1000, 300), (1, 40)])
def test_thinning_keeps_the_cap_and_spreads_the_kept_graphs_evenly(cap: int, captures: int) -> None:
    """Kept: every stride-th capture from the first, at most `cap` and more than half of it, to the run's end."""
    state = fill(cap, captures).state
    kept = [frame.seq for frame in state.frames]
    assert state.captured == captures
    assert kept == list(range(0, captures, state.stride))
    assert len(kept) <= cap
    assert len(kept) == captures or len(kept) > cap // 2
    assert captures - kept[-1] <= state.stride  # the whole run stays covered
    assert state.stride == stride_for(captures, cap)
    assert state.latest is not None and state.latest["step"] == (captures - 1) * 3


def test_each_kept_graph_is_the_json_captured_byte_for_byte() -> None:
    frames = fill(8, 100)
    for frame in frames.state.frames:
        assert unpack(frame.data) == orjson.dumps(values(frame.step))
        assert frame.step == frame.seq * 3


def test_the_graph_at_a_step_is_the_nearest_kept_at_or_before_it() -> None:
    """Between two kept graphs the earlier one answers, with the step of the next; past the last kept one, the
    latest capture does."""
    frames = fill(4, 40)  # stride 16: captures 0, 16, 32 at steps 0, 48, 96; the latest at step 117
    assert [f.step for f in frames.state.frames] == [0, 48, 96]
    for step, (found_step, next_step) in {
        0: (0, 48),
        47: (0, 48),
        48: (48, 96),
        116: (96, 117),
        117: (117, None),
        10_000: (117, None),
    }.items():
        found = frames.at(step)
        assert found is not None
        assert (found.step, found.next_step) == (found_step, next_step), step
        assert found.values == orjson.dumps(values(found_step))
        assert found.shape == shape("s1")


def test_nothing_is_found_before_the_first_capture_and_cap_zero_keeps_only_the_latest() -> None:
    frames = GraphFrames(0)
    frames.add(5, shape("s1"), values(5))
    frames.add(9, shape("s1"), values(9))
    assert frames.state.frames == ()
    assert frames.at(4) is None
    assert frames.at(8) is None  # step 5's graph was not kept: only the latest one is
    found = frames.at(9)
    assert found is not None and found.values == orjson.dumps(values(9))


def test_each_graph_comes_with_the_shape_it_had_then() -> None:
    """A shape that changes (the dynamic net) is kept per signature: an old step gets its own."""
    frames = GraphFrames(100)
    for step in range(10):
        signature = f"s{step % 3}"
        frames.add(step, shape(signature), values(step, signature))
    assert set(frames.state.shapes) == {"s0", "s1", "s2"}
    for step in range(10):
        found = frames.at(step)
        assert found is not None and found.shape == shape(f"s{step % 3}")
