"""The lines of an engine's own source that make one step, each tagged with the phase it belongs to."""

import inspect
import re
import textwrap
from dataclasses import dataclass
from typing import Literal

from app.engines.base import TrainFn

Phase = Literal["forward", "loss", "backward", "update", "zero", "record"]

# A comment opens a phase; the first pattern that matches names it, so "zero the gradients after updating"
# is zeroing and "backward pass: gradient of the loss" is the backward pass.
PHASE_OF_COMMENT: tuple[tuple[str, Phase], ...] = (
    (r"\bzero", "zero"),
    (r"\bforward\b", "forward"),
    (r"\bbackward\b|\bbackprop", "backward"),
    (r"\bupdate|\bstep function\b", "update"),
    (r"\bloss\b", "loss"),
)
# Lines that only copy numbers out for the page: shown, but marked as not part of the lecture's step.
RECORDING = re.compile(r"^\s*(grads|after|before|curve) = ")
LOOP = re.compile(r"^\s*for t in range\(")
YIELD = re.compile(r"^\s*detail = yield ")


@dataclass(frozen=True)
class CodeLine:
    """One source line of the step, with the phase it belongs to."""

    text: str
    phase: Phase


def step_code(train: TrainFn) -> list[CodeLine]:
    """The body of the engine's training loop, read from its source, up to where it yields the record."""
    source = inspect.getsource(train).splitlines()
    start = next(i for i, line in enumerate(source) if LOOP.match(line)) + 1
    stop = next(i for i, line in enumerate(source) if YIELD.match(line))
    body = textwrap.dedent("\n".join(source[start:stop])).strip("\n").splitlines()
    lines: list[CodeLine] = []
    phase: Phase = "forward"
    for text in body:
        comment = text.strip()
        if comment.startswith("#"):
            phase = next((p for pattern, p in PHASE_OF_COMMENT if re.search(pattern, comment, re.I)), phase)
        lines.append(CodeLine(text, "record" if RECORDING.match(text) else phase))
    return lines
