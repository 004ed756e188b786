"""Generic functions for derivative rules: each takes a float, a ``Value`` or a numpy array.

A primitive's local-derivative rule is written once, with arithmetic and these functions,
and then serves three interpretations (see :mod:`autograd.ops`):

* floats: the eager ``backward`` pass (the float kernels of :mod:`autograd.numerics`);
* ``Value`` objects: ``grad(..., create_graph=True)``, where the rule builds graph nodes
  that can be differentiated again (second and third derivatives);
* numpy arrays: the compiled engine (the array kernels, bit-for-bit the float ones).

So a user-defined primitive gets exact higher derivatives and a compiled form for free,
provided its rule uses only ``+ - * / **`` and the functions here:

>>> from autograd import fn, primitive
>>> swish = primitive("swish", lambda x: x * fn.sigmoid(x),
...                   lambda x, out: (fn.sigmoid(x) * (1 + x * (1 - fn.sigmoid(x))),))

``positive`` and ``sign`` are piecewise constant (their derivative is 0 wherever it
exists), so on a ``Value`` they return a plain float: an exact constant of the new graph.
The same functions are what the formulas of the primitive table are written in (the
``local`` strings), and what :func:`autograd.expr.evaluate_formula` evaluates them with.
"""

from __future__ import annotations

import builtins
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import numerics as k

__all__ = [
    "FUNCTIONS",
    "abs",
    "cos",
    "exp",
    "log",
    "logaddexp",
    "maximum",
    "minimum",
    "positive",
    "relu",
    "sigmoid",
    "sign",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "tanh",
]


def _float(x: Any) -> float | None:
    """x as a float if it is a plain real number (int, numpy scalar), else None."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    return None


def _named(f: Callable, name: str, doc: str) -> Callable:
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


def _unary(kernel: Callable, array: Callable, method: str, doc: str) -> Callable:
    """float -> the kernel; array -> the array kernel; Value -> the Value method (a node)."""

    def f(x: Any) -> Any:
        if type(x) is float:
            return kernel(x)
        if isinstance(x, np.ndarray):
            return array(x)
        number = _float(x)
        if number is not None:
            return kernel(number)
        return getattr(x, method)()

    return _named(f, method, doc)


def _piecewise_constant(kernel: Callable, array: Callable, name: str, doc: str) -> Callable:
    """Like _unary, but a Value gives a plain float: the function is flat where smooth."""

    def f(x: Any) -> Any:
        if type(x) is float:
            return kernel(x)
        if isinstance(x, np.ndarray):
            return array(x)
        number = _float(x)
        return kernel(number if number is not None else x.data)

    return _named(f, name, doc)


def _binary(kernel: Callable, array: Callable, method: str, doc: str) -> Callable:
    """Two arguments; every binary function here is symmetric, so f(number, Value) works."""

    def f(x: Any, y: Any) -> Any:
        if type(x) is float and type(y) is float:
            return kernel(x, y)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            return array(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        fx, fy = _float(x), _float(y)
        if fx is not None and fy is not None:
            return kernel(fx, fy)
        if fx is not None:  # number, Value: f is symmetric
            return getattr(y, method)(fx)
        return getattr(x, method)(y)

    return _named(f, method, doc)


exp = _unary(k.exp, k.np_exp, "exp", "e^x.")
log = _unary(k.log, k.np_log, "log", "Natural logarithm (a clear error for x <= 0).")
tanh = _unary(math.tanh, k.np_tanh, "tanh", "Hyperbolic tangent.")
sigmoid = _unary(k.sigmoid, k.np_sigmoid, "sigmoid", "1 / (1 + e^-x), finite for every x.")
softplus = _unary(k.softplus, k.np_softplus, "softplus", "log(1 + e^x), finite for every x.")
relu = _unary(k.relu, k.np_relu, "relu", "max(x, 0).")
sin = _unary(math.sin, k.np_sin, "sin", "Sine (radians).")
cos = _unary(math.cos, k.np_cos, "cos", "Cosine (radians).")
sqrt = _unary(k.sqrt, k.np_sqrt, "sqrt", "Square root (a clear error below 0).")
abs = _unary(builtins.abs, np.abs, "abs", "|x|.")
step = _piecewise_constant(k.step, k.np_step, "step", "1 for x >= 0, else 0.")
positive = _piecewise_constant(
    k.positive, k.np_positive, "positive", "1 for x > 0, else 0: relu's derivative."
)
sign = _piecewise_constant(k.sign, k.np_sign, "sign", "-1, 0 or 1: abs's derivative.")
maximum = _binary(k.maximum, k.np_maximum, "maximum", "The larger of x and y.")
minimum = _binary(k.minimum, k.np_minimum, "minimum", "The smaller of x and y.")
logaddexp = _binary(k.logaddexp, k.np_logaddexp, "logaddexp", "log(e^x + e^y), always finite.")

FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        exp,
        log,
        tanh,
        sigmoid,
        softplus,
        relu,
        step,
        sin,
        cos,
        sqrt,
        abs,
        positive,
        sign,
        maximum,
        minimum,
        logaddexp,
    )
}
"""The functions a formula of the primitive table may call, by name."""
