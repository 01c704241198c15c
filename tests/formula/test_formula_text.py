"""app.formula.text: text refused before or while parsing, in plain words naming what and where."""

import pytest

from app.formula import MAX_LENGTH, FormulaError, compile_formula

pytestmark = pytest.mark.filterwarnings("error")  # the parser must never get to warn

REFUSALS = [
    ("x+" * 100 + "x", "longer than 200 characters"),
    ("import os", "not a statement (an import)"),
    ("x = 1", "not a statement (an assignment)"),
    ("x; x", "one expression in x, not several"),
    ("2x", "write numbers like 2, 0.5 or 1e-3, and 2*x, not 2x"),
    ("1j * x", "'1j' at position 0 is not a number"),
    ("0x10", "is not a number"),
    ("1if x else 2", "is not a number"),
    ("", "the formula is empty"),
    (" \n ", "the formula is empty"),
    ("sin(x", "'(' was never closed"),
    ("x \\\n + 1", "a backslash (at position 2) is not allowed"),
    ("'\\d' + x", "a backslash (at position 1) is not allowed"),
]


@pytest.mark.parametrize(("text", "message"), REFUSALS)
def test_text_that_is_not_one_expression_is_refused_in_words(text: str, message: str) -> None:
    """Too long, empty, a statement, several, not a number, a backslash, bad syntax: FormulaError says which."""
    with pytest.raises(FormulaError) as refused:
        compile_formula(text)
    assert message in str(refused.value)


def test_length_limit_counts_characters() -> None:
    """MAX_LENGTH characters are fine, one more is refused."""
    text = "sin(x)" + " " * (MAX_LENGTH - 14) + "+ cos(x)"
    assert len(text) == MAX_LENGTH and compile_formula(text).text == text
    with pytest.raises(FormulaError, match="longer than"):
        compile_formula(text + " ")
