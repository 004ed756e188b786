"""The expression parser, kept under its old name: it lives in :mod:`autograd.expr`.

``viz.parse_expr`` and ``viz.expr.build`` keep working; new code imports from
``autograd`` (``autograd.parse(expr, **bindings)`` returns the graph's output).
"""

from autograd.expr import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    Built,
    Expr,
    ExprError,
    build,
    parse_bindings,
    parse_expr,
)

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
