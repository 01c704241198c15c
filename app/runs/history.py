"""Every step of a run in preallocated float64 arrays: about 72 bytes a step for the cubic."""

import numpy as np

from app.engines.base import StepRecord


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

    def nbytes(self) -> int:
        """Bytes of the recorded steps."""
        per_step = self.loss.itemsize * (1 + 2 * len(self.param_names))
        return self.count * per_step
