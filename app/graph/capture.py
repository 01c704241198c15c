"""One step of any engine with its autograd graph captured: what a Run calls for the steps that become frames."""

from app.engines.base import StepRecord, StepStream
from app.graph.model import BackwardTrace, Graph
from app.graph.tiny_capture import TinyCapture
from app.graph.torch_capture import GraphCapture


def capture_step(stream: StepStream, send: bool | None) -> tuple[StepRecord, Graph | None, BackwardTrace | None]:
    """`stream.send(send)` with both captures on: a torch engine fills one, tiny-autograd the other, and an
    engine without autograd (numpy, torch-tensors) neither, so the graph and trace are None."""
    with GraphCapture() as torch_capture, TinyCapture() as tiny_capture:
        record = stream.send(send)
    found = torch_capture if torch_capture.graph is not None else tiny_capture
    return record, found.graph, found.trace
