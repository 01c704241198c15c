"""Target formulas typed by users, like `sin(x) + 0.3*x**2`: a whitelist over `ast`, evaluated with numpy."""

import ast
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
Function = Callable[[Array], Array]

# Bounds that keep any accepted formula cheap: a few dozen float64 ufunc calls over the points, nothing more.
MAX_LENGTH = 200
MAX_PARTS = 100
MAX_DEPTH = 50
MAX_EXPONENT = 10

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

# Each a numpy ufunc of one argument, called by its bare name.
FUNCTIONS: dict[str, np.ufunc] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.absolute,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "arctan": np.arctan,
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
OPERATORS: dict[type[ast.operator], np.ufunc] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
}
_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|"}
_SYMBOLS |= {ast.LShift: "<<", ast.RShift: ">>"}
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "a slice",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.Lambda: "a lambda",
    ast.NamedExpr: "assignment",
    ast.Starred: "a starred expression",
    ast.JoinedStr: "an f-string",
    **dict.fromkeys((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), "a comprehension"),
    **dict.fromkeys((ast.List, ast.Tuple, ast.Set, ast.Dict), "a list, tuple, set or dict"),
    **dict.fromkeys((ast.Await, ast.Yield, ast.YieldFrom), "await or yield"),
}
_STATEMENTS: dict[type[ast.stmt], str] = {
    **dict.fromkeys((ast.Import, ast.ImportFrom), "an import"),
    **dict.fromkeys((ast.Assign, ast.AugAssign, ast.AnnAssign), "an assignment"),
}
# Checked before parsing because the parser only warns (it does not fail) on a number run into a keyword, like
# `1if`: a run of characters that starts like a number must be a plain decimal number.
_NUMBER_RUN = re.compile(r"(?<![\w.])(?:\d|\.\d)(?:[eE][+-]|[\w.])*")
_DECIMAL = re.compile(r"(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?")


class FormulaError(ValueError):
    """A formula that is not allowed, with a message saying what and where."""


@dataclass(frozen=True)
class Formula:
    """A validated formula: its text and the numpy function of x it stands for."""

    text: str
    # Expects a float64 array and may warn; evaluate() adds the quiet errstate and x's shape.
    function: Function = field(repr=False, compare=False)

    def evaluate(self, x: ArrayLike) -> Array:
        """The formula at every x, as a new float64 array of x's shape; NaN or inf where it is undefined."""
        points = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            values = self.function(points)
        return np.array(np.broadcast_to(values, points.shape), dtype=np.float64)

    def check_finite_on(self, x: ArrayLike) -> Array:
        """The formula's values at x; FormulaError naming the first x where one is NaN or infinite."""
        points = np.asarray(x, dtype=np.float64)
        values = self.evaluate(points)
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.argmax(bad))
            point, value = float(points.flat[first]), float(values.flat[first])
            raise FormulaError(f"the target is not finite at x = {point:.6g}: {self.text} gives {value}")
        return values


def compile_formula(text: str) -> Formula:
    """Check `text` against the whitelist and turn it into a Formula, or raise FormulaError."""
    source = _precheck(text)
    tree = _parse(source)
    parts = sum(isinstance(node, ast.expr) for node in ast.walk(tree))
    if parts > MAX_PARTS:
        raise FormulaError(f"the formula has more than {MAX_PARTS} parts ({parts} numbers, names and operations)")
    return Formula(text=source, function=_build(tree.body, source, 1))


def _precheck(text: str) -> str:
    """The stripped text, after the checks that come before parsing (so the parser never runs long or warns)."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    source = text.strip()
    if not source:
        raise FormulaError("the formula is empty: write a function of x, like sin(x)")
    # Backslash escapes in strings are another thing the parser only warns on.
    if (backslash := source.find("\\")) >= 0:
        raise FormulaError(f"a backslash (at position {backslash}) is not allowed")
    for run in _NUMBER_RUN.finditer(source):
        if not _DECIMAL.fullmatch(run.group()):
            where = f"{run.group()!r} at position {run.start()}"
            raise FormulaError(f"{where} is not a number: write numbers like 2, 0.5 or 1e-3, and 2*x, not 2x")
    return source


def _quiet_parse(source: str, mode: str) -> ast.AST:
    """ast.parse with its warnings (odd literals such as '1.0if') turned into errors, so nothing is printed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)
        return ast.parse(source, mode=mode)


def _parse(source: str) -> ast.Expression:
    """The syntax tree of one expression, or FormulaError saying why the text is not one."""
    try:
        tree = _quiet_parse(source, "eval")
    except SyntaxWarning as warning:
        raise FormulaError(f"the formula is not valid: {warning}") from None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise FormulaError(_syntax_message(source, error)) from None
    assert isinstance(tree, ast.Expression)
    return tree


def _syntax_message(source: str, error: Exception) -> str:
    """Plain words for text that is not a Python expression: a statement, several lines, or a syntax error."""
    try:
        module = _quiet_parse(source, "exec")
        statements = module.body if isinstance(module, ast.Module) else []
    except (SyntaxError, SyntaxWarning, ValueError, RecursionError, MemoryError):
        statements = []
    for statement in statements:
        if not isinstance(statement, ast.Expr):
            kind = _STATEMENTS.get(type(statement), type(statement).__name__.lower())
            return f"a formula is one expression in x, not a statement ({kind})"
    if len(statements) > 1:
        return "a formula is one expression in x, not several"
    if isinstance(error, SyntaxError):
        where = f" at position {error.offset - 1}" if error.offset else ""
        return f"the formula is not valid Python syntax{where}: {error.msg}"
    return "the formula could not be read"


def _build(node: ast.expr, source: str, depth: int) -> Function:
    """The numpy function for one whitelisted node; anything else raises FormulaError."""
    if depth > MAX_DEPTH:
        raise FormulaError(f"the formula is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        value = _number(node, source)
        return lambda x: np.full_like(x, value)
    if isinstance(node, ast.Name):
        return _name(node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        operand = _build(node.operand, source, depth + 1)
        return operand if isinstance(node.op, ast.UAdd) else lambda x: np.negative(operand(x))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _exponent(node, source)
        base = _build(node.left, source, depth + 1)
        return lambda x: np.power(base(x), exponent)
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        ufunc = OPERATORS[type(node.op)]
        left, right = _build(node.left, source, depth + 1), _build(node.right, source, depth + 1)
        return lambda x: ufunc(left(x), right(x))
    if isinstance(node, ast.Call):
        ufunc, argument = _call(node, source)
        inner = _build(argument, source, depth + 1)
        return lambda x: ufunc(inner(x))
    raise FormulaError(_refusal(node, source))


def _number(node: ast.Constant, source: str) -> float:
    """A finite int or float literal (not a bool, complex, string or None)."""
    value = _literal(node)
    if isinstance(node.value, str | bytes):
        raise FormulaError(f"text in quotes ({_quote(node, source)}) is not allowed")
    if value is None:
        raise FormulaError(f"{_quote(node, source)} is not allowed: a formula uses numbers, x, pi and e")
    if not math.isfinite(value):
        raise FormulaError(f"the number {_quote(node, source)} is too large")
    return value


def _literal(node: ast.expr) -> float | None:
    """The value of an int or float literal; None for anything else, bools included."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool) or not isinstance(node.value, int | float):
        return None
    try:
        return float(node.value)
    except OverflowError:
        return math.inf


def _name(node: ast.Name) -> Function:
    """x itself, or one of the constants pi and e."""
    if node.id == "x":
        return lambda x: x
    if node.id in CONSTANTS:
        value = CONSTANTS[node.id]
        return lambda x: np.full_like(x, value)
    if node.id in FUNCTIONS:
        raise FormulaError(f"{node.id} is a function: write {node.id}(x)")
    raise FormulaError(f"unknown name {node.id!r}: use x (and the constants pi and e)")


def _exponent(node: ast.BinOp, source: str) -> float:
    """The exponent of a power: a number literal, possibly signed, between -MAX_EXPONENT and MAX_EXPONENT."""
    inner, sign = node.right, 1.0
    while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.UAdd | ast.USub):
        sign = -sign if isinstance(inner.op, ast.USub) else sign
        inner = inner.operand
    value = _literal(inner)
    if value is not None and abs(value) <= MAX_EXPONENT:
        return sign * value
    hint = ": write exp(...) for e to a power" if isinstance(node.left, ast.Name) and node.left.id == "e" else ""
    raise FormulaError(
        f"exponents must be numbers between -{MAX_EXPONENT} and {MAX_EXPONENT}, "
        f"not {_quote(node.right, source)} in {_quote(node, source)}{hint}"
    )


def _call(node: ast.Call, source: str) -> tuple[np.ufunc, ast.expr]:
    """The ufunc and the single argument of a call to one of FUNCTIONS by its bare name."""
    if isinstance(node.func, ast.Attribute):
        raise FormulaError(_refusal(node.func, source))
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        raise FormulaError(
            f"only these functions may be called: {', '.join(FUNCTIONS)} (not {_quote(node.func, source)})"
        )
    name = node.func.id
    if node.keywords:
        raise FormulaError(f"keyword arguments ({_quote(node.keywords[0], source)}) are not allowed")
    for argument in node.args:
        if isinstance(argument, ast.Starred):
            raise FormulaError(f"starred arguments ({_quote(argument, source)}) are not allowed")
    if len(node.args) != 1:
        raise FormulaError(f"{name} takes exactly one argument, not {len(node.args)}, in {_quote(node, source)}")
    return FUNCTIONS[name], node.args[0]


def _refusal(node: ast.AST, source: str) -> str:
    """The message for a node outside the whitelist, naming it and quoting it."""
    if isinstance(node, ast.BinOp):
        symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
        hint = ": write ** for powers" if symbol == "^" else ": use + - * / and **"
        return f"the operator {symbol} ({_quote(node, source)}) is not allowed{hint}"
    if isinstance(node, ast.UnaryOp):
        return f"the operator {'not' if isinstance(node.op, ast.Not) else '~'} ({_quote(node, source)}) is not allowed"
    what = _REFUSED.get(type(node), type(node).__name__)
    return f"{what} ({_quote(node, source)}) is not allowed"


def _quote(node: ast.AST, source: str) -> str:
    """The source text of a node, shortened to fit in a message."""
    text = ast.get_source_segment(source, node) or type(node).__name__
    return text if len(text) <= 40 else text[:39] + "…"
