"""`python -m app`: what the process holds when it starts serving."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The entry point up to the moment it would serve: uvicorn's run replaced by a report of the collector's state.
UP_TO_SERVING = """
import gc, json, sys
import app.__main__ as entry
entry.uvicorn.run = lambda app, **options: print(json.dumps([gc.get_freeze_count(), len(gc.get_objects())]))
sys.argv = ["autograd-live", "--port", "0"]
entry.main()
"""


def test_the_server_freezes_what_it_starts_with_before_it_serves(tmp_path: Path) -> None:
    """The modules and the app (hundreds of thousands of objects) are frozen before serving begins, so a full
    collection under load scans only what the server makes while it serves."""
    env = {**os.environ, "AUTOGRAD_LIVE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", UP_TO_SERVING], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    frozen, tracked = json.loads(done.stdout.splitlines()[-1])
    assert frozen > 100_000
    assert tracked < 1_000
