"""FramePacing: the lag the feeds' ticks measure, and the interval it gives a feed of few viewers or a crowd."""

import pytest

from app.runs.pacing import CROWD, LAG_ALLOWED, MAX_STRETCH, FramePacing

INTERVAL = 1 / 30


def lagging(late: float, ticks: int = 400) -> FramePacing:
    """A pacing whose ticks all woke `late` seconds after their deadline."""
    pacing = FramePacing(INTERVAL)
    for _ in range(ticks):
        pacing.woke(late)
    return pacing


def test_a_loop_on_time_gives_every_feed_the_frame_rate() -> None:
    pacing = lagging(0.0)
    assert pacing.lag == 0.0
    assert [pacing.interval_for(viewers) for viewers in (1, 2, CROWD, 500)] == [INTERVAL] * 4


def test_a_lag_within_what_is_allowed_slows_no_feed() -> None:
    pacing = lagging(LAG_ALLOWED * INTERVAL * 0.9)
    assert pacing.interval_for(1) == INTERVAL


def test_a_lagging_loop_slows_the_feeds_of_few_viewers_in_proportion_and_never_a_crowds() -> None:
    pacing = lagging(2 * LAG_ALLOWED * INTERVAL)
    assert pacing.interval_for(1) == pytest.approx(2 * INTERVAL)
    assert pacing.interval_for(CROWD - 1) == pytest.approx(2 * INTERVAL)
    assert pacing.interval_for(CROWD) == INTERVAL
    assert pacing.interval_for(500) == INTERVAL


def test_however_far_the_loop_lags_a_feed_is_stretched_at_most_max_stretch() -> None:
    pacing = lagging(10.0)
    assert pacing.interval_for(1) == pytest.approx(MAX_STRETCH * INTERVAL)


def test_the_lag_is_an_average_that_recovers_once_ticks_wake_on_time() -> None:
    pacing = lagging(4 * LAG_ALLOWED * INTERVAL)
    one_late = FramePacing(INTERVAL)
    one_late.woke(4 * LAG_ALLOWED * INTERVAL)
    assert one_late.interval_for(1) == INTERVAL  # one late tick is not a lagging loop
    assert pacing.interval_for(1) == pytest.approx(MAX_STRETCH * INTERVAL)
    for _ in range(200):
        pacing.woke(0.0)
    assert pacing.interval_for(1) == INTERVAL
    pacing.woke(-0.5)  # a tick that woke early counts as on time, not as credit
    assert pacing.lag >= 0.0
