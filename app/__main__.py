"""Command line: `python -m app --host H --port P` serves Autograd Live with uvicorn."""

import argparse
import gc
import sys

import uvicorn

from app.config import get_settings
from app.storage.startup import EXIT_CODE, StoreUnusable, open_checked


def main() -> None:
    """Parse the options and serve until interrupted."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="autograd-live", description="Serve Autograd Live.")
    parser.add_argument("--host", default=settings.host, help=f"address to listen on (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    args = parser.parse_args()
    # The app knows where it listens: share links and QR codes name an address others can reach only when
    # it listens beyond loopback (app/web/addresses.py).
    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    # Checked before uvicorn starts, so a database that cannot be used is one line and a distinct exit code, not a
    # traceback from the lifespan and uvicorn's exit 3 (which a supervisor would restart in a loop).
    try:
        store = open_checked(settings.database_url)
    except StoreUnusable as error:
        print(f"autograd-live: {error}", file=sys.stderr)
        sys.exit(EXIT_CODE)
    from app.main import create_app  # torch and the app, once the database is known to be usable
    from app.web.socket_writer import UVICORN_OPTIONS

    app = create_app(settings, store)
    # What exists now (the modules: torch's, the app's) lives as long as the server. Frozen out of the collector's
    # sight, a full collection scans only what came since: under a millisecond, not a 100 ms stop of the event loop
    # every few seconds under a class's load (bench/bench_gc.py).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=args.host, port=args.port, **UVICORN_OPTIONS)


if __name__ == "__main__":
    main()
