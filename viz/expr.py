"""A safe parser for scalar expressions such as ``(x + y) * z`` or ``tanh(w*x + b)``.

The expression is parsed with :mod:`ast` and checked against a whitelist; it is never
handed to ``eval``, ``exec`` or ``compile``. Allowed:

* names (variables, bound with ``NAME=VALUE``) and int/float literals;
* the binary operators ``+ - * / **`` and the unary ``-`` and ``+``;
* calls of ``exp log tanh sigmoid relu softplus step`` with exactly one positional
  argument.

Everything else (attribute access, subscripts, lambdas, comprehensions, other calls,
keyword or starred arguments, strings, booleans, None, complex numbers, comparisons,
``:=`` ...) raises :class:`ExprError`, whose one-line message names the construct and
points at it (``unsupported syntax 'attribute access' at column 1: x.__class__``).
Length and nesting are limited before ``ast.parse`` runs, and the graph is built by an
iterative walk, so no input can exhaust the recursion limit.

Policy for ``NAME=VALUE`` bindings: a missing, duplicated, misspelt, non-numeric or
non-finite value is an error, and so is a binding the expression does not use (it is
almost always a typo, and a silent one would hide it).
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import Value, no_grad

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Built",
    "Expr",
    "ExprError",
    "build",
    "parse_bindings",
    "parse_expr",
]

FUNCTIONS: tuple[str, ...] = ("exp", "log", "tanh", "sigmoid", "relu", "softplus", "step")
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

# Precedence of the text of a sub-expression, to parenthesise labels exactly where needed.
_ADD, _MUL, _UNARY_P, _POW, _ATOM = 1, 2, 3, 4, 5
_PREC = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "**": _POW}


class ExprError(ValueError):
    """A refused expression or binding; the one-line message points at the offending part."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column  # 1-based character column in the expression, when known


def _short(text: str, limit: int = 40) -> str:
    text = text.replace("\t", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Expr:
    """A parsed expression that passed the whitelist."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]  # the variables, in order of first appearance
    columns: Mapping[str, int]  # 1-based column of each variable's first appearance


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


def parse_expr(text: str, *, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH) -> Expr:
    """Parse and check ``text``; an :class:`ExprError` for anything outside the whitelist."""
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
            _check_call(node, src)
        elif isinstance(node, ast.Name):
            if id(node) in callees:
                continue  # a function name, checked by _check_call
            if node.id in FUNCTIONS:
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
    order = sorted(names, key=names.__getitem__)  # left to right, as written
    return Expr(text=stripped, tree=tree, names=tuple(order), columns=names)


def _check_call(node: ast.Call, src: _Source) -> None:
    func = node.func
    if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
        callee = _short(src.segment(func), 20)
        raise src.refuse(f"call of {callee}", node, f" (allowed calls: {', '.join(FUNCTIONS)})")
    if node.keywords:
        raise src.refuse("keyword argument", node.keywords[0])
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise src.refuse("starred argument", arg)
    if len(node.args) != 1:
        n = len(node.args)
        raise src.refuse(f"{func.id} with {n} arguments", node, f" ({func.id} takes exactly one)")


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


def parse_bindings(items: Iterable[str]) -> dict[str, float]:
    """``["x=-2", "y=5"]`` as ``{"x": -2.0, "y": 5.0}``; an :class:`ExprError` if malformed."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        # Python reads identifiers in NFKC form; so must we, or the names would not match.
        name = unicodedata.normalize("NFKC", name.strip())
        if not sep:
            raise ExprError(f"expected NAME=VALUE, got {_short(item)!r}")
        if not name.isidentifier():
            raise ExprError(f"{_short(name)!r} is not a valid name (in {_short(item)!r})")
        if keyword.iskeyword(name):
            raise ExprError(f"{name!r} is a Python keyword, not a usable name")
        if name in FUNCTIONS:
            raise ExprError(f"{name!r} is a function name, not a usable variable")
        if name in values:
            raise ExprError(f"{name} is given twice")
        try:
            value = float(text.strip())
        except ValueError:
            raise ExprError(f"{name}={_short(text)!r}: the value is not a number") from None
        if not math.isfinite(value):
            raise ExprError(f"{name}={_short(text)!r}: the value must be a finite number")
        values[name] = value
    return values


@dataclass(frozen=True)
class Built:
    """The graph of an expression: its output and one leaf per variable."""

    output: Value
    leaves: dict[str, Value]  # in order of first appearance


def _num_text(node: ast.Constant, src: _Source) -> str:
    return src.segment(node).strip()


def build(
    expr: Expr | str,
    values: Mapping[str, float],
    *,
    output_label: str = "f",
    label_limit: int = 40,
) -> Built:
    """Build the graph of ``expr`` with Values (no backward pass).

    Leaves are labelled by their names; each intermediate node by its sub-expression
    (``x + y``) when that text has at most ``label_limit`` characters; the output by
    ``output_label`` (``f``, or ``out`` if a variable is already called ``f``).
    Constant sub-expressions are computed once and drawn as one constant. Raises
    :class:`ExprError` for a missing or unused binding; math errors (overflow, log of a
    negative, division by zero) come from the engine as ``ArithmeticError`` or
    ``ValueError``.
    """
    if isinstance(expr, str):
        expr = parse_expr(expr)
    for name in expr.names:
        if name not in values:
            col = expr.columns[name]
            raise ExprError(f"no value for {name!r} (column {col}): add {name}=VALUE", col)
    unused = [name for name in values if name not in expr.columns]
    if unused:
        used = ", ".join(expr.names) or "none"
        raise ExprError(
            f"{unused[0]}={values[unused[0]]:g} is not used by the expression (its names: {used})"
        )
    src = _Source(expr.text, 0)
    leaves = {name: Value(float(values[name]), name) for name in expr.names}

    # Post-order over the tree with an explicit stack. Each result is (value, text, prec)
    # where value is a Value or, for a literal, the number itself (so ``x ** 2`` uses the
    # constant-exponent primitive **2, and ``-3`` is one constant, not neg(3)).
    results: dict[int, tuple[Any, str, int]] = {}
    stack: list[tuple[ast.AST, bool]] = [(expr.tree.body, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready and children:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        args = [results.pop(id(c)) for c in children]
        results[id(node)] = _evaluate(node, args, src, leaves, label_limit)
    value, _, _ = results[id(expr.tree.body)]
    if not isinstance(value, Value):  # the whole expression is constant
        value = Value(float(value))
    if value.primitive is not None or not value.label:
        taken = set(expr.names)
        label = output_label
        for candidate in (output_label, "out", "output"):
            if candidate not in taken:
                label = candidate
                break
        value.label = label
    return Built(output=value, leaves=leaves)


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _wrap(text: str, prec: int, need: int) -> str:
    return text if prec >= need else f"({text})"


_APPLY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def _fold(fn: Any, x: float) -> float:
    """A constant sub-expression, computed once by the engine (its checks, its errors)."""
    with no_grad():
        return fn(Value(float(x))).data


def _evaluate(
    node: ast.AST,
    args: list[tuple[Any, str, int]],
    src: _Source,
    leaves: dict[str, Value],
    limit: int,
) -> tuple[Any, str, int]:
    """One node of the expression, from its evaluated children.

    The node is labelled with its text when that has at most ``limit`` characters.
    """
    if isinstance(node, ast.Name):
        return leaves[node.id], node.id, _ATOM
    if isinstance(node, ast.Constant):
        return node.value, _num_text(node, src), _ATOM
    if isinstance(node, ast.UnaryOp):
        (value, text, prec) = args[0]
        sign = _UNARY[type(node.op)]
        if sign == "+":
            return value, text, prec
        if not isinstance(value, Value):  # a negative constant: -2, or -(2 + 2)
            return -value, "-" + _wrap(text, prec, _UNARY_P), _UNARY_P
        out = -value
        text = "-" + _wrap(text, prec, _UNARY_P)
        out.label = text if len(text) <= limit else ""
        return out, text, _UNARY_P
    if isinstance(node, ast.Call):
        (value, text, _) = args[0]
        name = node.func.id  # type: ignore[attr-defined]  (checked by parse_expr)
        text = f"{name}({text})"
        if not isinstance(value, Value):
            return _fold(lambda v: getattr(v, name)(), value), text, _ATOM
        out = getattr(value, name)()
        out.label = text if len(text) <= limit else ""
        return out, text, _ATOM
    assert isinstance(node, ast.BinOp)  # parse_expr admits nothing else
    (a, a_text, a_prec), (b, b_text, b_prec) = args
    op = _BINARY[type(node.op)]
    prec = _PREC[op]
    if op == "**":
        text = f"{_wrap(a_text, a_prec, _ATOM)} ** {_wrap(b_text, b_prec, _UNARY_P)}"
    else:
        text = f"{_wrap(a_text, a_prec, prec)} {op} {_wrap(b_text, b_prec, prec + 1)}"
    apply = _APPLY[op]
    if not isinstance(a, Value) and not isinstance(b, Value):
        return _fold(lambda v: apply(v, b), a), text, prec
    # A constant exponent stays a number: x ** 2 is the primitive **2 (derivative 2x),
    # not pow(x, 2), whose gradient for the exponent needs x > 0.
    out = apply(a, b)
    out.label = text if len(text) <= limit else ""
    return out, text, prec
