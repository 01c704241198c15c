"""Viewer merging and Feed fan-out, driven directly on the event loop with a run advanced by hand."""

import asyncio
import dataclasses
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from app.engines.base import StepStream
from app.run_config import RunConfig
from app.runs import messages
from app.runs.feed import SLICE, Feed, FeedFailed, Hub
from app.runs.pacing import CROWD, MAX_STRETCH, FramePacing
from app.runs.run import Run, RunStatus
from app.runs.viewer import Encoded, Viewer
from app.storage.records import interrupted_message
from app.training.messages import StatusReport, Stepped, batch

MakeConfig = Callable[..., RunConfig]
MakeRun = Callable[..., Run]
Message = dict[str, Any]
NEVER = 3600.0  # a ticker interval that never fires: these tests publish by hand


class Driver:
    """Reports a Run's steps by hand, as its worker would, so a test decides when each step lands."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.stream: StepStream = run.engine.train(run.config, run.problem, run.curve_x)
        self.started = False
        run.place(lambda command: None)  # a worker that hears every command and steps only when told to

    def steps(self, count: int) -> None:
        """Record `count` more steps."""
        for _ in range(count):
            record = self.stream.send(True if self.started else None)
            self.started = True
            self.run.apply(batch([Stepped(self.run.id, record)]))

    def status(self, status: RunStatus) -> None:
        """Change the run's status, e.g. to end it."""
        self.run.apply(StatusReport(self.run.id, status, self.run.seq))


@pytest.fixture
def driver(make_config: MakeConfig, make_run: MakeRun) -> Driver:
    """A run of 100 tiny steps that nothing advances but the test."""
    return Driver(make_run(make_config(steps=100), start=False))


async def drain(viewer: Viewer) -> list[Message]:
    """Every message a viewer has to send, up to and including the final status."""

    async def collect() -> list[Message]:
        return [json.loads(message.data) async for message in viewer.messages()]

    return await asyncio.wait_for(collect(), timeout=5)


def losses_received(received: list[Message]) -> list[float]:
    """The losses of a snapshot and its frames, concatenated, checking each frame starts where the last ended."""
    snapshot, rest = received[0], received[1:]
    assert snapshot["type"] == "snapshot"
    losses = list(snapshot["loss"])
    count = snapshot["loss_from"] + len(losses)
    for message in rest:
        if message["type"] == "frame":
            assert message["from"] == count
            assert message["step"] == count + len(message["loss"]) - 1
            losses += message["loss"]
            count += len(message["loss"])
    return losses


def test_viewer_merges_frames_while_behind(driver: Driver) -> None:
    """Frames offered while one is still waiting merge into one, from the first start to the newest step."""
    run = driver.run
    viewer = Viewer(run)
    driver.steps(4)
    viewer.offer_frame(0, run.latest, 10.0, Encoded(messages.frame(run, 0, run.latest, 10.0, with_graph=False)))  # type: ignore[arg-type]
    driver.steps(4)
    viewer.offer_frame(4, run.latest, 20.0, Encoded(messages.frame(run, 4, run.latest, 20.0, with_graph=False)))  # type: ignore[arg-type]
    driver.steps(2)
    viewer.offer_frame(8, run.latest, 30.0, Encoded(messages.frame(run, 8, run.latest, 30.0, with_graph=False)))  # type: ignore[arg-type]
    driver.status("finished")
    viewer.offer(Encoded(messages.status(run, final=True)), final=True)

    received = asyncio.run(drain(viewer))
    assert [m["type"] for m in received] == ["frame", "status"]
    frame = received[0]
    assert frame["from"] == 0 and frame["step"] == 9 and frame["rate"] == 30.0
    assert frame["loss"] == run.history.losses(0, 10)
    assert frame["params"] == dict(zip("abcd", run.latest.updated, strict=True))  # type: ignore[union-attr]
    assert received[1] == {"type": "status", "status": "finished", "message": None, "final": True}


def test_viewer_sends_a_waiting_frame_as_its_shared_text(driver: Driver) -> None:
    """A frame that did not merge is sent as the very message the feed serialized once for every viewer."""
    run = driver.run
    viewer = Viewer(run)
    driver.steps(3)
    frame = Encoded(messages.frame(run, 0, run.latest, 5.0, with_graph=False))  # type: ignore[arg-type]
    final = Encoded(messages.status(run, final=True))
    viewer.offer_frame(0, run.latest, 5.0, frame)  # type: ignore[arg-type]
    viewer.offer(final, final=True)
    viewer.offer(Encoded("never sent: after the final status"))

    async def sent() -> list[Encoded]:
        return [message async for message in viewer.messages()]

    first, second = asyncio.run(sent())
    assert first is frame and second is final


def test_frames_never_merge_across_a_status(driver: Driver) -> None:
    """A status between two frames keeps them apart, in order: frame, status, frame, final status."""
    run = driver.run
    viewer = Viewer(run)
    driver.steps(2)
    viewer.offer_frame(0, run.latest, 1.0, Encoded(messages.frame(run, 0, run.latest, 1.0, with_graph=False)))  # type: ignore[arg-type]
    driver.status("paused")
    viewer.offer(Encoded(messages.status(run, final=False)))
    driver.steps(3)
    viewer.offer_frame(2, run.latest, 1.0, Encoded(messages.frame(run, 2, run.latest, 1.0, with_graph=False)))  # type: ignore[arg-type]
    driver.status("stopped")
    viewer.offer(Encoded(messages.status(run, final=True)), final=True)

    received = asyncio.run(drain(viewer))
    assert [(m["type"], m.get("from"), m.get("status")) for m in received] == [
        ("frame", 0, "running"),  # serialized once, when offered
        ("status", None, "paused"),
        ("frame", 2, "paused"),
        ("status", None, "stopped"),
    ]
    assert received[0]["loss"] + received[2]["loss"] == run.history.losses(0, 5)


def test_feed_from_the_first_step_to_the_final_status(driver: Driver) -> None:
    """A viewer joining before any step gets an empty snapshot, then every loss once, then the final status."""
    run = driver.run

    async def scenario() -> list[Message]:
        feed = Feed(run, NEVER)
        viewer = feed.join(since=0)
        for count in (3, 5, 0, 7):
            driver.steps(count)
            feed.publish()
        driver.status("finished")
        feed.publish()
        received = await drain(viewer)
        await feed.close()
        return received

    received = asyncio.run(scenario())
    snapshot = received[0]
    assert snapshot["step"] == -1 and snapshot["loss"] == [] and snapshot["loss_from"] == 0
    assert snapshot["grads"] == {}
    assert snapshot["params"] == dict(zip("abcd", run.engine.initial_params(run.config), strict=True))
    assert [m["type"] for m in received] == ["snapshot", "frame", "status"]  # unread frames merged into one
    assert losses_received(received) == run.history.losses(0, 15)
    assert received[-1]["final"] is True and received[-1]["status"] == "finished"


def test_viewer_joining_mid_run_gets_every_loss_exactly_once(driver: Driver) -> None:
    """A viewer that joins between frames gets a snapshot up to the last frame; the next frame follows on exactly."""
    run = driver.run

    async def scenario() -> tuple[list[Message], list[Message]]:
        feed = Feed(run, NEVER)
        early = feed.join(since=0)
        driver.steps(10)
        feed.publish()
        driver.steps(4)  # recorded, but not yet in any frame
        late = feed.join(since=0)
        feed.publish()
        driver.steps(6)
        feed.publish()
        driver.status("finished")
        feed.publish()
        received = await drain(early), await drain(late)
        await feed.close()
        return received

    early, late = asyncio.run(scenario())
    assert late[0]["loss"] == run.history.losses(0, 10) and late[0]["step"] == 9
    assert late[1]["from"] == 10
    assert losses_received(early) == losses_received(late) == run.history.losses(0, 20)


@pytest.mark.parametrize(("since", "loss_from"), [(0, 0), (4, 4), (12, 12), (50, 12), (-3, 0)])
def test_snapshot_starts_at_since(driver: Driver, since: int, loss_from: int) -> None:
    """The snapshot carries losses from step `since` on, clamped to what has been recorded."""
    run = driver.run
    driver.steps(12)
    driver.status("finished")

    async def scenario() -> list[Message]:
        return await drain(Feed(run, NEVER).join(since=since))

    snapshot, final = asyncio.run(scenario())
    assert snapshot["loss_from"] == loss_from
    assert snapshot["loss"] == run.history.losses(loss_from, 12)
    assert final["type"] == "status" and final["final"] is True


def test_viewer_of_an_ended_run_gets_snapshot_then_final_status(driver: Driver) -> None:
    """Joining an ended run yields the whole snapshot and the final status, and registers no viewer."""
    run = driver.run
    driver.steps(7)
    driver.status("stopped")

    async def scenario() -> tuple[list[Message], int]:
        feed = Feed(run, NEVER)
        viewer = feed.join(since=0)
        return await drain(viewer), len(feed.viewers)

    received, registered = asyncio.run(scenario())
    assert [m["type"] for m in received] == ["snapshot", "status"]
    assert received[0]["loss"] == run.history.losses(0, 7) and received[0]["step"] == 6
    assert received[0]["run"]["status"] == "stopped"
    assert received[1] == {"type": "status", "status": "stopped", "message": None, "final": True}
    assert registered == 0


def test_status_changes_follow_the_frame_of_their_steps(driver: Driver) -> None:
    """A pause is announced after the frame carrying the steps before it; a resume the same way."""
    run = driver.run

    async def scenario() -> list[Message]:
        feed = Feed(run, NEVER)
        viewer = feed.join(since=0)
        driver.steps(3)
        driver.status("paused")
        feed.publish()
        feed.publish()  # nothing new: no message
        driver.status("running")
        driver.steps(2)
        feed.publish()
        driver.status("finished")
        feed.publish()
        received = await drain(viewer)
        await feed.close()
        return received

    received = asyncio.run(scenario())
    assert [(m["type"], m["status"] if m["type"] != "snapshot" else None) for m in received] == [
        ("snapshot", None),
        ("frame", "paused"),
        ("status", "paused"),
        ("frame", "running"),
        ("status", "running"),
        ("status", "finished"),
    ]
    assert [m.get("final") for m in received if m["type"] == "status"] == [False, False, True]


def test_slow_viewer_gets_fewer_larger_frames_and_holds_no_one_back(driver: Driver) -> None:
    """While one viewer reads every frame, one that does not read ends up with one merged frame: nothing skipped."""
    run = driver.run

    async def scenario() -> tuple[list[Message], list[Message]]:
        feed = Feed(run, NEVER)
        fast, slow = feed.join(since=0), feed.join(since=0)
        fast_received: list[Message] = []

        async def read_fast() -> None:
            async for message in fast.messages():
                fast_received.append(json.loads(message.data))

        async def fast_has(count: int) -> None:
            while len(fast_received) < count:
                await asyncio.sleep(0)

        reader = asyncio.create_task(read_fast())
        for published in range(1, 9):
            driver.steps(5)
            feed.publish()
            await asyncio.wait_for(fast_has(1 + published), timeout=5)  # the fast viewer reads each frame
        driver.status("finished")
        feed.publish()
        await asyncio.wait_for(reader, timeout=5)
        slow_received = await drain(slow)
        await feed.close()
        return fast_received, slow_received

    fast, slow = asyncio.run(scenario())
    assert [m["type"] for m in fast] == ["snapshot"] + ["frame"] * 8 + ["status"]
    assert [m["type"] for m in slow] == ["snapshot", "frame", "status"]
    assert losses_received(fast) == losses_received(slow) == run.history.losses(0, 40)


def test_hub_ticks_frames_of_a_live_run_and_forgets_the_feed(make_config: MakeConfig, make_run: MakeRun) -> None:
    """Through the hub, a running run's viewer gets ticked frames at most at the frame rate, every loss once."""
    run = make_run(make_config(steps=60, pace=200))
    hub = Hub(frame_rate=20)

    async def scenario() -> tuple[list[Message], bool, bool, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with hub.subscribe(run) as viewer:
            subscribed = run.id in hub._feeds
            received = await drain(viewer)
        return received, subscribed, run.id in hub._feeds, loop.time() - started

    received, subscribed, still_there, elapsed = asyncio.run(scenario())
    assert subscribed and not still_there
    assert losses_received(received) == run.history.losses(0, 60)
    frames = [m for m in received if m["type"] == "frame"]
    assert 1 <= len(frames) <= elapsed * 20 + 2
    assert received[-1]["status"] == "finished" and received[-1]["final"] is True


class PinnedLag(FramePacing):
    """A loop that lags by `lag` seconds, whatever its ticks measure."""

    def __init__(self, interval: float, lag: float) -> None:
        super().__init__(interval)
        self.lag = lag

    def woke(self, late: float) -> None:
        """Measures nothing: the lag stays pinned."""


def test_a_lagging_loop_frames_a_run_of_few_viewers_less_often_and_a_crowds_at_the_frame_rate(
    make_config: MakeConfig, make_run: MakeRun
) -> None:
    """With the loop far behind, a run with one viewer gets at most a frame per MAX_STRETCH intervals, a run with a
    crowd of viewers the frame rate; both lose none of their losses."""
    alone, watched = make_run(make_config(steps=120, pace=200)), make_run(make_config(steps=120, pace=200, seed=1))
    hub = Hub(frame_rate=20)
    hub.pacing = PinnedLag(hub.interval, lag=10.0)

    async def follow(run: Run) -> list[Message]:
        async with hub.subscribe(run) as viewer:
            return await drain(viewer)

    async def scenario() -> tuple[list[Message], list[list[Message]], float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        single, *crowd = await asyncio.gather(follow(alone), *(follow(watched) for _ in range(CROWD)))
        return single, crowd, loop.time() - started

    single, crowd, elapsed = asyncio.run(scenario())
    assert hub.pacing.interval_for(1) == MAX_STRETCH * hub.interval
    assert hub.pacing.interval_for(CROWD) == hub.interval
    assert losses_received(single) == alone.history.losses(0, 120)
    assert all(losses_received(received) == watched.history.losses(0, 120) for received in crowd)
    frames = [m for m in single if m["type"] == "frame"]
    assert 1 <= len(frames) <= elapsed * 20 / MAX_STRETCH + 2


class Socket:
    """A socket as `write_now` sees it: takes messages while `open`, in the order they come."""

    def __init__(self) -> None:
        self.open = True
        self.sent: list[Encoded] = []

    def write_now(self, message: Encoded) -> bool:
        if self.open:
            self.sent.append(message)
        return self.open


def test_a_viewer_that_keeps_up_is_written_to_straight_from_the_publisher(driver: Driver) -> None:
    """While its socket takes every message, the snapshot and each frame go straight to it (the frame the very
    serialization every viewer shares) and only the final status waits for the sender."""
    run = driver.run

    async def scenario() -> tuple[list[Socket], list[list[Message]]]:
        feed = Feed(run, NEVER)
        sockets = [Socket(), Socket()]
        viewers = [feed.join(since=0, write_now=socket.write_now) for socket in sockets]
        for count in (3, 4, 5):
            driver.steps(count)
            feed.publish()
        driver.status("finished")
        feed.publish()
        return sockets, [await drain(viewer) for viewer in viewers]

    sockets, waited = asyncio.run(scenario())
    for socket, rest in zip(sockets, waited, strict=True):
        sent = [json.loads(message.data) for message in socket.sent]
        assert [m["type"] for m in sent] == ["snapshot", "frame", "frame", "frame"]
        assert losses_received(sent) == run.history.losses(0, 12)
        assert [(m["type"], m["final"]) for m in rest] == [("status", True)]
    assert all(a is b for a, b in zip(sockets[0].sent[1:], sockets[1].sent[1:], strict=True))
    assert all(message.compress for message in sockets[0].sent[1:]), "two viewers share each frame: compressed"


def test_a_frame_for_one_viewer_is_marked_to_go_uncompressed(driver: Driver) -> None:
    """A run watched by one viewer (a student's own run) has its small frames sent plain; when a second viewer
    joins, its frames are shared and compressed again."""
    run = driver.run

    async def scenario() -> tuple[Socket, Socket]:
        feed = Feed(run, NEVER)
        alone, joining = Socket(), Socket()
        feed.join(since=0, write_now=alone.write_now)
        driver.steps(3)
        feed.publish()
        feed.join(since=0, write_now=joining.write_now)
        driver.steps(3)
        feed.publish()
        return alone, joining

    alone, joining = asyncio.run(scenario())
    assert [message.compress for message in alone.sent] == [True, False, True]  # snapshot, alone, shared
    assert joining.sent[-1] is alone.sent[-1]


def test_a_viewer_that_falls_behind_waits_merges_and_catches_up_in_order(driver: Driver) -> None:
    """Once its socket refuses a frame, later ones wait and merge behind it, even after the socket would take
    them again; the sender sends what waits, and then the publisher writes straight again. Every loss once."""
    run = driver.run

    async def scenario() -> tuple[list[Encoded], list[int]]:
        feed = Feed(run, NEVER)
        socket = Socket()
        viewer = feed.join(since=0, write_now=socket.write_now)
        driver.steps(2)
        feed.publish()  # written straight
        socket.open = False
        driver.steps(3)
        feed.publish()  # refused: waits
        socket.open = True
        driver.steps(4)
        feed.publish()  # must not overtake the waiting frame: merges into it
        waited = len(socket.sent)
        sender = viewer.messages()
        merged = await anext(sender)
        socket.sent.append(merged)  # the sender sends it the ordinary way
        driver.steps(5)
        feed.publish()  # the sender is busy with the merged frame: this one waits for it
        after_busy = len(socket.sent)
        late = await anext(sender)
        socket.sent.append(late)
        idle = asyncio.ensure_future(anext(sender))  # the sender asks for more: it has finished with `late`
        await asyncio.sleep(0)
        driver.steps(1)
        feed.publish()  # nothing waits any more: straight again
        idle.cancel()
        return socket.sent, [waited, after_busy]

    sent, counts = asyncio.run(scenario())
    received = [json.loads(message.data) for message in sent]
    assert counts == [2, 3]
    assert [(m["type"], m.get("from")) for m in received] == [
        ("snapshot", None),
        ("frame", 0),
        ("frame", 2),  # steps 2..8: the refused frame and the one merged into it
        ("frame", 9),
        ("frame", 14),
    ]
    assert losses_received(received) == run.history.losses(0, 15)


def test_a_large_snapshot_is_built_off_the_loop_and_frames_wait_behind_it(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot of many losses is made in another thread; frames published meanwhile, even to a socket that
    would take them, wait behind it: the viewer still gets every loss once, in order."""
    run = driver.run
    built_in: list[int] = []
    snapshot = messages.snapshot

    def recorded(*args: Any) -> Any:
        built_in.append(threading.get_ident())
        return snapshot(*args)

    monkeypatch.setattr("app.runs.feed.LARGE_SNAPSHOT", 10)
    monkeypatch.setattr(messages, "snapshot", recorded)

    async def scenario() -> tuple[list[Message], list[Message]]:
        feed = Feed(run, NEVER)
        driver.steps(8)
        feed.publish()
        small = feed.join(since=0)  # 8 losses: made at once, on the loop
        driver.steps(12)
        feed.publish()
        socket = Socket()
        large = feed.join(since=0, write_now=socket.write_now)  # 20 losses: made in a thread
        driver.steps(5)
        feed.publish()
        driver.status("finished")
        feed.publish()
        received = await drain(large)
        await drain(small)
        await feed.close()
        return [json.loads(message.data) for message in socket.sent], received

    written, received = asyncio.run(scenario())
    assert written == [], "nothing may overtake the snapshot being made"
    assert [m["type"] for m in received] == ["snapshot", "frame", "status"]
    assert received[0]["loss"] == run.history.losses(0, 20)
    assert losses_received(received) == run.history.losses(0, 25)
    assert built_in[0] == threading.get_ident() and built_in[1] != threading.get_ident()


def test_shape_and_values_always_travel_as_the_pair_the_others_were_sent(driver: Driver) -> None:
    """A frame's graph values belong to the shape the viewer holds; a viewer joining between frames gets the
    graph the others were last sent, so the next frame's shape (sent only on a change) is right for it too."""
    run = driver.run
    shapes = [{"signature": s, "nodes": [], "edges": []} for s in ("A", "B")]
    graphs = [(shape, {"signature": shape["signature"], "step": i}) for i, shape in enumerate(shapes)]

    async def scenario() -> tuple[list[Message], list[Message]]:
        feed = Feed(run, NEVER)
        socket = Socket()  # the early viewer keeps up: each frame reaches it as published
        early = feed.join(since=0, write_now=socket.write_now)
        driver.steps(2)
        run.graph_frames.add(1, *graphs[0])
        feed.publish()
        driver.steps(2)
        run.graph_frames.add(3, *graphs[1])  # captured, but not yet in any frame
        late = feed.join(since=0)
        feed.publish()
        driver.status("finished")
        feed.publish()
        received = [json.loads(m.data) for m in socket.sent] + await drain(early), await drain(late)
        await feed.close()
        return received

    early, late = asyncio.run(scenario())
    frames = [m for m in early if m["type"] == "frame"]
    assert [(f.get("graph", {}).get("signature"), f["graph_values"]["signature"]) for f in frames] == [
        ("A", "A"),
        ("B", "B"),
    ]
    assert (late[0]["graph"]["signature"], late[0]["graph_values"]["signature"]) == ("A", "A")
    assert late[1]["graph"]["signature"] == late[1]["graph_values"]["signature"] == "B"


def test_a_frame_carries_graph_values_only_when_a_graph_was_captured_since_the_last(driver: Driver) -> None:
    """Graph values travel once per capture: a frame with no capture since the viewers' last one says null (the
    page keeps the graph it has), the next capture's frame carries it."""
    run = driver.run
    shape = {"signature": "A", "nodes": [], "edges": []}

    async def scenario() -> list[Message]:
        feed = Feed(run, NEVER)
        socket = Socket()
        feed.join(since=0, write_now=socket.write_now)
        driver.steps(2)
        run.graph_frames.add(1, shape, {"signature": "A", "step": 1})
        feed.publish()
        driver.steps(2)  # no graph captured meanwhile
        feed.publish()
        driver.steps(1)
        run.graph_frames.add(4, shape, {"signature": "A", "step": 4})
        feed.publish()
        await feed.close()
        return [json.loads(message.data) for message in socket.sent]

    frames = [m for m in asyncio.run(scenario()) if m["type"] == "frame"]
    assert [frame["graph_values"] and frame["graph_values"]["step"] for frame in frames] == [1, None, 4]


def test_a_run_the_server_stops_ends_with_its_last_frame_and_interrupted(driver: Driver) -> None:
    """At shutdown the ticker closes first, the run is stopped, then the last news is published: the steps not yet
    framed, then the final status `interrupted` with the store's message, never the `stopped` the run now says."""
    run = driver.run

    async def scenario() -> list[Message]:
        feed = Feed(run, NEVER)
        viewer = feed.join(since=0)
        driver.steps(10)
        feed.publish()
        await feed.close()
        driver.steps(3)  # the last steps, made while the server stops the run
        driver.status("stopped")
        feed.publish(interrupted="running")
        return await drain(viewer)

    received = asyncio.run(scenario())
    assert [m["type"] for m in received] == ["snapshot", "frame", "status"]  # unread frames merged
    assert losses_received(received) == run.history.losses(0, 13)
    assert received[-1] == {
        "type": "status",
        "status": "interrupted",
        "message": interrupted_message("running", 13),
        "final": True,
    }


def test_hub_interrupt_ends_every_live_viewer_without_a_stopped_status(
    make_config: MakeConfig, make_run: MakeRun
) -> None:
    """Hub.interrupt with a ticking feed: the runs are stopped in a thread, and each viewer's stream ends with every
    loss once and `interrupted`; a second call changes nothing."""
    run = make_run(make_config(steps=100_000, pace=500))
    hub = Hub(frame_rate=100)
    calls: list[str] = []

    def stop_runs() -> dict[str, str]:
        calls.append(threading.current_thread().name)
        status = run.status
        run.stop()
        run.join(5)
        return {run.id: status}

    async def scenario() -> list[Message]:
        async with hub.subscribe(run) as viewer:
            received = [json.loads((await anext(viewer.messages())).data)]
            while run.history.count < 20:
                await asyncio.sleep(0.01)
            hub.interrupt(stop_runs)
            hub.interrupt(stop_runs)
            received += await drain(viewer)
        return received

    received = asyncio.run(scenario())
    assert len(calls) == 1 and calls[0] != threading.main_thread().name
    assert run.status == "stopped"
    assert "stopped" not in [m.get("status") for m in received]
    assert losses_received(received) == run.history.losses(0, run.history.count)
    assert received[-1] == {
        "type": "status",
        "status": "interrupted",
        "message": interrupted_message("running", run.history.count),
        "final": True,
    }


def test_a_frame_counted_as_sent_reaches_every_viewer_when_the_ticker_stops_midway(driver: Driver) -> None:
    """Fanning a frame out to more viewers than one slice, cancelled between slices (the server stopping): the
    viewers after the cut get it all the same, so no one misses a loss."""
    run = driver.run

    async def scenario() -> list[list[Message]]:
        feed = Feed(run, NEVER)
        viewers = [feed.join(since=0) for _ in range(SLICE * 2 + 1)]
        driver.steps(5)
        fanning = asyncio.ensure_future(feed._publish_in_slices())
        await asyncio.sleep(0)  # the first slice is offered; the fan-out waits for its next turn
        fanning.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fanning
        driver.steps(2)
        driver.status("finished")
        feed.publish()
        return [await drain(viewer) for viewer in viewers]

    for received in asyncio.run(scenario()):
        assert losses_received(received) == run.history.losses(0, 7)


def test_a_feed_that_cannot_make_a_frame_ends_its_viewers_streams_with_the_error(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    """A step record that does not fit the run (three gradients for four weights) makes the ticker fail: it
    logs once, and every viewer's sender raises FeedFailed naming the run, instead of waiting forever."""
    run = driver.run

    async def scenario() -> list[BaseException]:
        feed = Feed(run, 0.001)
        viewers = [feed.join(since=0), feed.join(since=0)]
        driver.steps(2)
        assert run.latest is not None
        run.now = dataclasses.replace(
            run.now, latest=dataclasses.replace(run.latest, step=5, grads=run.latest.grads[:3])
        )
        errors = []
        for viewer in viewers:
            with pytest.raises(FeedFailed) as failed:
                await drain(viewer)
            errors.append(failed.value)
        return errors

    errors = asyncio.run(scenario())
    assert len(errors) == 2 and all(run.id in str(error) for error in errors)
    logged = [record for record in caplog.records if record.name == "app.runs.feed"]
    assert len(logged) == 1 and run.id in logged[0].getMessage() and logged[0].exc_info is not None


def test_a_step_that_arrives_after_an_empty_tick_is_framed_as_it_arrives(driver: Driver) -> None:
    """A tick that finds nothing new waits for the run's next step and frames it when it lands, not a whole
    interval later: a run paced at the frame rate, whose steps arrive with jitter, gets a frame for each step."""
    run = driver.run
    driver.steps(1)
    feed = Feed(run, interval=2.0)  # ticks at 2 s and 4 s; the step lands at 2.5 s

    async def scenario() -> tuple[list[Message], list[float], float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        viewer = feed.join(0)
        received: list[Message] = []
        times: list[float] = []

        async def land_step() -> float:
            await asyncio.sleep(2.5)
            sent = loop.time() - started
            await asyncio.to_thread(driver.steps, 1)  # from another thread, as the worker's reader reports it
            return sent

        landing = asyncio.create_task(land_step())
        async for message in viewer.messages():
            received.append(json.loads(message.data))
            times.append(loop.time() - started)
            if len(received) == 2:
                break
        feed.leave(viewer)
        return received, times, await landing

    received, times, landed = asyncio.run(scenario())
    assert [m["type"] for m in received] == ["snapshot", "frame"]
    assert received[1]["from"] == 1 and received[1]["step"] == 1
    assert landed <= times[1] < 4.0, "the frame waited for the next tick"
