"""Reports an event loop that stops turning: past `after` seconds held up, every thread's stack goes to stderr."""

import asyncio
import faulthandler
import sys


async def watch_loop(after: float) -> None:
    """Re-arm faulthandler's timer on every turn of the loop; its own thread prints the stacks only if the loop
    has not come back for `after` seconds (a blocking call in a handler, a lock held across an await)."""
    try:
        while True:
            faulthandler.dump_traceback_later(after, file=sys.stderr)
            await asyncio.sleep(after / 4)
    finally:
        faulthandler.cancel_dump_traceback_later()
