"""The primitive table: every differentiable operation, declared once.

Each :class:`Primitive` pairs a forward map with its *local derivative*: given the
inputs and the output of one node, ``deriv`` returns one partial derivative
``d(out)/d(input)`` per input. The chain rule is then a single multiplication in the
engine, ``parent.grad += node.grad * local`` — exactly the "upstream gradient times
local gradient" of the lecture's backpropagation slides.

The derivative rules use only arithmetic and the helpers below, which accept a
``float``, a ``Value`` or a numpy array. So one rule serves three interpretations:

* floats: the eager ``backward`` pass;
* ``Value`` objects: ``grad(..., create_graph=True)``, where the rule itself builds
  graph nodes and can be differentiated again (higher-order derivatives);
* numpy arrays: the compiled, batched engine (``autograd.compile``).

Forward maps come in two flavours: ``forward`` on Python floats (with domain checks
that raise clear errors) and ``np_forward`` on arrays (the same formulas, vectorised).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "ADD",
    "DIV",
    "EXP",
    "LOG",
    "LOGADDEXP",
    "MUL",
    "NEG",
    "POW",
    "PRIMITIVES",
    "RELU",
    "SIGMOID",
    "SOFTPLUS",
    "STEP",
    "SUB",
    "TANH",
    "Primitive",
    "elementwise",
    "logaddexp",
    "pow_const",
    "relu",
    "sigmoid",
    "softplus",
    "step",
]


@dataclass(frozen=True, eq=False, slots=True)
class Primitive:
    """One differentiable operation: forward on floats and arrays, and its local derivative."""

    name: str
    arity: int
    forward: Callable[..., float]
    np_forward: Callable[..., Any]
    deriv: Callable[..., tuple]
    formula: str

    def __repr__(self) -> str:
        return f"Primitive({self.name!r}, arity={self.arity})"


# --------------------------------------------------------------------------- #
# Numerically stable scalar kernels (floats).                                  #
# --------------------------------------------------------------------------- #


def sigmoid(x: float) -> float:
    """Logistic function 1/(1+e^-x), finite for every float x."""
    # e = exp(-|x|) is in (0, 1], so neither branch can overflow:
    # x >= 0: 1/(1+e^-x);  x < 0: e^x/(1+e^x) (the same function, rewritten).
    e = math.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)


def softplus(x: float) -> float:
    """log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so it never overflows."""
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def relu(x: float) -> float:
    """max(x, 0)."""
    return x if x > 0.0 else 0.0


def step(x: float) -> float:
    """Binary step: 1 for x >= 0, else 0 (the lecture's activation chart)."""
    return 1.0 if x >= 0.0 else 0.0


_LN2 = math.log(2.0)


def logaddexp(x: float, y: float) -> float:
    """log(e^x + e^y), computed as max + log1p(e^-|x-y|) so it never overflows."""
    if x == y:
        return x + _LN2
    d = x - y
    return x + math.log1p(math.exp(-d)) if d > 0.0 else y + math.log1p(math.exp(d))


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(
            f"exp({x!r}) overflows a float (exp is finite only for x <= 709.78)"
        ) from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log({x!r}) is undefined: log needs an argument > 0")
    return math.log(x)


def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError(f"division by zero in {x!r} / {y!r}")
    return x / y


def _pow(x: float, n: float) -> float:
    """x ** n over the reals, with errors that name the operands."""
    if x < 0.0 and n != math.floor(n):
        raise ValueError(
            f"{x!r} ** {n!r} is not a real number: a negative base needs an integer exponent"
        )
    if x == 0.0 and n < 0:
        raise ZeroDivisionError(f"{x!r} ** {n!r} divides by zero: 0 has no negative powers")
    try:
        return x**n
    except OverflowError:
        raise OverflowError(f"{x!r} ** {n!r} overflows a float") from None


# Array versions of the kernels, for the compiled engine. Exact arithmetic (+ - * /,
# comparisons) is vectorised with numpy. Transcendental functions and powers are not:
# numpy's SIMD exp, tanh, log1p and power differ from the C library's in the last bit
# for a few percent of inputs, and over hundreds of training steps (Adam divides by
# small gradients) such bits grow into visible differences. So those kernels apply the
# very float function the eager engine uses to each element: bit-for-bit the same.
# Where a kernel is a formula around exp or log1p, only those two go element by
# element (through the C library, as math.exp does); the rest of the formula is the
# same IEEE arithmetic in numpy, which is exact.


def elementwise(fn: Callable[..., float]) -> Callable[..., np.ndarray]:
    """fn applied to each element of its (broadcast) array arguments, as a float array."""

    def apply(*arrays: np.ndarray) -> np.ndarray:
        if len(arrays) == 1:
            x = np.asarray(arrays[0], dtype=np.float64)
            values = map(fn, x.ravel().tolist())
            return np.fromiter(values, dtype=np.float64, count=x.size).reshape(x.shape)
        parts = np.broadcast_arrays(*arrays)
        values = map(fn, *(np.asarray(a, dtype=np.float64).ravel().tolist() for a in parts))
        return np.fromiter(values, dtype=np.float64, count=parts[0].size).reshape(parts[0].shape)

    apply.__name__ = f"elementwise_{getattr(fn, '__name__', 'fn')}"
    return apply


def _np_relu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0.0, x, 0.0)


def _np_step(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0.0, 1.0, 0.0)


def _libm(fn: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """A C-library function (math.exp, ...) applied to each element of an array."""

    def apply(x: np.ndarray) -> np.ndarray:
        return np.fromiter(map(fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)

    return apply


_libm_exp = _libm(math.exp)
_libm_log1p = _libm(math.log1p)


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    # the float kernel's formula: e = exp(-|x|) <= 1 cannot overflow
    e = _libm_exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_softplus(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0.0, x, 0.0) + _libm_log1p(_libm_exp(-np.abs(x)))


def _np_logaddexp(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x, y = np.broadcast_arrays(x, y)
    d = x - y
    # d > 0: x + log1p(exp(-d)); otherwise y + log1p(exp(d)); x == y: x + ln 2
    tail = _libm_log1p(_libm_exp(np.where(d > 0.0, -d, d)))
    return np.where(x == y, x + _LN2, np.where(d > 0.0, x, y) + tail)


_libm_log = _libm(math.log)


def _np_exp(x: np.ndarray) -> np.ndarray:
    try:
        return _libm_exp(x)
    except OverflowError:
        return elementwise(_exp)(x)  # raises the eager engine's error for the culprit


def _np_log(x: np.ndarray) -> np.ndarray:
    if np.all(x > 0.0):
        return _libm_log(x)
    return elementwise(_log)(x)  # raises the eager engine's error for the culprit


_np_pow = elementwise(_pow)


# --------------------------------------------------------------------------- #
# Helpers used inside derivative rules: each takes a float, a Value or an array. #
# --------------------------------------------------------------------------- #


def _any_sigmoid(x: Any) -> Any:
    if type(x) is float:
        return sigmoid(x)
    if isinstance(x, np.ndarray):
        return _np_sigmoid(x)
    return x.sigmoid()


def _any_log(x: Any) -> Any:
    if type(x) is float:
        return _log(x)
    if isinstance(x, np.ndarray):
        return _np_log(x)
    return x.log()


def _any_pow(x: Any, n: Any) -> Any:
    """x ** n, with the eager engine's float pow for arrays too."""
    if isinstance(x, np.ndarray) or isinstance(n, np.ndarray):
        return _np_pow(x, n)
    return x**n


def _positive(x: Any) -> Any:
    """Indicator 1[x > 0]: the derivative of relu (0 at the kink, as in PyTorch).

    It is piecewise constant, so a plain number is its exact representation even when
    building a differentiable graph: its own derivative is 0 wherever it exists.
    """
    if type(x) is float:
        return 1.0 if x > 0.0 else 0.0
    if isinstance(x, np.ndarray):
        return (x > 0.0).astype(np.float64)
    return 1.0 if x.data > 0.0 else 0.0


def _pow_exponent_partial(x: Any, out: Any) -> Any:
    """d(x**y)/dy = x**y * ln x, defined for x > 0 (and 0 at x = 0, where x**y = 0 for y > 0)."""
    if isinstance(x, np.ndarray):
        if np.any(x < 0.0):
            raise ValueError(
                "x ** y: the gradient with respect to the exponent y needs x >= 0 (it is x**y ln x)"
            )
        safe = np.where(x > 0.0, x, 1.0)
        return np.where(x > 0.0, out * _np_log(safe), 0.0)
    base = x if type(x) is float else x.data
    if base > 0.0:
        return out * _any_log(x)
    if base == 0.0:
        return 0.0
    raise ValueError(
        f"x ** y at x = {base!r}: the gradient with respect to the exponent y needs x >= 0 "
        "(it is x**y ln x)"
    )


def _logaddexp_partials(x: Any, y: Any, out: Any) -> tuple:
    """d/dx log(e^x + e^y) = e^x / (e^x + e^y) = sigmoid(x - y); likewise for y."""
    return (_any_sigmoid(x - y), _any_sigmoid(y - x))


# --------------------------------------------------------------------------- #
# The table.                                                                    #
# Each rule: deriv(*inputs, out) -> one local partial d(out)/d(input) per input. #
# --------------------------------------------------------------------------- #

ADD = Primitive("+", 2, operator.add, np.add, lambda x, y, out: (1.0, 1.0), "x + y")
SUB = Primitive("-", 2, operator.sub, np.subtract, lambda x, y, out: (1.0, -1.0), "x - y")
MUL = Primitive("*", 2, operator.mul, np.multiply, lambda x, y, out: (y, x), "x * y")
# d(x/y)/dx = 1/y,  d(x/y)/dy = -x/y^2 = -out/y
DIV = Primitive("/", 2, _div, np.divide, lambda x, y, out: (1.0 / y, -out / y), "x / y")
NEG = Primitive("neg", 1, operator.neg, np.negative, lambda x, out: (-1.0,), "-x")
# x ** y with y a Value too: d/dx = y x^(y-1),  d/dy = x^y ln x
POW = Primitive(
    "pow",
    2,
    _pow,
    _np_pow,
    lambda x, y, out: (y * _any_pow(x, y - 1.0), _pow_exponent_partial(x, out)),
    "x ** y",
)
# d e^x / dx = e^x = out
EXP = Primitive("exp", 1, _exp, _np_exp, lambda x, out: (out,), "exp(x)")
LOG = Primitive("log", 1, _log, _np_log, lambda x, out: (1.0 / x,), "log(x)")
# d tanh / dx = 1 - tanh^2
TANH = Primitive(
    "tanh", 1, math.tanh, _libm(math.tanh), lambda x, out: (1.0 - out * out,), "tanh(x)"
)
# d sigma / dx = sigma (1 - sigma)
SIGMOID = Primitive(
    "sigmoid", 1, sigmoid, _np_sigmoid, lambda x, out: (out * (1.0 - out),), "1/(1+exp(-x))"
)
RELU = Primitive("relu", 1, relu, _np_relu, lambda x, out: (_positive(x),), "max(x, 0)")
# d softplus / dx = sigmoid(x)
SOFTPLUS = Primitive(
    "softplus",
    1,
    softplus,
    _np_softplus,
    lambda x, out: (_any_sigmoid(x),),
    "log(1+exp(x))",
)
# log(e^x + e^y): a softmax's normaliser, two terms at a time (no overflow, no max shift)
LOGADDEXP = Primitive(
    "logaddexp",
    2,
    logaddexp,
    _np_logaddexp,
    _logaddexp_partials,
    "log(exp(x) + exp(y))",
)
# The binary step is flat on both sides of its jump: derivative 0 (as the lecture says).
STEP = Primitive("step", 1, step, _np_step, lambda x, out: (0.0,), "1 if x >= 0 else 0")


@lru_cache(maxsize=1024)
def pow_const(n: float) -> Primitive:
    """The primitive ``x ** n`` for a fixed number n (one per exponent, cached).

    The exponent is part of the operation, not an input: its op name reads ``**2``.
    """
    if n == 0:
        # x**0 = 1 everywhere: derivative 0 (avoid 0 * x**-1, undefined at x = 0)
        rule: Callable[..., tuple] = lambda x, out: (0.0,)  # noqa: E731
    else:
        # power rule: d x^n / dx = n x^(n-1)
        def rule(x: Any, out: Any) -> tuple:
            return (n * _any_pow(x, n - 1),)

    def forward(x: float) -> float:
        return _pow(x, n)

    return Primitive(
        f"**{n:g}" if isinstance(n, float) else f"**{n}",
        1,
        forward,
        elementwise(forward),
        rule,
        f"x ** {n}",
    )


PRIMITIVES: tuple[Primitive, ...] = (
    ADD,
    SUB,
    MUL,
    DIV,
    NEG,
    POW,
    EXP,
    LOG,
    TANH,
    SIGMOID,
    RELU,
    SOFTPLUS,
    STEP,
    LOGADDEXP,
)
"""The fixed primitives; ``pow_const(n)`` adds one per constant exponent."""
