"""autograd: a scalar reverse-mode automatic differentiation engine.

``Value`` is a number that records how it was computed; ``backward`` walks that record
in reverse and applies the chain rule. Every operation is declared once, with its local
derivative, in :mod:`autograd.ops`.

>>> from autograd import Value
>>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
>>> f = (x + y) * z
>>> f.backward()
>>> f.data, x.grad, y.grad, z.grad
(-12.0, -4.0, -4.0, 3.0)
"""

from autograd.compile import DataDependentGraphError, Program, compile
from autograd.gradcheck import GradcheckReport, GradcheckRow, gradcheck
from autograd.graph import backward, grad, toposort
from autograd.ops import PRIMITIVES, Primitive
from autograd.value import (
    Value,
    current_scope,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
)

__all__ = [
    "PRIMITIVES",
    "DataDependentGraphError",
    "GradcheckReport",
    "GradcheckRow",
    "Primitive",
    "Program",
    "Value",
    "backward",
    "compile",
    "current_scope",
    "enable_grad",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "scope",
    "toposort",
]
