"""Command line: `python -m app --host H --port P` serves Autograd Live with uvicorn."""

import argparse

import uvicorn

from app.config import get_settings
from app.web.socket_writer import UVICORN_OPTIONS


def main() -> None:
    """Parse the options and serve until interrupted."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="autograd-live", description="Serve Autograd Live.")
    parser.add_argument("--host", default=settings.host, help=f"address to listen on (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    args = parser.parse_args()
    uvicorn.run("app.main:app", host=args.host, port=args.port, **UVICORN_OPTIONS)


if __name__ == "__main__":
    main()
