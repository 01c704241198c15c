"""Target formulas typed by users, like `sin(x) + 0.3*x**2`: a whitelist over `ast`, evaluated with numpy.

The text is read (text.py), its tree checked node by node against the whitelist and built into a numpy function
(tree.py); the Formula (model.py) evaluates it quietly, NaN or inf where it is undefined."""

import ast

from app.formula.model import Array, Formula, FormulaError, Function
from app.formula.text import MAX_LENGTH, parse, precheck
from app.formula.tree import CONSTANTS, FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, OPERATORS, build

__all__ = [
    "CONSTANTS",
    "DEFAULT_TARGET",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_PARTS",
    "OPERATORS",
    "PRESETS",
    "Array",
    "Formula",
    "FormulaError",
    "Function",
    "compile_formula",
]

# Bounds that keep any accepted formula cheap: a few dozen float64 ufunc calls over the points, nothing more
# (MAX_LENGTH, MAX_DEPTH and MAX_EXPONENT are checked where they apply).
MAX_PARTS = 100

PRESETS: dict[str, str] = {
    "sine": "sin(x)",
    "cosine": "cos(x)",
    "cubic": "x**3 - x",
    "absolute value": "abs(x)",
    "bell curve": "exp(-x**2)",
    "soft step": "tanh(2*x)",
    "fast sine": "sin(3*x)",
    "sine plus parabola": "sin(x) + 0.3*x**2",
}
DEFAULT_TARGET = PRESETS["sine"]


def compile_formula(text: str) -> Formula:
    """Check `text` against the whitelist and turn it into a Formula, or raise FormulaError."""
    source = precheck(text)
    tree = parse(source)
    parts = sum(isinstance(node, ast.expr) for node in ast.walk(tree))
    if parts > MAX_PARTS:
        raise FormulaError(f"the formula has more than {MAX_PARTS} parts ({parts} numbers, names and operations)")
    return Formula(text=source, function=build(tree.body, source))
