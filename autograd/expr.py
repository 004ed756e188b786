"""A safe parser for scalar expressions such as ``(x + y) * z`` or ``tanh(w*x + b)``.

The expression is parsed with :mod:`ast` and checked against a whitelist; it is never
handed to ``eval``, ``exec`` or ``compile``. Allowed:

* names (variables, bound with ``NAME=VALUE``) and int/float literals;
* the binary operators ``+ - * / **`` and the unary ``-`` and ``+``;
* calls of the functions of the primitive table with their number of positional
  arguments: ``exp log tanh sigmoid relu softplus step sin cos abs sqrt`` (one) and
  ``maximum minimum logaddexp`` (two).

Everything else (attribute access, subscripts, lambdas, comprehensions, other calls,
keyword or starred arguments, strings, booleans, None, complex numbers, comparisons,
``:=`` ...) raises :class:`ExprError`, whose one-line message names the construct and
points at it (``unsupported syntax 'attribute access' at column 1: x.__class__``).
The whitelist itself is :mod:`autograd.syntax`; the graph is built by an iterative
walk, so no input can exhaust the recursion limit.

The formulas of the primitive table use the same syntax: :func:`evaluate_formula`
computes one with numbers (``evaluate_formula("out * (1 - out)", out=0.25)``).

Policy for ``NAME=VALUE`` bindings: a missing, duplicated, misspelt, non-numeric or
non-finite value is an error, and so is a binding the expression does not use (it is
almost always a typo, and a silent one would hide it).
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import fn, ops
from autograd.syntax import (
    _BINARY,
    _UNARY,
    MAX_DEPTH,
    MAX_LENGTH,
    ExprError,
    _short,
    _Source,
    check_formula,
    parse_checked,
    render_formula,
)
from autograd.value import Value, no_grad

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Built",
    "Expr",
    "ExprError",
    "build",
    "check_formula",
    "evaluate_formula",
    "parse",
    "parse_bindings",
    "parse_expr",
    "render_formula",
]


FUNCTIONS: tuple[str, ...] = tuple(ops.FUNCTIONS)
"""The functions an expression may call (the named primitives of the table)."""
_ARITY = {name: prim.arity for name, prim in ops.FUNCTIONS.items()}

# Precedence of the text of a sub-expression, to parenthesise labels exactly where needed.
_ADD, _MUL, _UNARY_P, _POW, _ATOM = 1, 2, 3, 4, 5
_PREC = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "**": _POW}


@dataclass(frozen=True)
class Expr:
    """A parsed expression that passed the whitelist."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]  # the variables, in order of first appearance
    columns: Mapping[str, int]  # 1-based column of each variable's first appearance


def parse_expr(text: str, *, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH) -> Expr:
    """Parse and check ``text``; an :class:`ExprError` for anything outside the whitelist."""
    tree, src, names = parse_checked(text, _ARITY, max_length, max_depth)
    order = sorted(names, key=names.__getitem__)  # left to right, as written
    return Expr(text=src.text, tree=tree, names=tuple(order), columns=names)


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

    # Each result is (value, text, prec) where value is a Value or, for a literal, the
    # number itself (so ``x ** 2`` uses the constant-exponent primitive **2, and ``-3``
    # is one constant, not neg(3)).
    value, _, _ = _post_order(
        expr.tree.body, lambda node, args: _evaluate(node, args, src, leaves, label_limit)
    )
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


def _post_order(root: ast.AST, visit: Callable[[ast.AST, list[Any]], Any]) -> Any:
    """``visit(node, results of its children)`` for every node, children first, without
    recursion (an explicit stack): the result for ``root``."""
    results: dict[int, Any] = {}
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready and children:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        results[id(node)] = visit(node, [results.pop(id(c)) for c in children])
    return results[id(root)]


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
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
        prim = ops.FUNCTIONS[node.func.id]  # type: ignore[attr-defined]  (checked by parse_expr)
        values = [value for value, _, _ in args]
        text = f"{prim.name}({', '.join(text for _, text, _ in args)})"
        if not any(isinstance(v, Value) for v in values):
            with no_grad():  # a constant sub-expression: computed once, by the engine
                return prim(*values).data, text, _ATOM
        out = prim(*values)
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


def parse(expr: str, /, **bindings: float) -> Value:
    """The graph of ``expr`` with ``NAME=value`` bindings: its output Value (no backward).

    ``parse("(x + y) * z", x=-2, y=5, z=-4).data == -12``. Safe: the expression is checked
    against the whitelist (never ``eval``); a refused expression or a missing or unused
    binding raises :class:`ExprError` (a ``ValueError``) pointing at the column.
    """
    values: dict[str, float] = {}
    for name, value in bindings.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExprError(f"{name}={value!r}: the value must be a number")
        if not math.isfinite(value):
            raise ExprError(f"{name}={value!r}: the value must be a finite number")
        values[name] = float(value)
    return build(parse_expr(expr), values).output


def evaluate_formula(text: str, **values: float) -> float:
    """The number a formula of the primitive table stands for, at the given values.

    Functions are those of :mod:`autograd.fn`, then any primitive by name (a user's
    formula may call another primitive). ``evaluate_formula("y * x ** (y - 1)", x=2.0,
    y=3.0) == 12.0``.
    """
    tree = check_formula(text, tuple(values))
    return _post_order(tree.body, lambda node, args: _number(node, args, values))


def _number(node: ast.AST, args: list[float], values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Name):
        return float(values[node.id])
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        f = fn.FUNCTIONS.get(name)
        if f is None:
            f = ops.lookup(name).forward
        return float(f(*args))
    assert isinstance(node, ast.BinOp)  # the whitelist admits nothing else
    a, b = args
    op = _BINARY[type(node.op)]
    if op == "/":
        if b == 0.0:
            raise ZeroDivisionError(f"formula {ast.unparse(node)!r}: division by zero")
        return a / b
    if op == "**":
        return float(a**b)
    return a + b if op == "+" else a - b if op == "-" else a * b
