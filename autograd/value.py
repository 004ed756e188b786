"""``Value``: a scalar that remembers the operation and the inputs that produced it.

A node of the computational graph holds its forward ``data``, its ``grad`` (filled in by
``backward``), a display ``label``, the primitive that made it and its parents. Nodes
are created by the operators and methods of ``Value``; the derivative of each
operation lives in the primitive table (:mod:`autograd.ops`), not in the node.

Speed notes. A node is one small object with ``__slots__`` and no per-node closure,
and it stores its (at most two) parents in two slots rather than in a tuple: the
graph is then one garbage-collector-tracked object per node instead of three or more,
which is what makes building large graphs cheap in CPython.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autograd import ops
from autograd.graph import backward as _backward

__all__ = ["Value", "current_scope", "enable_grad", "is_grad_enabled", "no_grad", "scope"]

Number = int | float

# Global modes read on every node creation (module globals are the fastest lookup).
_GRAD_ENABLED = True  # False inside ``no_grad()``: new nodes get no parents
_SCOPE: tuple = ()  # the tags of the enclosing ``scope(...)`` blocks, outermost first

_new = object.__new__


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _to_float(x: Any, what: str) -> float:
    """``x`` as a finite float; a TypeError or ValueError that names ``x`` otherwise."""
    if type(x) is float:
        f = x
    elif isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be an int or a float, got {type(x).__name__}: {_short(x)}")
    else:
        try:
            f = float(x)
        except OverflowError:
            raise OverflowError(f"{what} is too large for a float: {_short(x)}") from None
    if not math.isfinite(f):
        raise ValueError(f"{what} must be a finite number, got {f!r}")
    return f


class Value:
    """A scalar node of a computational graph, with its value and its gradient."""

    __slots__ = ("_a", "_b", "_prim", "_scope", "data", "grad", "label")

    # Let numpy scalars on the left of an operator defer to our reflected methods
    # (np.float64(2) * v is a Value, not a 0-d object array).
    __array_ufunc__ = None

    data: float
    grad: float
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}: {_short(label)}")
        self.data = _to_float(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._a = None
        self._b = None
        self._prim = None
        self._scope = _SCOPE

    # ------------------------------------------------------------------ graph
    @property
    def op(self) -> str:
        """Name of the operation that produced this node ("" for a leaf)."""
        prim = self._prim
        return "" if prim is None else prim.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that produced this node, in argument order."""
        a, b = self._a, self._b
        if a is None:
            return ()
        return (a,) if b is None else (a, b)

    @property
    def primitive(self) -> ops.Primitive | None:
        """The :class:`~autograd.ops.Primitive` that produced this node (None for a leaf)."""
        return self._prim

    @property
    def scope(self) -> tuple:
        """Tags of the ``scope(...)`` blocks this node was created in, outermost first."""
        return self._scope

    def is_leaf(self) -> bool:
        """True for a node with no parents (an input, a parameter or a constant)."""
        return self._a is None

    def backward(self) -> None:
        """Backpropagate from this node: add d(self)/d(leaf) to every leaf's ``grad``."""
        _backward(self)

    def item(self) -> float:
        """The forward value as a Python float."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        if self._prim is not None:
            extra += f", op={self._prim.name!r}"
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    # -------------------------------------------------------------- operators
    def __add__(self, other: Value | Number) -> Value:
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Number) -> Value:
        return _rbinary(ops.ADD, self, other)

    def __sub__(self, other: Value | Number) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Number) -> Value:
        return _rbinary(ops.SUB, self, other)

    def __mul__(self, other: Value | Number) -> Value:
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: Number) -> Value:
        return _rbinary(ops.MUL, self, other)

    def __truediv__(self, other: Value | Number) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _rbinary(ops.DIV, self, other)

    def __pow__(self, other: Value | Number) -> Value:
        if type(other) is Value:
            return _binary(ops.POW, self, other)
        if type(other) is not int and (
            isinstance(other, bool) or not isinstance(other, numbers.Real)
        ):
            return NotImplemented
        n = other if type(other) is int else _to_float(other, "exponent")
        return _unary(ops.pow_const(n), self)

    def __rpow__(self, other: Number) -> Value:
        return _rbinary(ops.POW, self, other)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    # ---------------------------------------------------------------- methods
    def exp(self) -> Value:
        """e ** self."""
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; ValueError for data <= 0."""
        return _unary(ops.LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e ** -self), finite for any input."""
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(self, 0); derivative 0 at 0, as in PyTorch."""
        return _unary(ops.RELU, self)

    def softplus(self) -> Value:
        """log(1 + e ** self), finite for any input."""
        return _unary(ops.SOFTPLUS, self)

    def logaddexp(self, other: Value | Number) -> Value:
        """log(e ** self + e ** other), finite for any inputs (a stable softmax normaliser)."""
        return _binary(ops.LOGADDEXP, self, other)

    def step(self) -> Value:
        """Binary step: 1 if self >= 0 else 0; derivative 0."""
        return _unary(ops.STEP, self)


# ---------------------------------------------------------------------------- #
# Node creation. These are the hot paths of graph building: keep them lean.     #
# ---------------------------------------------------------------------------- #


def _constant(x: Any) -> Value | None:
    """A leaf Value for a plain number, or None if ``x`` is not a real number."""
    if type(x) is not float:
        if type(x) is not int and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
            return None
        x = _to_float(x, "operand")
    elif x - x != 0.0:  # inf or nan
        raise ValueError(f"operand must be a finite number, got {x!r}")
    v = _new(Value)
    v.data = x
    v.grad = 0.0
    v.label = ""
    v._a = v._b = v._prim = None
    v._scope = _SCOPE
    return v


def _binary(prim: ops.Primitive, a: Value, b: Any) -> Value:
    if type(b) is not Value:
        b = _constant(b)
        if b is None:
            return NotImplemented
    data = prim.forward(a.data, b.data)
    if data - data != 0.0:  # inf - inf and nan - nan are nan: the result overflowed
        raise OverflowError(f"{a.data!r} {prim.name} {b.data!r} overflows a float")
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    if _GRAD_ENABLED:
        v._a = a
        v._b = b
        v._prim = prim
    else:
        v._a = v._b = v._prim = None
    v._scope = _SCOPE
    return v


def _rbinary(prim: ops.Primitive, b: Value, a: Any) -> Value:
    """``a <op> b`` where only the right operand ``b`` is a Value."""
    const = _constant(a)
    if const is None:
        return NotImplemented
    return _binary(prim, const, b)


def _unary(prim: ops.Primitive, a: Value) -> Value:
    v = _new(Value)
    v.data = prim.forward(a.data)
    v.grad = 0.0
    v.label = ""
    if _GRAD_ENABLED:
        v._a = a
        v._b = None
        v._prim = prim
    else:
        v._a = v._b = v._prim = None
    v._scope = _SCOPE
    return v


# ---------------------------------------------------------------------------- #
# Modes.                                                                        #
# ---------------------------------------------------------------------------- #


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``: operations then record no parents."""
    return _GRAD_ENABLED


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: Values computed inside are leaves (no parents, no backward).

    The mode is process-wide (not per thread).
    """
    global _GRAD_ENABLED
    previous = _GRAD_ENABLED
    _GRAD_ENABLED = False
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager: record the graph again, even inside ``no_grad()``."""
    global _GRAD_ENABLED
    previous = _GRAD_ENABLED
    _GRAD_ENABLED = True
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


def current_scope() -> tuple:
    """The tags of the enclosing ``scope(...)`` blocks, outermost first."""
    return _SCOPE


class scope:  # noqa: N801  (used like a function: ``with scope(tag):``)
    """Context manager: tag every node created inside with ``tag`` (nested blocks stack).

    ``nn`` modules enter a scope with themselves as the tag while they run, so a drawing
    can group a graph's nodes by the neuron or layer that made them. Any hashable
    object can be a tag; ``Value.scope`` gives the tuple of tags, outermost first.
    """

    __slots__ = ("_previous", "_tag")

    def __init__(self, tag: Any) -> None:
        self._tag = tag
        self._previous: tuple = ()

    def __enter__(self) -> scope:
        global _SCOPE
        self._previous = _SCOPE
        _SCOPE = (*_SCOPE, self._tag)
        return self

    def __exit__(self, *exc: object) -> None:
        global _SCOPE
        _SCOPE = self._previous
