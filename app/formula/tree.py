"""The whitelist over a formula's syntax tree: each allowed node becomes a numpy function of x, and every other
node a FormulaError that names it and quotes it."""

import ast
import math

import numpy as np

from app.formula.model import FormulaError, Function

MAX_DEPTH = 50  # levels of nesting: the built functions never recurse deep
MAX_EXPONENT = 10  # the largest power, either sign: x**10 stays a float64

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


def build(node: ast.expr, source: str, depth: int = 1) -> Function:
    """The numpy function for one whitelisted node; anything else raises FormulaError."""
    if depth > MAX_DEPTH:
        raise FormulaError(f"the formula is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        value = _number(node, source)
        return lambda x: np.full_like(x, value)
    if isinstance(node, ast.Name):
        return _name(node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        operand = build(node.operand, source, depth + 1)
        return operand if isinstance(node.op, ast.UAdd) else lambda x: np.negative(operand(x))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _exponent(node, source)
        base = build(node.left, source, depth + 1)
        return lambda x: np.power(base(x), exponent)
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        ufunc = OPERATORS[type(node.op)]
        left, right = build(node.left, source, depth + 1), build(node.right, source, depth + 1)
        return lambda x: ufunc(left(x), right(x))
    if isinstance(node, ast.Call):
        ufunc, argument = _call(node, source)
        inner = build(argument, source, depth + 1)
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
