"""The stall watch: an event loop held up past its limit has every thread's stack printed; one that turns, none."""

import subprocess
import sys

SCRIPT = """
import asyncio, time
from app.web.stall_watch import watch_loop

def blocking_handler(seconds):
    time.sleep(seconds)  # what a handler must never do on the loop

async def main(hold):
    watch = asyncio.create_task(watch_loop(1.0))
    await asyncio.sleep(0.1)
    if hold:
        blocking_handler(2.5)
    else:
        await asyncio.sleep(2.5)
    watch.cancel()
    await asyncio.gather(watch, return_exceptions=True)
    time.sleep(1.5)  # past the limit again, with the watch gone: nothing more is printed

asyncio.run(main({hold}))
"""


def run(hold: bool) -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(hold=hold)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_a_loop_held_up_has_the_stack_that_holds_it_printed() -> None:
    stderr = run(hold=True)
    assert "Timeout (0:00:01)!" in stderr
    assert "blocking_handler" in stderr
    assert stderr.count("Timeout (") == 1


def test_a_loop_that_keeps_turning_prints_nothing() -> None:
    assert run(hold=False) == ""
