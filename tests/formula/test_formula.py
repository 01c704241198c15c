"""app.formula: compiled values against numpy, the presets, and what a Formula does with them."""

import math
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from app.formula import DEFAULT_TARGET, MAX_PARTS, PRESETS, FormulaError, compile_formula

Array = NDArray[np.float64]
Oracle = Callable[[Array], Array]

# Warnings are errors here: evaluating a formula must stay quiet even where it is NaN or infinite.
pytestmark = pytest.mark.filterwarnings("error")

X = np.linspace(-math.pi, math.pi, 101)

VALUES: list[tuple[str, Oracle]] = [
    ("sin(x) + 0.3*x**2", lambda x: np.sin(x) + 0.3 * x**2),
    ("-x**2", lambda x: -(x**2)),
    ("2**-1 * x", lambda x: 0.5 * x),
    ("x - 1 - 2", lambda x: (x - 1) - 2),
    ("x / 2 / 4", lambda x: (x / 2) / 4),
    ("2 * x**2 + 3*x - 1", lambda x: 2 * x**2 + 3 * x - 1),
    ("(x + 1)**3", lambda x: (x + 1) ** 3),
    ("x**-2", lambda x: np.power(x, -2.0)),
    ("x**(-1.5)", lambda x: np.power(x, -1.5)),
    ("exp(-x**2)", lambda x: np.exp(-(x**2))),
    ("pi * e * x", lambda x: math.pi * math.e * x),
    ("abs(x) + sign(x) + floor(x) + ceil(x)", lambda x: np.abs(x) + np.sign(x) + np.floor(x) + np.ceil(x)),
    ("sqrt(abs(x)) * tanh(x) - arctan(x)", lambda x: np.sqrt(np.abs(x)) * np.tanh(x) - np.arctan(x)),
    ("cosh(x) - sinh(x)", lambda x: np.cosh(x) - np.sinh(x)),
    ("tan(x / 3) + log(1 + x**2)", lambda x: np.tan(x / 3) + np.log(1 + x**2)),
    ("+x - -x", lambda x: x + x),
    ("1_000 * .5e-3 * x", lambda x: 0.5 * x),
    ("  sin(x)\n", np.sin),
]


@pytest.mark.parametrize(("text", "oracle"), VALUES)
def test_values_match_numpy(text: str, oracle: Oracle) -> None:
    """Each formula gives numpy's values for the same expression, written out by hand."""
    with np.errstate(all="ignore"):
        expected = oracle(X)
    np.testing.assert_allclose(compile_formula(text).evaluate(X), expected, rtol=1e-14, atol=1e-15)


def test_default_target_is_exactly_sine() -> None:
    """The default target is sin(x), bit for bit."""
    assert DEFAULT_TARGET == "sin(x)" == PRESETS["sine"]
    assert np.array_equal(compile_formula(DEFAULT_TARGET).evaluate(X), np.sin(X))


@pytest.mark.parametrize("text", ["2", "pi", "-1.5", "e**2"])
def test_constant_formula_broadcasts_to_the_shape_of_x(text: str) -> None:
    """A formula without x still gives one value per point, for any shape of x."""
    value = compile_formula(text).evaluate(np.zeros(1))[0]
    for x in (np.zeros((3, 4)), np.float64(1.0), [1.0, 2.0]):
        values = compile_formula(text).evaluate(x)
        assert values.shape == np.shape(x) and values.dtype == np.float64
        assert np.all(values == value)


def test_evaluate_returns_a_new_array() -> None:
    """Writing into the result of `x` leaves the caller's points alone."""
    points = X.copy()
    compile_formula("x").evaluate(points)[0] = 99.0
    assert np.array_equal(points, X)


def test_formulas_compare_by_text() -> None:
    """Two compilations of the same text are equal and hash alike; FormulaError is a ValueError."""
    assert compile_formula("x**2") == compile_formula(" x**2 ")
    assert len({compile_formula("x"), compile_formula("x")}) == 1
    assert issubclass(FormulaError, ValueError)


@pytest.mark.parametrize("text", PRESETS.values())
def test_every_preset_compiles_and_is_finite_on_the_lecture_range(text: str) -> None:
    """The presets are valid formulas, defined everywhere on [-π, π]."""
    formula = compile_formula(text)
    assert formula.text == text
    assert np.array_equal(formula.check_finite_on(X), formula.evaluate(X))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("log(x)", "x = -3.14159: log(x) gives nan"),
        ("1/x", "x = 0: 1/x gives inf"),
        ("-x**-2", "x = 0: -x**-2 gives -inf"),
    ],
)
def test_check_finite_names_the_first_bad_point(text: str, message: str) -> None:
    """A formula that is NaN or infinite on the points is refused, naming the first such point."""
    points = np.array([-math.pi, 0.0, 1.0]) if "log" in text else np.array([1.0, 0.0, -1.0])
    with pytest.raises(FormulaError) as refused:
        compile_formula(text).check_finite_on(points)
    assert str(refused.value) == f"the target is not finite at {message}"


def test_parts_limit_counts_numbers_names_and_operations() -> None:
    """More than MAX_PARTS numbers, names and operations are refused, however short the text."""
    with pytest.raises(FormulaError, match=f"more than {MAX_PARTS} parts"):
        compile_formula("+".join(["x"] * 60))
