"""The step code read from each engine's source: its lines, their phases and the weights each line updates."""

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
        assert any(part in updating[0].text for part in (".step()", "param -="))
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
