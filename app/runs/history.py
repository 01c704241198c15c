"""Every step of a run in preallocated float64 arrays (about 72 bytes a step for the cubic), and the autograd
graphs of the steps that had frames, thinned to a cap."""

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engines.base import StepRecord
from app.storage.frames import FoundGraph, GraphFrame, nearest, pack
from app.storage.records import Column
from app.storage.schema import CHUNK_STEPS


class History:
    """Losses, weights and gradients by step; one writer thread appends, readers slice below `count`."""

    def __init__(self, capacity: int, param_names: tuple[str, ...]) -> None:
        self.param_names = param_names
        # np.empty maps memory lazily, so a long run's unused tail costs nothing until written.
        self.loss = np.empty(capacity)
        self.params = np.empty((capacity, len(param_names)))
        self.grads = np.empty((capacity, len(param_names)))
        self.count = 0

    def append(self, record: StepRecord) -> None:
        """Store one step; `count` moves last, so readers never see a half-written row."""
        i = self.count
        self.loss[i] = record.loss
        self.params[i] = record.params
        self.grads[i] = record.grads
        self.count = i + 1

    def extend(self, loss: np.ndarray, params: np.ndarray, grads: np.ndarray) -> None:
        """Store the steps that follow, as columns (n,), (n, weights), (n, weights); `count` moves last."""
        i, n = self.count, len(loss)
        self.loss[i : i + n] = loss
        self.params[i : i + n] = params
        self.grads[i : i + n] = grads
        self.count = i + n

    def losses(self, start: int, stop: int) -> list[float]:
        """Losses of steps start..stop-1 as Python floats."""
        return self.loss[start:stop].tolist()  # type: ignore[no-any-return]

    def columns(self) -> dict[str, object]:
        """The whole history as columns: step, loss, and one list per weight and gradient."""
        n = self.count
        return {
            "step": list(range(n)),
            "loss": self.loss[:n].tolist(),
            "params": {name: self.params[:n, i].tolist() for i, name in enumerate(self.param_names)},
            "grads": {name: self.grads[:n, i].tolist() for i, name in enumerate(self.param_names)},
        }

    def column(self, column: Column, start: int, stop: int) -> Iterator[np.ndarray]:
        """Steps start..stop-1 (stop at most `count`) of one column, as views of CHUNK_STEPS steps at most, as a
        stored run's are read: loss (n,), params and grads (n, number of parameters)."""
        values = {"loss": self.loss, "params": self.params, "grads": self.grads}[column]
        for first in range(start, stop, CHUNK_STEPS):
            yield values[first : min(first + CHUNK_STEPS, stop)]

    def check(self) -> None:
        """Nothing to check: the steps are in memory (a stored run's may be damaged)."""

    def nbytes(self) -> int:
        """Bytes of the recorded steps."""
        per_step = self.loss.itemsize * (1 + 2 * len(self.param_names))
        return self.count * per_step


@dataclass(frozen=True, slots=True)
class GraphFramesState:
    """What GraphFrames holds at one moment, published whole, so a reader sees one consistent state: the frames
    kept (captures `seq` that are multiples of `stride`), every shape captured by signature, how many captures
    there were, and the latest captured GraphValues (kept or not: the end of a replay shows it)."""

    frames: tuple[GraphFrame, ...] = ()
    stride: int = 1
    shapes: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    captured: int = 0
    latest: Mapping[str, Any] | None = None


class GraphFrames:
    """The graphs of a run's framed steps, at most `cap` of them, thinned evenly as the run goes: once `cap` are
    kept, every second one is dropped and the stride between the kept captures doubles, so they still span the
    whole run. One thread adds (the run's worker); readers take `state` without a lock: it is replaced, never
    changed, and a shape is published before (or with) the first frame that needs it."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.state = GraphFramesState()

    def add(self, step: int, shape: dict[str, Any], values: Mapping[str, Any]) -> None:
        """Keep the graph captured at `step` (packed, if its capture number is kept) and make it the latest."""
        old = self.state
        signature = shape["signature"]
        shapes = old.shapes if signature in old.shapes else {**old.shapes, signature: shape}
        seq, frames, stride = old.captured, old.frames, old.stride
        if self.cap > 0 and seq % stride == 0:
            if len(frames) >= self.cap:
                stride *= 2
                frames = tuple(frame for frame in frames if frame.seq % stride == 0)
            if seq % stride == 0:
                frames = (*frames, GraphFrame(seq, step, signature, pack(values)))
        self.state = GraphFramesState(frames, stride, shapes, seq + 1, values)

    def at(self, step: int) -> FoundGraph | None:
        """The graph nearest at or before `step`: a kept frame, or the latest capture."""
        state = self.state
        frames = state.frames
        index = bisect.bisect_right(frames, step, key=lambda frame: frame.step)
        frame = frames[index - 1] if index else None
        following = frames[index].step if index < len(frames) else None
        return nearest(step, frame, following, state.latest, state.shapes.get)
