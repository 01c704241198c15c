"""One run's frames: built at most frame_rate times a second, serialized once, offered to every viewer."""

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping

from app.engines.base import StepRecord
from app.graph.model import GraphNow
from app.runs import messages
from app.runs.pacing import FramePacing
from app.runs.run import ENDED, Run, RunStatus
from app.runs.stored import AnyRun
from app.runs.viewer import Encoded, Viewer, WriteNow

log = logging.getLogger(__name__)


class FeedFailed(RuntimeError):
    """A run's feed could not go on (logged once, by the feed); each of its viewers' streams ends with it."""


RATE_WINDOW = 1.0  # seconds of progress that the steps-per-second figure averages over
SLICE = 250  # viewers offered a message between two turns of the event loop (a few milliseconds of writes)
LARGE_SNAPSHOT = 20_000  # losses in a snapshot that is built in a thread (~2 ms of work on this machine)


class Feed:
    """Turns a run's progress into frames for its viewers, while it has any."""

    def __init__(self, run: AnyRun, interval: float, pacing: FramePacing | None = None) -> None:
        """`pacing`, shared by a hub's feeds, stretches the interval of a feed of few viewers when the loop lags."""
        self.run = run
        self.interval = interval
        self._pacing = pacing
        self.viewers: set[Viewer] = set()
        self._record: StepRecord | None = None  # the step the last frame ended on
        self._status = run.status
        self._message = run.message
        self._task: asyncio.Task[None] | None = None
        self._progress: deque[tuple[float, int]] = deque()
        self._graph: GraphNow | None = None  # the graph (shape and values) the viewers were last sent
        self._presenter: dict[str, object] | None = run.presenter  # the lecturer's view the viewers were last sent
        self._closed = False  # no ticker any more (the server is stopping): the last frame is `publish`'s

    @property
    def _sent(self) -> int:
        return self._record.step + 1 if self._record else 0

    def join(self, since: int, write_now: WriteNow | None = None) -> Viewer:
        """A new viewer, with a snapshot up to the last frame, so the next frame follows it exactly."""
        if self._task is None and not self._closed:
            self._status = self.run.status  # read before `latest`: once ended, latest is final
            self._record = self.run.latest
            # An ended run sends no frames after its snapshot, which reads its graph itself (a stored run's
            # from the database, so not here on the loop).
            self._graph = None if self._status in ENDED else self.run.graph_now
        viewer = Viewer(self.run, write_now)
        snapshot = functools.partial(messages.snapshot, self.run, since, self._record, self._graph)
        # Made in a thread, not on the loop that serves everyone: an ended run's snapshot, whose numbers may be
        # read from the database, and a long one (milliseconds of work). Both stop at `_record`, the step the
        # next frame starts after, so the snapshot may be made late without losing or doubling a loss.
        if self._status in ENDED or self._sent - since > LARGE_SNAPSHOT:
            viewer.offer_later(asyncio.ensure_future(asyncio.to_thread(lambda: Encoded(snapshot()))))
        else:
            viewer.offer(Encoded(snapshot()))
        if self._status in ENDED:
            viewer.offer(Encoded(messages.status(self.run, final=True)), final=True)
            return viewer
        self.viewers.add(viewer)
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._tick(), name=f"feed-{self.run.id}")
        return viewer

    def leave(self, viewer: Viewer) -> None:
        """Forget a viewer whose socket is gone."""
        self.viewers.discard(viewer)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        try:
            while self.viewers and self._status not in ENDED:
                pacing = self._pacing
                interval = self.interval if pacing is None else pacing.interval_for(len(self.viewers))
                # Fixed deadlines: the time spent fanning a frame out does not stretch the interval after it.
                due = max(due + interval, loop.time())
                await asyncio.sleep(due - loop.time())
                if pacing is not None:
                    pacing.woke(loop.time() - due)
                if not await self._publish_in_slices() and await self._news_before(due + interval):
                    # Nothing was new at the tick (a paced run's steps arrive with a busy machine's jitter): the
                    # frame goes out as its step arrives, not a whole interval later, so a run paced at the frame
                    # rate gets a frame for each of its steps.
                    await self._publish_in_slices()
        except Exception as error:
            self.fail(error)
        finally:
            self._task = None

    def fail(self, error: Exception) -> None:
        """Log, once, why the feed cannot go on (a frame that cannot be made), and end every viewer's stream with
        it rather than leave them waiting."""
        log.error("run %s: its feed failed", self.run.id, exc_info=error)
        for viewer in list(self.viewers):
            viewer.fail(FeedFailed(f"the feed of run {self.run.id} failed: {error!r}"))

    def publish(self, interrupted: str | None = None) -> None:
        """Offer every viewer what is new, all at once. With `interrupted`, the last news of a run the server
        stopped while it was that status (its ticker closed first): the final status is `interrupted`, as the
        store keeps it."""
        deliver = self._news(interrupted)
        if deliver is not None:
            for viewer in list(self.viewers):
                deliver(viewer)

    async def _news_before(self, deadline: float) -> bool:
        """Wait for the run's next steps or status, until the loop's time `deadline`; whether they came."""
        if not isinstance(self.run, Run):  # a stored run has no news
            return False
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[bool] = loop.create_future()

        def wake(news: bool) -> None:
            if not arrived.done():
                arrived.set_result(news)

        self.run.on_news(functools.partial(loop.call_soon_threadsafe, wake, True))
        timer = loop.call_at(deadline, wake, False)
        try:
            if self.run.status != self._status or self._has_steps():  # came before the callback was in place
                return True
            return await arrived
        finally:
            timer.cancel()
            self.run.on_news(None)

    def _has_steps(self) -> bool:
        record = self.run.latest
        return record is not None and record.step + 1 > self._sent

    async def _publish_in_slices(self) -> bool:
        """Offer every viewer what is new, a slice of viewers at a time: between slices the event loop serves
        others (with a thousand viewers, one frame's writes take milliseconds). Whether anything was new."""
        deliver = self._news()
        if deliver is None:
            return False
        viewers = list(self.viewers)
        for start in range(0, len(viewers), SLICE):
            if start:
                try:
                    await asyncio.sleep(0)
                except asyncio.CancelledError:  # stopped midway (shutdown): what counts as sent reaches them all
                    for viewer in viewers[start:]:
                        deliver(viewer)
                    raise
            for viewer in viewers[start : start + SLICE]:
                deliver(viewer)
        return True

    def _news(self, interrupted: str | None = None) -> Callable[[Viewer], None] | None:
        """What is new since the last frame (one frame with the new losses, the lecturer's view, a change of
        status), serialized once, as one delivery for every viewer; None if nothing is (a paused run). It counts
        as sent from now on, so a viewer that joins while it is being delivered has it in its snapshot instead.
        With `interrupted`, the last news of a run the server stopped: its final status is `interrupted`."""
        offers: list[Callable[[Viewer], None]] = []
        status = self.run.status  # read before `latest`: once ended, latest is final
        record = self.run.latest
        if record is not None and record.step + 1 > self._sent:
            rate = self._rate(record.step + 1)
            graph, sent = self.run.graph_now, self._graph  # one read: a shape and the values of the same step
            changed = graph is not None and (sent is None or graph[0]["signature"] != sent[0]["signature"])
            # Values only when a graph was captured since the last frame (a busy server thins them out).
            fresh = changed or (graph is not None and (sent is None or graph[1] is not sent[1]))
            start = self._sent
            # A run the server stopped reads `interrupted`, as the store keeps it, not `stopped`.
            shown: RunStatus | None = "interrupted" if interrupted is not None else None
            body = messages.frame(self.run, start, record, rate, changed, graph, shown, fresh)
            frame = Encoded(body, shared=len(self.viewers) > 1)
            self._graph = graph
            self._record = record
            offers.append(lambda viewer: viewer.offer_frame(start, record, rate, frame))
        presenter = self.run.presenter
        if presenter is not None and presenter is not self._presenter:
            self._presenter = presenter
            view = Encoded(messages.presenter(presenter))
            offers.append(lambda viewer: viewer.offer(view, kind="presenter"))
        if interrupted is not None:
            self._status = "interrupted"
            ending = Encoded(messages.interrupted(interrupted, self._sent))
            offers.append(lambda viewer: viewer.offer(ending, final=True))
        elif status != self._status or (status == "queued" and self.run.message != self._message):
            self._status = status
            self._message = self.run.message  # a queued run's place in line changes while it waits
            final = status in ENDED
            change = Encoded(messages.status(self.run, final))
            offers.append(lambda viewer: viewer.offer(change, final))
        if len(offers) <= 1:
            return offers[0] if offers else None

        def deliver(viewer: Viewer) -> None:
            for offer in offers:
                offer(viewer)

        return deliver

    def _rate(self, done: int) -> float:
        now = time.monotonic()
        self._progress.append((now, done))
        while len(self._progress) > 2 and now - self._progress[0][0] > RATE_WINDOW:
            self._progress.popleft()
        then, done_then = self._progress[0]
        return (done - done_then) / (now - then) if now > then else 0.0

    async def close(self) -> None:
        """Stop ticking for good (at shutdown)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class Hub:
    """The feeds of the runs that have viewers; the one place where fan-out happens."""

    def __init__(self, frame_rate: float) -> None:
        self.interval = 1.0 / frame_rate
        self.pacing = FramePacing(self.interval)
        self._feeds: dict[str, Feed] = {}
        self._interrupting: asyncio.Future[None] | None = None

    @property
    def stopping(self) -> bool:
        """Whether the server is shutting down (its viewers' streams are being ended)."""
        return self._interrupting is not None

    def interrupt(self, stop_runs: Callable[[], Mapping[str, str]]) -> None:
        """At server shutdown, while the sockets are still open: stop the runs (`stop_runs`, called in a thread,
        answers the ones it cut off, each with the status it had) and end every viewer's stream with its run's
        last frame and final status. Once, however many sockets ask."""
        if self._interrupting is None:
            self._interrupting = asyncio.ensure_future(self._interrupt(stop_runs))

    async def _interrupt(self, stop_runs: Callable[[], Mapping[str, str]]) -> None:
        feeds = list(self._feeds.values())
        for feed in feeds:  # first, so no ticker tells a viewer `stopped` of a run the store keeps as `interrupted`
            await feed.close()
        try:
            interrupted = await asyncio.to_thread(stop_runs)
        except Exception:  # the viewers still get what their runs did; the sockets close all the same
            log.exception("could not stop the runs at shutdown")
            interrupted = {}
        for feed in feeds:
            try:
                feed.publish(interrupted.get(feed.run.id))
            except Exception as error:
                feed.fail(error)

    @contextlib.asynccontextmanager
    async def subscribe(self, run: AnyRun, since: int = 0, write_now: WriteNow | None = None) -> AsyncIterator[Viewer]:
        """A viewer of `run` for the duration of the block; `write_now` sends straight to its socket."""
        feed = self._feeds.get(run.id)
        if feed is None:
            feed = self._feeds[run.id] = Feed(run, self.interval, self.pacing)
            if isinstance(run, Run):
                run.watch(True)  # its worker captures its graphs as often as frames go out
        viewer = feed.join(since, write_now)
        try:
            yield viewer
        finally:
            feed.leave(viewer)
            if not feed.viewers and self._feeds.get(run.id) is feed:
                del self._feeds[run.id]  # its ticker ends by itself at the next tick
                if isinstance(run, Run):
                    run.watch(False)

    async def close(self) -> None:
        """Stop every feed."""
        for feed in list(self._feeds.values()):
            await feed.close()
