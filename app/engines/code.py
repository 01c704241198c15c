"""The lines of an engine's own source that make one step, each tagged with the phase it belongs to and the
weights it updates; and where in those lines a running step is, so a graph capture can say which line built a node."""

import functools
import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import CodeType
from typing import Literal

from app.engines.base import TrainFn

Phase = Literal["forward", "loss", "backward", "update", "zero", "record"]
# `updates` of a line that updates every weight (an optimizer's step, a loop over the parameters).
ALL: Literal["all"] = "all"

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
# A switch the app needs where the lecture has one line (zero_grad, the reduction): `if config.zero_grad:` or
# `if config.reduction == "mean":`, a block without `else`. Its lines are shown only where the run takes them.
SWITCH = re.compile(r'^(\s*)if config\.(\w+)(?:\s*==\s*"(\w+)")?\s*:\s*(?:#.*)?$')
# A context the lecture always enters, and a run may leave out (no_grad): `with torch.no_grad() if config.no_grad
# else torch.enable_grad():`. Shown as `with torch.no_grad():` where the run enters it; elsewhere its block is
# shown one level out, as the code would be written without it.
# A weight a run may freeze (requires_grad=False) is updated only where it is not: `if c.requires_grad:` over its
# update line. Not shown: the line says which weight it needs, and the page leaves it out where that one is frozen.
WEIGHT_SWITCH = re.compile(r"^(\s*)if (\w+)\.requires_grad\s*:\s*(?:#.*)?$")
WITH_SWITCH = re.compile(r"^(\s*)with (.+?) if config\.(\w+) else [\w.]+\(\)\s*:\s*(?:#.*)?$")
# How the lecture's loops change a weight: in place by name (`a -= ...`, `a.data -= ...`), through a loop
# variable over the model's parameters (`for param in model.parameters(): param -= ...`), or by an optimizer.
IN_PLACE = re.compile(r"^\s*(\w+)(?:\.data)?\s*[-+*/]=")
OVER_PARAMETERS = re.compile(r"^\s*for (\w+) in .*parameters\(\)\s*:")
OPTIMIZER_STEP = re.compile(r"\.step\(\)")
ZEROING = re.compile(r"^\s*(\w+)\.grad = None")
# The lecture's name for the vector of every weight (w ← w − η ∇L): a linear model updates them in one line.
WEIGHT_VECTOR = "w"


# When a line runs: the config field and the value it must have (True for a boolean switch such as zero_grad).
When = tuple[str, str | bool]


@dataclass(frozen=True)
class CodeLine:
    """One source line of the step, its phase, the weights it updates (names, or ALL), its line in the file, the
    config it runs under (None: always), its text dedented out of the `if config...` that switches it, and the
    switched `with` it is inside (None: none), out of which it is shown one level less indented."""

    text: str
    phase: Phase
    updates: tuple[str, ...] | Literal["all"] = ()
    number: int = 0
    when: When | None = None
    inside: When | None = None
    needs_grad: str | None = None  # the weight this line updates only while it requires grad


def step_code(train: TrainFn | CodeType, param_names: Sequence[str] = ()) -> list[CodeLine]:
    """The body of the engine's training loop, read from its source, up to where it yields the record.
    `param_names` are the weights a line may update by name."""
    return list(_step_code(train.__code__ if not isinstance(train, CodeType) else train, tuple(param_names)))


@functools.cache
def _step_code(code: CodeType, param_names: tuple[str, ...]) -> tuple[CodeLine, ...]:
    source, first = inspect.getsourcelines(code)
    start = next(i for i, line in enumerate(source) if LOOP.match(line)) + 1
    stop = next(i for i, line in enumerate(source) if YIELD.match(line))
    while start < stop and not source[start].strip():  # blank lines around the body are not shown
        start += 1
    while stop > start and not source[stop - 1].strip():
        stop -= 1
    body = [line.rstrip("\n") for line in source[start:stop]]
    indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
    lines: list[CodeLine] = []
    phase: Phase = "forward"
    loop_variable: str | None = None  # the name a loop over the parameters gives each weight
    switch: tuple[int, When] | None = None  # the `if config...` block the lines are in: its indent, its condition
    context: tuple[int, When] | None = None  # the switched `with` block the lines are in
    weight: tuple[int, str] | None = None  # the `if w.requires_grad:` block the lines are in
    for offset, raw in enumerate(body):
        width = len(raw) - len(raw.lstrip())
        if switch is not None and raw.strip() and width <= switch[0]:
            if raw.strip().startswith(("else", "elif")):
                raise ValueError(f"line {first + start + offset}: a config switch in a step has no else")
            switch = None
        if context is not None and raw.strip() and width <= context[0]:
            context = None
        if weight is not None and raw.strip() and width <= weight[0]:
            weight = None
        needing = WEIGHT_SWITCH.match(raw)
        if needing:
            weight = (width, needing.group(2))
            continue
        entered = WITH_SWITCH.match(raw)
        if entered:
            if switch is not None or context is not None:
                raise ValueError(f"line {first + start + offset}: config switches in a step are not nested")
            context = (width, (entered.group(3), True))
            line = CodeLine(f"{raw[indent:width]}with {entered.group(2)}:", phase, number=first + start + offset)
            lines.append(replace(line, when=context[1]))
            continue
        opened = SWITCH.match(raw)
        if opened:
            if switch is not None:
                raise ValueError(f"line {first + start + offset}: config switches in a step are not nested")
            field, value = opened.group(2), opened.group(3)
            switch = (width, (field, value if value is not None else True))
            continue  # not shown: the page shows the lines the run takes, as if written without the switch
        text = raw[indent:]
        if switch is not None or weight is not None:
            text = text.removeprefix("    ")
        comment = text.strip()
        if comment.startswith("#"):
            phase = next((p for pattern, p in PHASE_OF_COMMENT if re.search(pattern, comment, re.I)), phase)
        kind: Phase = "record" if RECORDING.match(text) else phase
        updates: tuple[str, ...] | Literal["all"] = ()
        if kind == "update":
            loop = OVER_PARAMETERS.match(text)
            loop_variable = loop.group(1) if loop else loop_variable
            target = IN_PLACE.match(text)
            whole = target is not None and target.group(1) in (loop_variable, WEIGHT_VECTOR)
            if OPTIMIZER_STEP.search(text) or whole:
                updates = ALL
            elif target is not None and target.group(1) in param_names:
                updates = (target.group(1),)
        when, inside = switch[1] if switch else None, context[1] if context else None
        zeroed = ZEROING.match(text)
        # A weight's update under `if w.requires_grad:`, and its zeroing: neither is written for a frozen weight.
        needs = weight[1] if weight else zeroed.group(1) if zeroed and zeroed.group(1) in param_names else None
        lines.append(CodeLine(text, kind, updates, first + start + offset, when, inside, needs))
    return _with_their_switch(lines)


def _with_their_switch(lines: list[CodeLine]) -> tuple[CodeLine, ...]:
    """The comment right above a switched `if` block goes with it ("# Zero the gradients" is not shown where nothing
    is zeroed); a blank line that ends a block does not. The comment above a switched `with` says why it is there,
    and stays."""
    tied = list(lines)
    for i, line in enumerate(tied):
        following = next((other for other in tied[i + 1 :] if other.text.strip()), None)
        if not line.text.strip() and line.when is not None and (following is None or following.when != line.when):
            tied[i] = replace(line, when=None)
    for i in range(len(tied) - 2, -1, -1):  # upwards, so a comment of several lines goes whole
        line, below = tied[i], tied[i + 1]
        switched_if = below.when is not None and not below.text.lstrip().startswith("with ")
        if line.when is None and line.text.strip().startswith("#") and switched_if:
            tied[i] = replace(line, when=below.when)
    return tuple(tied)


@functools.cache
def line_index(code: CodeType) -> dict[int, int]:
    """Which of step_code's lines each line of the file is (by its number in the file): where a step is. Empty
    for a generator that is no engine's loop (its source unknown, or without the loop's shape)."""
    try:
        return {line.number: i for i, line in enumerate(_step_code(code, ()))}
    except (OSError, StopIteration, ValueError):
        return {}


def first_assigning(code: Sequence[CodeLine], name: str) -> int | None:
    """The index of the first line that assigns `name` (`loss = ...`), or None."""
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=[^=]")
    return next((i for i, line in enumerate(code) if pattern.match(line.text)), None)
