"""Reading a formula's text: the checks that come before parsing, and the parse into one expression's tree,
with plain words for text that is not one."""

import ast
import re
import warnings

from app.formula.model import FormulaError

MAX_LENGTH = 200  # characters: checked first, so the parser never runs long

_STATEMENTS: dict[type[ast.stmt], str] = {
    **dict.fromkeys((ast.Import, ast.ImportFrom), "an import"),
    **dict.fromkeys((ast.Assign, ast.AugAssign, ast.AnnAssign), "an assignment"),
}
# Checked before parsing because the parser only warns (it does not fail) on a number run into a keyword, like
# `1if`: a run of characters that starts like a number must be a plain decimal number.
_NUMBER_RUN = re.compile(r"(?<![\w.])(?:\d|\.\d)(?:[eE][+-]|[\w.])*")
_DECIMAL = re.compile(r"(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?")


def precheck(text: str) -> str:
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


def parse(source: str) -> ast.Expression:
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
