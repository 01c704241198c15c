"""The step code read from each engine's source: its lines, their phases and the weights each line updates."""

import contextlib

import pytest

from app.engines import ENGINES
from app.engines.code import ALL, first_assigning, line_index, step_code
from app.engines.torch_autograd import train as torch_autograd_train
from app.run_config import RunConfig


@pytest.mark.parametrize("name", list(ENGINES))
def test_every_weight_is_updated_by_a_line_of_the_update_phase(name: str) -> None:
    """Each weight is named by exactly one update line, or one line updates them all; no other line updates."""
    spec = ENGINES[name]
    code = step_code(spec.train, spec.param_names)
    updating = [line for line in code if line.updates]
    assert updating and all(line.phase == "update" for line in updating)
    if any(line.updates == ALL for line in updating):
        assert len(updating) == 1
        assert any(part in updating[0].text for part in (".step()", "param -=", "w -="))
    else:
        named = [name for line in updating for name in line.updates]
        assert sorted(named) == sorted(spec.names(RunConfig(engine=name)))
        for line in updating:  # `a -= ...`, `a.data -= ...`: the line names the weight it changes
            assert line.text.strip().startswith(f"{line.updates[0]} -=") or f"{line.updates[0]}.data -=" in line.text


def test_a_line_number_in_the_file_finds_its_line_of_the_step() -> None:
    """line_index maps the source file's numbering onto the step's lines, blank and comment lines included."""
    code = step_code(torch_autograd_train)
    index = line_index(torch_autograd_train.__code__)
    assert len(index) == len(code)
    for number, i in index.items():
        assert code[i].number == number
    loss = first_assigning(code, "loss")
    assert loss is not None and code[loss].text == "loss = (y_pred - y).pow(2).sum()"
    assert first_assigning(code, "no_such_name") is None


def test_a_generator_that_is_no_engine_has_no_step_lines() -> None:
    """A stream without the engine loop's shape (a test's own generator) is told apart, not an error."""

    def stream():  # type: ignore[no-untyped-def]
        yield 1

    assert line_index(stream.__code__) == {}


def switched(config: RunConfig):  # type: ignore[no-untyped-def]
    """A step with both kinds of switch, as the engines write them."""
    loss = 0.0
    for t in range(config.steps):
        # Compute loss
        loss = float(t) * 2.0
        if config.reduction == "mean":  # the mean
            loss = loss / 10

        # Zero the gradients
        if config.zero_grad:
            loss = loss * 1.0

        print(loss)
        detail = yield loss  # noqa: F841


def nested(config: RunConfig):  # type: ignore[no-untyped-def]
    """A switch inside a switch: not a shape the code panel shows."""
    for t in range(config.steps):
        if config.zero_grad:  # noqa: SIM102
            if config.reduction == "mean":
                pass
        detail = yield t  # noqa: F841


def with_else(config: RunConfig):  # type: ignore[no-untyped-def]
    """A switch with an else: not a shape the code panel shows."""
    for t in range(config.steps):
        if config.zero_grad:
            pass
        else:
            pass
        detail = yield t  # noqa: F841


def test_a_config_switch_is_not_shown_and_its_lines_say_when_they_run() -> None:
    """`if config.reduction == "mean":` and `if config.zero_grad:` are left out; the lines under them come out
    dedented, each with the config it runs under, the comment above a switched block with it; the rest run always."""
    code = step_code(switched)
    assert [(line.text, line.when) for line in code] == [
        ("# Compute loss", None),
        ("loss = float(t) * 2.0", None),
        ("loss = loss / 10", ("reduction", "mean")),
        ("", None),
        ("# Zero the gradients", ("zero_grad", True)),
        ("loss = loss * 1.0", ("zero_grad", True)),
        ("", None),
        ("print(loss)", None),
    ]


@pytest.mark.parametrize("train", [nested, with_else], ids=["nested", "else"])
def test_a_switch_the_code_panel_cannot_show_is_refused(train) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="config switch"):
        step_code(train)


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_no_engine_shows_a_config_test(name: str) -> None:
    """Every engine's step, as the page shows it, holds no `config.` test: each switch is a `when`."""
    assert not [line.text for line in step_code(ENGINES[name].train) if "config." in line.text]


def entered(config: RunConfig):  # type: ignore[no-untyped-def]
    """A step whose update a run may make without the context the lecture puts it in, a switch inside it."""
    for t in range(config.steps):
        # Update the weights
        with contextlib.suppress(OSError) if config.no_grad else contextlib.nullcontext():
            size = t
            if config.zero_grad:
                size = 0
        print(size)
        detail = yield t  # noqa: F841


def test_a_switched_with_is_shown_as_the_lecture_writes_it_and_its_block_says_so() -> None:
    """`with X if config.f else Y:` is shown as `with X:`, running where f holds; its block's lines say they are
    inside it (a run without it has them one level out), an `if config...` within it too; the comment above stays."""
    code = step_code(entered)
    assert [(line.text, line.when, line.inside) for line in code] == [
        ("# Update the weights", None, None),
        ("with contextlib.suppress(OSError):", ("no_grad", True), None),
        ("    size = t", None, ("no_grad", True)),
        ("    size = 0", ("zero_grad", True), ("no_grad", True)),
        ("print(size)", None, None),
    ]


def test_the_lectures_no_grad_is_torch_autograds_switched_with() -> None:
    """torch-autograd's update reads `with torch.no_grad():` under no_grad, and each weight's update is inside it."""
    code = step_code(ENGINES["torch-autograd"].train, ENGINES["torch-autograd"].param_names)
    (opening,) = [line for line in code if line.text.lstrip().startswith("with ")]
    assert opening.text == "with torch.no_grad():" and opening.when == ("no_grad", True)
    updates = [line for line in code if line.updates]
    assert [line.updates for line in updates] == [("a",), ("b",), ("c",), ("d",)]
    assert all(line.inside == ("no_grad", True) for line in updates)


def test_a_weights_update_and_zeroing_say_they_need_it_unfrozen() -> None:
    """torch-autograd's `if c.requires_grad:` is not shown; c's update and its zeroing say they need c's grad."""
    code = step_code(ENGINES["torch-autograd"].train, ENGINES["torch-autograd"].param_names)
    assert not [line.text for line in code if "requires_grad:" in line.text]
    needing = {(line.needs_grad, line.phase) for line in code if line.needs_grad}
    assert needing == {(name, phase) for name in "abcd" for phase in ("update", "zero")}
    assert [line.text for line in code if line.needs_grad == "c"] == [
        "    c -= learning_rate * c.grad",
        "    c.grad = None",
    ]
