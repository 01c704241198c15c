"""A lecture session: its token moves it, and a follower waiting on it hears the move at once."""

import asyncio

import pytest

from app.lectures.sessions import LectureSessions, SessionError


def test_a_move_needs_the_sessions_token_and_counts_its_version() -> None:
    sessions = LectureSessions()
    session, token = sessions.create("pytorch")
    assert session.shown.version == 0 and session.shown.run is None
    with pytest.raises(SessionError):
        sessions.move(session.id, "not-the-token", 1, "run-a", None)
    assert sessions.move(session.id, token, 1, "run-a", "run-b").version == 1
    shown = sessions.get(session.id).shown
    assert (shown.index, shown.run, shown.compare) == (1, "run-a", "run-b")


def test_a_waiting_follower_hears_the_move_and_a_late_one_gets_it_at_once() -> None:
    async def scenario() -> tuple[int, int, float]:
        sessions = LectureSessions()
        session, token = sessions.create("pytorch")
        waiting = asyncio.create_task(sessions.wait(session.id, 0, timeout=30))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # nothing new yet: it waits
        sessions.move(session.id, token, 3, "run-c", None)
        heard = await asyncio.wait_for(waiting, 5)
        loop = asyncio.get_running_loop()
        began = loop.time()
        late = await sessions.wait(session.id, 0, timeout=30)  # behind already: answered without waiting
        return heard.index, late.version, loop.time() - began

    index, version, took = asyncio.run(scenario())
    assert (index, version) == (3, 1)
    assert took < 5  # far below the 30 s it would have waited for a move


def test_a_wait_with_nothing_new_ends_with_the_scene_as_it_is() -> None:
    async def scenario() -> int:
        sessions = LectureSessions()
        session, _ = sessions.create("pytorch")
        return (await sessions.wait(session.id, 0, timeout=0.05)).version

    assert asyncio.run(scenario()) == 0


def test_past_the_limit_the_session_touched_longest_ago_goes() -> None:
    sessions = LectureSessions(limit=2)
    first, _ = sessions.create("a")
    second, token = sessions.create("b")
    sessions.move(second.id, token, 0, None, None)
    third, _ = sessions.create("c")
    with pytest.raises(KeyError):
        sessions.get(first.id)
    assert sessions.get(second.id) and sessions.get(third.id)
