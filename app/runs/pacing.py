"""How often each run's feed frames when the event loop falls behind: a run followed by a crowd (the lecturer's
run on the projector and on every laptop in the hall) keeps its frame rate, and runs followed by one or two viewers
(each student's own) frame less often, their steps merged into fewer frames, so none of their losses is lost."""

LAG_WEIGHT = 0.05  # how much one tick's lateness moves the lag (an average over the last few dozen ticks)
LAG_ALLOWED = 0.25  # of an interval: how late ticks may wake on average before the few-viewer feeds slow down
MAX_STRETCH = 3.0  # the most a few-viewer feed's interval is stretched (30 frames/s: never under 10)
CROWD = 10  # viewers from which a feed keeps its frame rate whatever the lag


class FramePacing:
    """The event loop's lag, as the feeds' ticks measure it, and the interval it gives each feed."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.lag = 0.0  # seconds ticks wake after their deadline, on average

    def woke(self, late: float) -> None:
        """Count one tick that woke `late` seconds after its deadline."""
        self.lag += LAG_WEIGHT * (max(late, 0.0) - self.lag)

    def interval_for(self, viewers: int) -> float:
        """The interval of a feed with this many viewers: the frame rate's, stretched for a feed short of a crowd in
        proportion to how far the lag runs past what is allowed, up to MAX_STRETCH."""
        if viewers >= CROWD:
            return self.interval
        stretch = self.lag / (LAG_ALLOWED * self.interval)
        return self.interval * min(max(stretch, 1.0), MAX_STRETCH)
