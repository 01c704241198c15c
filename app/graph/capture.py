"""One step of any engine with its autograd graph captured: what a Run calls for the steps that become frames."""

from collections.abc import Callable
from types import GeneratorType
from typing import cast

from app.engines.base import StepRecord, StepStream
from app.engines.code import line_index
from app.graph.model import BackwardTrace, Graph
from app.graph.tiny_capture import TinyCapture
from app.graph.torch_capture import GraphCapture


def step_line(stream: StepStream) -> Callable[[], int | None]:
    """Which line of the engine's step code the running `stream` is at (None: outside the step's lines). The
    generator's own frame is on the stack below every call it makes, so its line is the line that made the call."""
    generator = cast("GeneratorType[StepRecord, bool | None, None]", stream)  # engines are generator functions
    lines = line_index(generator.gi_code)

    def where() -> int | None:
        frame = generator.gi_frame
        return lines.get(frame.f_lineno) if frame is not None else None

    return where


def capture_step(stream: StepStream, send: bool | None) -> tuple[StepRecord, Graph | None, BackwardTrace | None]:
    """`stream.send(send)` with both captures on: a torch engine fills one, tiny-autograd the other, and an
    engine without autograd (numpy, torch-tensors) neither, so the graph and trace are None."""
    where = step_line(stream)
    with GraphCapture(where) as torch_capture, TinyCapture(where) as tiny_capture:
        record = stream.send(send)
    found = torch_capture if torch_capture.graph is not None else tiny_capture
    return record, found.graph, found.trace
