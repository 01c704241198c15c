"""A training worker process: one scheduler stepping its runs, on the pipe its web process gave it."""

import contextlib
import os
from multiprocessing.connection import Connection

import torch

from app.training.channel import ChannelClosed, PipeChannel
from app.training.scheduler import serve

# The web process's fan-out goes first when both want the CPU: a frame late to a thousand viewers costs more
# than a step a few milliseconds late (a paced run catches up at its next step).
NICENESS = 2


def main(connection: Connection, graph_share: float) -> None:
    """The worker process's entry point."""
    torch.set_num_threads(1)  # tiny tensors: threads only fight the other runs for the cores
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    with contextlib.suppress(ChannelClosed, KeyboardInterrupt, OSError):
        serve(PipeChannel(connection), graph_share)
