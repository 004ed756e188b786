"""The whitelist behind every expression and formula: ``ast``, checked, never ``eval``.

Both the user's expressions (:func:`autograd.expr`) and the formulas of the primitive
table (``Primitive.formula`` and ``Primitive.local``, such as ``"out * (1 - out)"``) are
Python expressions restricted to names, int/float literals, ``+ - * / **``, unary ``-``
and ``+``, and calls of known functions with positional arguments. Everything else
(attribute access, subscripts, lambdas, comprehensions, keyword or starred arguments,
strings, booleans, comparisons, ``:=`` ...) raises :class:`ExprError`, whose one-line
message names the construct and points at its column. Length and nesting are limited
before ``ast.parse`` runs, so no input can exhaust the recursion limit.

This module knows nothing about Values, so the primitive table can use it to check its
own formulas while it is being built.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "ExprError",
    "as_atom",
    "check_formula",
    "parse_checked",
    "render_formula",
]

MAX_LENGTH = 2000  # characters
MAX_DEPTH = 100  # nested brackets, or unary operators in a row

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_REFUSED_OPS = {
    ast.FloorDiv: "operator //",
    ast.Mod: "operator %",
    ast.MatMult: "operator @",
    ast.BitAnd: "operator &",
    ast.BitOr: "operator |",
    ast.BitXor: "operator ^",
    ast.LShift: "operator <<",
    ast.RShift: "operator >>",
    ast.Not: "operator not",
    ast.Invert: "operator ~",
}
_REFUSED_NODES = {
    "Attribute": "attribute access",
    "Subscript": "subscript",
    "Slice": "slice",
    "Lambda": "lambda",
    "ListComp": "comprehension",
    "SetComp": "comprehension",
    "DictComp": "comprehension",
    "GeneratorExp": "comprehension",
    "NamedExpr": "assignment expression :=",
    "Compare": "comparison",
    "BoolOp": "and/or",
    "IfExp": "conditional expression",
    "JoinedStr": "f-string",
    "FormattedValue": "f-string",
    "List": "list",
    "Tuple": "tuple",
    "Set": "set",
    "Dict": "dict",
    "Starred": "starred argument",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield",
}


class ExprError(ValueError):
    """A refused expression or binding; the one-line message points at the offending part."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column  # 1-based character column in the expression, when known


def _short(text: str, limit: int = 40) -> str:
    text = text.replace("\t", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Source:
    """Maps AST positions (UTF-8 byte offsets into the stripped text) to columns and text."""

    def __init__(self, text: str, lead: int) -> None:
        self.text = text  # stripped
        self.raw = text.encode("utf-8")
        self.lead = lead  # characters of leading whitespace removed

    def column(self, byte_offset: int) -> int:
        return len(self.raw[:byte_offset].decode("utf-8", "replace")) + self.lead + 1

    def segment(self, node: ast.AST) -> str:
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None) or len(self.raw)
        return self.raw[start:end].decode("utf-8", "replace")

    def refuse(self, what: str, node: ast.AST, hint: str = "") -> ExprError:
        col = self.column(getattr(node, "col_offset", 0))
        where = f"at column {col}: {_short(self.segment(node))}"
        return ExprError(f"unsupported syntax '{what}' {where}{hint}", col)


def _prescan(text: str, max_length: int, max_depth: int) -> None:
    """Refuse what could make ``ast.parse`` slow or recurse deeply, before it runs."""
    if len(text) > max_length:
        raise ExprError(
            f"the expression is {len(text):,} characters long; the limit is {max_length:,}"
        )
    depth = run = 0
    for k, ch in enumerate(text):
        if ch in "\n\r" or (ord(ch) < 32 and ch != "\t") or ch == "\x7f":
            raise ExprError(
                f"control character {ch!r} at column {k + 1}: the expression must be one line",
                k + 1,
            )
        if ch in "([{":
            depth += 1
            if depth > max_depth:
                raise ExprError(
                    f"the expression is nested more than {max_depth} brackets deep "
                    f"(at column {k + 1})",
                    k + 1,
                )
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        # Unary operators in a row (- - - x) nest like brackets in the parse tree.
        if ch in "+-~":
            run += 1
            if run > max_depth:
                raise ExprError(
                    f"more than {max_depth} unary operators in a row (at column {k + 1})", k + 1
                )
        elif not ch.isspace():
            run = 0


def parse_checked(
    text: str, functions: Mapping[str, int] | None, max_length: int, max_depth: int
) -> tuple[ast.Expression, _Source, dict[str, int]]:
    """Parse ``text`` and check it against the whitelist; returns (tree, source, names).

    ``functions`` maps each callable name to its number of arguments; None lets any name
    be called with any number of arguments. ``names`` maps each variable to the 1-based
    column of its first appearance.
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str, got {type(text).__name__}")
    _prescan(text, max_length, max_depth)
    stripped = text.strip()
    if not stripped:
        raise ExprError("empty expression")
    src = _Source(stripped, len(text) - len(text.lstrip()))
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as err:
        if err.offset:
            col = err.offset + src.lead
            raise ExprError(f"syntax error at column {col}: {err.msg}", col) from None
        raise ExprError(f"syntax error: {err.msg}: {_short(stripped)}") from None
    except (RecursionError, MemoryError):  # pragma: no cover  (the prescan prevents it)
        raise ExprError("the expression is nested too deeply") from None

    names: dict[str, int] = {}
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    # Iterative walk (ast.walk is breadth-first with a queue): no recursion at all.
    for node in ast.walk(tree.body):
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise src.refuse(_REFUSED_OPS.get(type(node.op), "operator"), node)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise src.refuse(_REFUSED_OPS.get(type(node.op), "operator"), node)
        elif isinstance(node, ast.Call):
            _check_call(node, src, functions)
        elif isinstance(node, ast.Name):
            if id(node) in callees:
                continue  # a function name, checked by _check_call
            if functions is not None and node.id in functions:
                raise src.refuse(f"function {node.id} without a call", node)
            col = src.column(node.col_offset)
            names[node.id] = min(col, names.get(node.id, col))
        elif isinstance(node, ast.Constant):
            _check_constant(node, src)
        elif isinstance(node, (ast.operator, ast.unaryop, ast.expr_context)):
            continue
        else:
            what = _REFUSED_NODES.get(type(node).__name__, type(node).__name__)
            raise src.refuse(what, node)
    return tree, src, names


def _check_call(node: ast.Call, src: _Source, functions: Mapping[str, int] | None) -> None:
    func = node.func
    if not isinstance(func, ast.Name) or (functions is not None and func.id not in functions):
        callee = _short(src.segment(func), 20)
        allowed = ", ".join(functions) if functions else "none"
        raise src.refuse(f"call of {callee}", node, f" (allowed calls: {allowed})")
    if node.keywords:
        raise src.refuse("keyword argument", node.keywords[0])
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise src.refuse("starred argument", arg)
    want = None if functions is None else functions[func.id]
    if want is not None and len(node.args) != want:
        n = len(node.args)
        takes = "exactly one" if want == 1 else f"exactly {want}"
        raise src.refuse(f"{func.id} with {n} arguments", node, f" ({func.id} takes {takes})")


def _check_constant(node: ast.Constant, src: _Source) -> None:
    value = node.value
    # bool is a subclass of int: test the exact type.
    if type(value) not in (int, float):
        kinds = {str: "string", bytes: "bytes", bool: "boolean", complex: "complex number"}
        what = kinds.get(type(value), "None" if value is None else type(value).__name__)
        raise src.refuse(what, node)
    try:
        f = float(value)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f):
        col = src.column(node.col_offset)
        raise ExprError(
            f"number too large for a float at column {col}: {_short(src.segment(node))}", col
        )


def check_formula(text: str, names: tuple[str, ...], what: str = "formula") -> ast.Expression:
    """Check a formula of the primitive table: the whitelist, over the variables ``names``.

    Any function name may be called (the table may refer to user-defined primitives);
    a variable outside ``names`` is an error. Returns the parsed tree.
    """
    try:
        tree, _, used = parse_checked(text, None, MAX_LENGTH, MAX_DEPTH)
    except ExprError as err:
        raise ExprError(f"{what} {text!r} is not a formula: {err}", err.column) from None
    unknown = [name for name in used if name not in names]
    if unknown:
        raise ExprError(
            f"{what} {text!r} uses {unknown[0]!r}; a formula may use only {', '.join(names)}"
        )
    return tree


def render_formula(text: str, symbols: Mapping[str, str], *, style: str = "python") -> str:
    """``text`` with its variables replaced by ``symbols`` (``{"x": "q", "y": "z"}``).

    A symbol that is not a plain name or a non-negative number (``x + y``, ``-4``) is put
    in brackets, so ``render_formula("x * y", {"x": "x + y", "y": "z"})`` is
    ``"(x + y) * z"``. Names without a symbol stay as they are. ``style="math"`` writes
    the slides' notation: ``a·b``, ``a/b``, ``a^b`` and ``1[a > 0]`` for ``positive(a)``
    (``"out * (1 - out)"`` becomes ``"p·(1 - p)"``).
    """
    if style not in ("python", "math"):
        raise ValueError(f"style must be 'python' or 'math', got {style!r}")
    tree = ast.parse(text.strip(), mode="eval")
    if style == "python":
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in symbols:
                node.id = as_atom(symbols[node.id])
        return ast.unparse(tree)
    return _math(tree.body, symbols)[0]


# Precedence for printing: sums < products < unary minus < powers < atoms.
_P_ADD, _P_MUL, _P_NEG, _P_POW, _P_ATOM = 1, 2, 3, 4, 5


def _math(node: ast.AST, symbols: Mapping[str, str]) -> tuple[str, int]:
    """(text, precedence) of a checked formula's node in the slides' notation."""
    if isinstance(node, ast.Name):
        text = symbols.get(node.id, node.id)
        atom = as_atom(text)
        return atom, _P_ATOM
    if isinstance(node, ast.Constant):
        return format(node.value, "g") if isinstance(node.value, float) else str(node.value), 5
    if isinstance(node, ast.UnaryOp):
        inner, prec = _math(node.operand, symbols)
        if isinstance(node.op, ast.UAdd):
            return inner, prec
        return "-" + (inner if prec >= _P_NEG else f"({inner})"), _P_NEG
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        args = [_math(a, symbols)[0] for a in node.args]
        if name == "positive" and len(args) == 1:
            return f"1[{args[0]} > 0]", _P_ATOM
        return f"{name}({', '.join(args)})", _P_ATOM
    assert isinstance(node, ast.BinOp)  # the whitelist admits nothing else
    left, lp = _math(node.left, symbols)
    right, rp = _math(node.right, symbols)
    if isinstance(node.op, ast.Pow):  # right-associative, binds tighter than unary minus
        left = left if lp > _P_POW else f"({left})"
        right = right if rp >= _P_NEG else f"({right})"
        return f"{left}^{right}", _P_POW
    if isinstance(node.op, (ast.Mult, ast.Div)):
        left = left if lp >= _P_MUL else f"({left})"
        right = right if rp > _P_MUL else f"({right})"
        return f"{left}{'·' if isinstance(node.op, ast.Mult) else '/'}{right}", _P_MUL
    left = left if lp >= _P_ADD else f"({left})"
    right = right if rp > _P_ADD else f"({right})"
    return f"{left} {'+' if isinstance(node.op, ast.Add) else '-'} {right}", _P_ADD


def as_atom(text: str) -> str:
    """``text`` fit to stand inside a formula: a name or number as is, else in brackets."""
    if text.isidentifier():
        return text
    try:
        if float(text) >= 0 and "e" not in text.lower():
            return text
    except ValueError:
        pass
    return f"({text})"
