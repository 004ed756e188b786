"""The float kernels of the primitives, their array versions, and exact sums.

Everything here is about computing *the same bits* in every engine:

* the float kernels (``exp``, ``sigmoid``, ``pow`` ...) are what the eager engine runs;
  they are numerically stable (``sigmoid``, ``softplus`` and ``logaddexp`` are finite for
  every float) and raise clear errors outside their domain;
* their array versions (``np_exp``, ...) are what the compiled engine runs. Exact
  arithmetic (+ - * /, comparisons, abs, sqrt, which IEEE rounds correctly) is vectorised
  with numpy. Transcendental functions are not: numpy's SIMD exp, tanh, log1p, sin and
  power differ from the C library's in the last bit for a few percent of inputs, and
  over hundreds of training steps (Adam divides by small gradients) such bits grow into
  visible differences. So those apply the very float function the eager engine uses to
  each element (:func:`elementwise`); where a kernel is a formula around exp or log1p,
  only those go element by element and the rest is the same IEEE arithmetic in numpy;
* :func:`fold_sum` adds along an axis strictly left to right, ``((a0 + a1) + a2) + ...``,
  the order in which a scalar graph adds (``np.sum`` adds pairwise);
* inside :func:`vector_math` (the compiled engine with ``exact=False``) the array
  versions use numpy's own vectorised exp, log, log1p, tanh, sin, cos and power
  instead: the same formulas, each result within an ulp or two of the C library's,
  for all elements at once. The mode belongs to the running thread (or asyncio task).
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

__all__ = [
    "VECTOR_UFUNCS",
    "div",
    "elementwise",
    "exp",
    "fold_sum",
    "log",
    "logaddexp",
    "maximum",
    "minimum",
    "np_cos",
    "np_exp",
    "np_log",
    "np_logaddexp",
    "np_maximum",
    "np_minimum",
    "np_positive",
    "np_pow",
    "np_relu",
    "np_sigmoid",
    "np_sign",
    "np_sin",
    "np_softplus",
    "np_sqrt",
    "np_step",
    "np_tanh",
    "positive",
    "pow",
    "relu",
    "sigmoid",
    "sign",
    "softplus",
    "sqrt",
    "step",
    "vector_math",
    "vector_math_on",
]


def elementwise(fn: Callable[..., float]) -> Callable[..., np.ndarray]:
    """``fn`` applied to each element of its (broadcast) array arguments, as a float array."""

    def apply(*arrays: np.ndarray) -> np.ndarray:
        if len(arrays) == 1:
            x = np.asarray(arrays[0], dtype=np.float64)
            values = map(fn, x.ravel().tolist())
            return np.fromiter(values, dtype=np.float64, count=x.size).reshape(x.shape)
        parts = np.broadcast_arrays(*arrays)
        values = map(fn, *(np.asarray(a, dtype=np.float64).ravel().tolist() for a in parts))
        return np.fromiter(values, dtype=np.float64, count=parts[0].size).reshape(parts[0].shape)

    name = getattr(fn, "__name__", "fn")
    apply.__name__ = f"elementwise_{name}"
    apply.__doc__ = f"{name} applied to each element of the arrays."
    return apply


def fold_sum(array: np.ndarray, axis: int) -> np.ndarray:
    """The left-to-right sum along ``axis``: ((a0 + a1) + a2) + ..., whatever the shape.

    np.sum adds pairwise along numpy's innermost (contiguous) loop, which rounds
    differently. Over any other axis of a C-ordered array it adds one whole slice at a
    time, in order. So: reduce when the axes after ``axis`` hold two or more numbers
    (they then form the inner loop); otherwise add the slices in a loop.
    """
    a = np.ascontiguousarray(array)
    axis %= a.ndim
    if math.prod(a.shape[axis + 1 :]) >= 2:
        return np.add.reduce(a, axis=axis)
    a = np.moveaxis(a, axis, 0)
    total = a[0].copy()
    for k in range(1, a.shape[0]):
        total += a[k]
    return total


# --------------------------------------------------------------------------- #
# Float kernels: the eager engine's forward maps.                             #
# --------------------------------------------------------------------------- #


def exp(x: float) -> float:
    """e^x; OverflowError (naming x) above 709.78."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(
            f"exp({x!r}) overflows a float (exp is finite only for x <= 709.78)"
        ) from None


def log(x: float) -> float:
    """Natural logarithm; ValueError (naming x) for x <= 0."""
    if x <= 0.0:
        raise ValueError(f"log({x!r}) is undefined: log needs an argument > 0")
    return math.log(x)


def div(x: float, y: float) -> float:
    """x / y; ZeroDivisionError naming both for y = 0."""
    if y == 0.0:
        raise ZeroDivisionError(f"division by zero in {x!r} / {y!r}")
    return x / y


def pow(x: float, n: float) -> float:
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


def sqrt(x: float) -> float:
    """Square root; ValueError (naming x) below 0."""
    if x < 0.0:
        raise ValueError(f"sqrt({x!r}) is undefined: sqrt needs an argument >= 0")
    return math.sqrt(x)


def sigmoid(x: float) -> float:
    """Logistic function 1/(1+e^-x), finite for every float x."""
    # e = exp(-|x|) is in (0, 1], so neither branch can overflow:
    # x >= 0: 1/(1+e^-x);  x < 0: e^x/(1+e^x) (the same function, rewritten).
    e = math.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)


def softplus(x: float) -> float:
    """log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so it never overflows."""
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


_LN2 = math.log(2.0)


def logaddexp(x: float, y: float) -> float:
    """log(e^x + e^y), computed as max + log1p(e^-|x-y|) so it never overflows."""
    if x == y:
        return x + _LN2
    d = x - y
    return x + math.log1p(math.exp(-d)) if d > 0.0 else y + math.log1p(math.exp(d))


def relu(x: float) -> float:
    """max(x, 0)."""
    return x if x > 0.0 else 0.0


def step(x: float) -> float:
    """Binary step: 1 for x >= 0, else 0 (the lecture's activation chart)."""
    return 1.0 if x >= 0.0 else 0.0


def positive(x: float) -> float:
    """1 for x > 0, else 0: the derivative of relu (0 at the kink, as in PyTorch)."""
    return 1.0 if x > 0.0 else 0.0


def sign(x: float) -> float:
    """-1, 0 or 1: the derivative of abs (0 at 0, as in PyTorch)."""
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def maximum(x: float, y: float) -> float:
    """The larger of x and y."""
    return x if x >= y else y


def minimum(x: float, y: float) -> float:
    """The smaller of x and y."""
    return x if x <= y else y


# --------------------------------------------------------------------------- #
# Array kernels: the compiled engine's forward maps (same bits as the above).  #
# --------------------------------------------------------------------------- #

_each_exp = elementwise(math.exp)
_each_log = elementwise(math.log)
_each_log1p = elementwise(math.log1p)
_each_tanh = elementwise(math.tanh)
_each_sin = elementwise(math.sin)
_each_cos = elementwise(math.cos)
_each_pow = elementwise(pow)

# Up to this many elements, a formula kernel (sigmoid, softplus, logaddexp) runs the float
# kernel on each element: one Python call per element costs less than the formula's ten
# numpy calls on a small array (a loss over a batch of 32). The bits are the same.
_SMALL = 64
_each_sigmoid = elementwise(sigmoid)
_each_softplus = elementwise(softplus)
_each_logaddexp = elementwise(logaddexp)

_VECTOR = contextvars.ContextVar("valuegrad_vector_math", default=False)


@contextmanager
def vector_math() -> Iterator[None]:
    """Inside, the array kernels use numpy's vectorised exp, log, tanh ... (see above).

    Results differ from the eager engine's by an ulp or two where a transcendental
    function is involved; a value outside a kernel's domain gives inf or nan (no error),
    which the caller must check for. The float kernels are unaffected.
    """
    token = _VECTOR.set(True)
    try:
        yield
    finally:
        _VECTOR.reset(token)


def vector_math_on() -> bool:
    """Whether :func:`vector_math` is on in this thread (or asyncio task)."""
    return _VECTOR.get()


def np_exp(x: np.ndarray) -> np.ndarray:
    """exp of each element (the C library's, as ``exp``)."""
    if _VECTOR.get():
        return np.exp(x)
    try:
        return _each_exp(x)
    except OverflowError:
        return elementwise(exp)(x)  # raises the eager kernel's error for the culprit


def np_log(x: np.ndarray) -> np.ndarray:
    """log of each element (the C library's, as ``log``)."""
    if _VECTOR.get():
        return np.log(x)
    if np.all(x > 0.0):
        return _each_log(x)
    return elementwise(log)(x)  # raises the eager kernel's error for the culprit


def np_sqrt(x: np.ndarray) -> np.ndarray:
    """sqrt of each element (correctly rounded, as ``math.sqrt``)."""
    if _VECTOR.get():
        return np.sqrt(x)
    if np.any(x < 0.0):
        return elementwise(sqrt)(x)  # raises the eager kernel's error for the culprit
    return np.sqrt(x)


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    """``sigmoid`` of each element, by the same formula."""
    if _VECTOR.get():
        # e = e^-|x| <= 1 never overflows; 1 / (1 + e) for x >= 0, e / (1 + e) below,
        # which keeps the tiny values of a very negative x (4e-322 at -740, not 0)
        e = np.exp(-np.abs(x))
        r = 1.0 / (1.0 + e)
        return np.where(x >= 0.0, r, e * r)
    if x.size <= _SMALL:
        return _each_sigmoid(x)
    e = _each_exp(-np.abs(x))  # exp(-|x|) <= 1 cannot overflow
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def np_softplus(x: np.ndarray) -> np.ndarray:
    """``softplus`` of each element, by the same formula."""
    if _VECTOR.get():
        return np.logaddexp(0.0, x)  # log(e^0 + e^x), numpy's stable form
    if x.size <= _SMALL:
        return _each_softplus(x)
    return np.where(x > 0.0, x, 0.0) + _each_log1p(_each_exp(-np.abs(x)))


def np_logaddexp(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``logaddexp`` of each pair of elements, by the same formula."""
    if _VECTOR.get():
        return np.logaddexp(x, y)
    x, y = np.broadcast_arrays(x, y)
    if x.size <= _SMALL:
        return _each_logaddexp(x, y)
    d = x - y
    # d > 0: x + log1p(exp(-d)); otherwise y + log1p(exp(d)); x == y: x + ln 2
    tail = _each_log1p(_each_exp(np.where(d > 0.0, -d, d)))
    return np.where(x == y, x + _LN2, np.where(d > 0.0, x, y) + tail)


def np_tanh(x: np.ndarray) -> np.ndarray:
    """tanh of each element (the C library's, as ``math.tanh``)."""
    return np.tanh(x) if _VECTOR.get() else _each_tanh(x)


def np_sin(x: np.ndarray) -> np.ndarray:
    """sin of each element (the C library's, as ``math.sin``)."""
    return np.sin(x) if _VECTOR.get() else _each_sin(x)


def np_cos(x: np.ndarray) -> np.ndarray:
    """cos of each element (the C library's, as ``math.cos``)."""
    return np.cos(x) if _VECTOR.get() else _each_cos(x)


def np_pow(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """x ** n for each pair of elements (as ``pow``, with its errors)."""
    return np.power(x, n) if _VECTOR.get() else _each_pow(x, n)


def np_relu(x: np.ndarray) -> np.ndarray:
    """``relu`` of each element."""
    if _VECTOR.get():
        return np.maximum(x, 0.0)  # one pass (a -0.0 may stay -0.0: equal to 0.0)
    return np.where(x > 0.0, x, 0.0)


def np_step(x: np.ndarray) -> np.ndarray:
    """``step`` of each element."""
    return np.where(x >= 0.0, 1.0, 0.0)


def np_positive(x: np.ndarray) -> np.ndarray:
    """``positive`` of each element."""
    return (x > 0.0).astype(np.float64)


def np_sign(x: np.ndarray) -> np.ndarray:
    """``sign`` of each element (0 at 0)."""
    return np.sign(x).astype(np.float64)


def np_maximum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``maximum`` of each pair of elements."""
    return np.where(x >= y, x, y)


def np_minimum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``minimum`` of each pair of elements."""
    return np.where(x <= y, x, y)


# The kernels whose vector_math form is exactly one numpy ufunc: a program compiled with
# exact=False calls the ufunc itself, writing into its buffer (no temporary, no wrapper).
VECTOR_UFUNCS: dict[Callable[..., np.ndarray], np.ufunc] = {
    np_exp: np.exp,
    np_log: np.log,
    np_sqrt: np.sqrt,
    np_logaddexp: np.logaddexp,
    np_tanh: np.tanh,
    np_sin: np.sin,
    np_cos: np.cos,
    np_pow: np.power,
}
