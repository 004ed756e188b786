"""autograd: a scalar reverse-mode automatic differentiation engine.

``Value`` is a number that records how it was computed; ``backward`` walks that record
in reverse and applies the chain rule. Every operation is one row of the primitive table
(:mod:`autograd.ops`), declared with :func:`primitive`, the same call that lets a user
add an operation of their own; :mod:`autograd.testing` property-checks it.

>>> from autograd import Value
>>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
>>> f = (x + y) * z
>>> f.backward()
>>> f.data, x.grad, y.grad, z.grad
(-12.0, -4.0, -4.0, 3.0)
"""

from autograd import fn
from autograd.compile import DataDependentGraphError, Program, compile
from autograd.expr import ExprError, parse
from autograd.gradcheck import GradcheckReport, GradcheckRow, gradcheck
from autograd.graph import Step, Walk, backward, grad, toposort
from autograd.ops import PRIMITIVES, Primitive, primitive
from autograd.value import (
    Call,
    Value,
    current_scope,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
)

__all__ = [
    "PRIMITIVES",
    "Call",
    "DataDependentGraphError",
    "ExprError",
    "GradcheckReport",
    "GradcheckRow",
    "Primitive",
    "Program",
    "Step",
    "Value",
    "Walk",
    "backward",
    "compile",
    "current_scope",
    "enable_grad",
    "fn",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "parse",
    "primitive",
    "scope",
    "toposort",
]
