"""app.formula.tree: the whitelist's refusals, and property tests over valid trees and over any text."""

import math
import operator
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from app.formula import FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, FormulaError, compile_formula

Array = NDArray[np.float64]
Oracle = Callable[[Array], Array]

# Warnings are errors here: evaluating a formula must stay quiet even where it is NaN or infinite.
pytestmark = pytest.mark.filterwarnings("error")

X = np.linspace(-math.pi, math.pi, 101)

REFUSALS = [
    ("x.__class__", "attribute access (x.__class__) is not allowed"),
    ("().__class__", "attribute access (().__class__) is not allowed"),
    ("np.sin(x)", "attribute access (np.sin) is not allowed"),
    ("eval('1')", "only these functions may be called: sin, cos"),
    ("__import__('os')", "(not __import__)"),
    ("open('f')", "(not open)"),
    ("x(2)", "only these functions may be called"),
    ("x**100", "exponents must be numbers between -10 and 10, not 100"),
    ("2**2**2**2**2", "exponents must be numbers between -10 and 10"),
    ("x**x", "exponents must be numbers between -10 and 10, not x"),
    ("x**(1/2)", "exponents must be numbers"),
    ("e**x", "write exp(...)"),
    ("-" * 60 + "x", f"nested more than {MAX_DEPTH} levels"),
    ("lambda: 1", "a lambda (lambda: 1) is not allowed"),
    ("'abc'", "text in quotes ('abc') is not allowed"),
    ("b'x' * x", "text in quotes (b'x')"),
    ("f'{x}'", "an f-string"),
    ("x[0]", "indexing (x[0]) is not allowed"),
    ("x < 1", "a comparison (x < 1) is not allowed"),
    ("x and 1", "and/or"),
    ("not x", "the operator not"),
    ("x if x else 1", "if/else"),
    ("(y := x)", "assignment (y := x) is not allowed"),
    ("[x for x in x]", "a comprehension"),
    ("(x, x)", "a list, tuple, set or dict"),
    ("sin(x=1)", "keyword arguments (x=1) are not allowed"),
    ("sin(*x)", "starred arguments (*x) are not allowed"),
    ("sin(x, x)", "sin takes exactly one argument, not 2"),
    ("cos()", "cos takes exactly one argument, not 0"),
    ("y", "unknown name 'y': use x"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("sin", "sin is a function: write sin(x)"),
    ("x^2", "write ** for powers"),
    ("x // 2", "the operator // (x // 2) is not allowed"),
    ("x << 2", "the operator << (x << 2) is not allowed"),
    ("1e999", "the number 1e999 is too large"),
    ("True", "True is not allowed"),
]


@pytest.mark.parametrize(("text", "message"), REFUSALS)
def test_refusals_say_what_is_not_allowed(text: str, message: str) -> None:
    """Anything outside the whitelist raises FormulaError whose message names the problem."""
    with pytest.raises(FormulaError) as refused:
        compile_formula(text)
    assert message in str(refused.value)


@dataclass(frozen=True)
class Tree:
    """A valid formula, built twice from the grammar: as text, and as a numpy closure (the oracle)."""

    text: str
    oracle: Oracle
    depth: int


def constant(text: str, value: float) -> Tree:
    """A number or named constant, as a full array like x."""
    return Tree(text, lambda x: np.full(x.shape, value), 1)


def call(name: str, child: Tree) -> Tree:
    """One of the whitelisted functions applied to a subtree."""
    ufunc = getattr(np, name)
    return Tree(f"{name}({child.text})", lambda x: ufunc(child.oracle(x)), child.depth + 1)


def unary(sign: str, child: Tree) -> Tree:
    """A subtree with a + or - in front."""
    oracle = child.oracle if sign == "+" else lambda x: -child.oracle(x)
    return Tree(f"{sign}({child.text})", oracle, child.depth + 1)


BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def binary(symbol: str, left: Tree, right: Tree) -> Tree:
    """Two subtrees joined by + - * or /."""
    join = BINARY[symbol]
    text = f"({left.text}) {symbol} ({right.text})"
    return Tree(text, lambda x: join(left.oracle(x), right.oracle(x)), max(left.depth, right.depth) + 1)


def power(base: Tree, exponent: float) -> Tree:
    """A subtree to a constant power; np.power, like the module, so values match bit for bit (not pow's ulps)."""
    text = f"({base.text})**{exponent:g}"
    return Tree(text, lambda x: np.power(base.oracle(x), float(exponent)), base.depth + 1)


NUMBERS = st.one_of(st.integers(0, 999).map(str), st.sampled_from(["0.5", "2.25", "1e-3", ".5", "1_0", "3E2"]))
LEAVES = st.one_of(
    st.just(Tree("x", lambda x: x, 1)),
    st.sampled_from([("pi", math.pi), ("e", math.e)]).map(lambda pair: constant(*pair)),
    NUMBERS.map(lambda text: constant(text, float(text))),
)
EXPONENTS = st.one_of(st.integers(-MAX_EXPONENT, MAX_EXPONENT), st.sampled_from([0.5, -0.5, 2.5, -1.5]))


def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    """One more layer of the whitelist grammar over smaller trees."""
    return st.one_of(
        st.builds(call, st.sampled_from(sorted(FUNCTIONS)), children),
        st.builds(unary, st.sampled_from("+-"), children),
        st.builds(binary, st.sampled_from(sorted(BINARY)), children, children),
        st.builds(power, children, EXPONENTS),
    )


TREES = st.recursive(LEAVES, extend, max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(TREES)
def test_valid_trees_match_numpy(tree: Tree) -> None:
    """A formula generated from the grammar compiles and gives exactly the values of the same tree built in numpy."""
    assume(len(tree.text) <= MAX_LENGTH and tree.depth <= MAX_DEPTH)
    formula = compile_formula(tree.text)
    assert formula.text == tree.text
    values = formula.evaluate(X)
    with np.errstate(all="ignore"):
        expected = tree.oracle(X)
    np.testing.assert_array_equal(values, expected)


TOKENS = ["x", "pi", "e", "y", "sin", "log", "exp", "eval", "__class__", "(", ")", "+", "-", "*", "/", "**", "//", "^"]
TOKENS += [".", ",", "=", ":", "[", "]", "<", "'", '"', "0", "1", "2", "9", "10", "0.5", "1e308", "1e-320", "j", "_"]
TOKENS += [" ", "if", "else", "lambda", "not", "and", "in", "\n", ";", "@", "#", "\\", "\0", "{", "}", "π"]


def mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    """The text with a few short slices replaced by tokens: near-valid formulas, some of them still valid."""
    for start, length, token in edits:
        start %= len(text) + 1
        text = text[:start] + token + text[start + length :]
    return text


EDITS = st.lists(st.tuples(st.integers(0, MAX_LENGTH), st.integers(0, 3), st.sampled_from(TOKENS)), max_size=3)
TEXTS = st.one_of(
    st.text(max_size=MAX_LENGTH + 20),
    st.lists(st.sampled_from(TOKENS), max_size=80).map("".join),
    st.builds(mutate, TREES.map(lambda tree: tree.text), EDITS),
)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
@example("1if x else 2")  # the parser would warn about these few, so they are refused before parsing
@example("'\\d' + x")
@example("0xfor x in x")
def test_any_text_compiles_or_is_refused(text: str) -> None:
    """Any text gives a Formula whose values have x's shape, or FormulaError: never another error nor a warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            formula = compile_formula(text)
        except FormulaError as error:
            assert str(error)
            formula = None
        if formula is not None:
            start = time.perf_counter()
            values = formula.evaluate(X)
            assert time.perf_counter() - start < 1.0
            assert values.shape == X.shape and values.dtype == np.float64
    assert not caught, [str(warning.message) for warning in caught]
