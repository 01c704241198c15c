"""The fork server's warm-up: what it leaves behind is frozen out of the garbage collector's sight."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

AFTER_WARM_UP = "import gc, json, app.training.warm; print(json.dumps([gc.get_freeze_count(), len(gc.get_objects())]))"


def test_the_warmed_fork_server_leaves_its_objects_frozen_for_the_workers_it_forks() -> None:
    """The modules and warmed engines (hundreds of thousands of objects) are frozen, and a full collection in a
    worker forked from there tracks only what that worker makes."""
    done = subprocess.run([sys.executable, "-c", AFTER_WARM_UP], cwd=ROOT, capture_output=True, text=True, check=True)
    frozen, tracked = json.loads(done.stdout)
    assert frozen > 100_000
    assert tracked < 1_000
