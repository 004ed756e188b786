"""``Value``: a scalar that remembers the operation and the inputs that produced it.

A node of the computational graph holds its forward ``data``, its ``grad`` (filled in by
``backward``), a display ``label``, the primitive that made it and its parents. Nodes
are created by the operators and methods of ``Value`` (or by calling a primitive); the
derivative of each operation lives in the primitive table (:mod:`autograd.ops`), not in
the node.

Speed notes. A node is one small object with ``__slots__`` and no per-node closure,
and it stores its (at most two) parents in two slots rather than in a tuple: the
graph is then one garbage-collector-tracked object per node instead of three or more,
which is what makes building large graphs cheap in CPython. The modes (``no_grad``,
``scope``) are read from one context variable per node: per thread and per asyncio
task, for the price of one lookup.
"""

from __future__ import annotations

import contextvars
import math
import numbers
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from autograd import ops
from autograd.graph import backward as _backward
from autograd.graph import toposort

__all__ = [
    "Call",
    "Value",
    "current_scope",
    "enable_grad",
    "enter_scope",
    "exit_scope",
    "is_grad_enabled",
    "no_grad",
    "scope",
]

Number = int | float

_new = object.__new__


# ---------------------------------------------------------------------------- #
# Modes: recording on or off (no_grad), and the module call being run (scope).  #
# ---------------------------------------------------------------------------- #


class Call:
    """One entry into ``scope(tag)``: the tag, and the call it happened inside.

    ``nn`` modules enter a scope per call, so a graph's nodes record exactly which module
    call made them: ``node.call.tag`` is the innermost module, ``node.call.parent`` the
    call of the module that called it, and so on up to ``None``. Two calls of the same
    module are two ``Call`` objects, even when they come from the same parent call.
    """

    __slots__ = ("_tags", "parent", "tag")

    def __init__(self, tag: Any, parent: Call | None = None) -> None:
        self.tag = tag
        self.parent = parent
        self._tags: tuple | None = None

    @property
    def tags(self) -> tuple:
        """The tags from the outermost call down to this one (one tuple, shared)."""
        tags = self._tags
        if tags is None:
            chain = []
            call: Call | None = self
            while call is not None:
                chain.append(call)
                call = call.parent
            tags = ()
            for c in reversed(chain):  # outermost first; each call keeps its own tuple
                if c._tags is None:
                    c._tags = (*tags, c.tag)
                tags = c._tags
        return tags

    @property
    def depth(self) -> int:
        """1 for an outermost call, 2 for a call made inside it, and so on."""
        return len(self.tags)

    def __repr__(self) -> str:
        return f"Call({self.tag!r}, depth={self.depth})"


# The modes live in one context variable, so each thread and each asyncio task has its
# own (a new thread starts with the default). The value is ``None`` for the default mode
# (recording, no scope) -- node creation then costs one ``get`` and one comparison --
# or a pair (recording?, innermost Call or None).
_MODE: contextvars.ContextVar[tuple[bool, Call | None] | None] = contextvars.ContextVar(
    "valuegrad_autograd_mode", default=None
)
_get_mode = _MODE.get


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``: operations then record no parents."""
    mode = _get_mode()
    return mode is None or mode[0]


def _set_grad(enabled: bool) -> contextvars.Token:
    mode = _get_mode()
    call = None if mode is None else mode[1]
    return _MODE.set(None if enabled and call is None else (enabled, call))


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: Values computed inside are leaves (no parents, no backward).

    The mode belongs to the current thread (and asyncio task): other threads keep
    recording.
    """
    token = _set_grad(False)
    try:
        yield
    finally:
        _MODE.reset(token)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager: record the graph again, even inside ``no_grad()``."""
    token = _set_grad(True)
    try:
        yield
    finally:
        _MODE.reset(token)


def current_scope() -> tuple:
    """The tags of the enclosing ``scope(...)`` blocks, outermost first."""
    mode = _get_mode()
    call = None if mode is None else mode[1]
    return () if call is None else call.tags


def enter_scope(tag: Any) -> contextvars.Token:
    """Start a call of ``tag`` (what ``with scope(tag)`` does); returns a token for
    :func:`exit_scope`. For hot paths such as ``Module.__call__``; prefer ``scope``."""
    call = _new(Call)  # (no Call.__init__ frame: this runs once per module call)
    call.tag = tag
    call._tags = None
    mode = _get_mode()
    if mode is None:
        call.parent = None
        return _MODE.set((True, call))
    call.parent = mode[1]
    return _MODE.set((mode[0], call))


exit_scope: Callable[[contextvars.Token], None] = _MODE.reset
"""End the call started by :func:`enter_scope` (pass its token)."""


class scope:  # noqa: N801  (used like a function: ``with scope(tag):``)
    """Context manager: record every node created inside as made by a call of ``tag``.

    ``nn`` modules enter a scope with themselves as the tag while they run, so a drawing
    can group a graph's nodes by the neuron or layer call that made them. Any object can
    be a tag. Each entry is one :class:`Call` (``Value.call``), nested calls point to
    their parent; ``Value.scope`` gives the tuple of tags, outermost first. Like
    ``no_grad``, it belongs to the current thread and asyncio task.
    """

    __slots__ = ("_tag", "_token")

    def __init__(self, tag: Any) -> None:
        self._tag = tag
        self._token: contextvars.Token | None = None

    def __enter__(self) -> Call:
        self._token = enter_scope(self._tag)
        return _get_mode()[1]  # type: ignore[index]

    def __exit__(self, *exc: object) -> None:
        token, self._token = self._token, None
        if token is not None:
            _MODE.reset(token)


# ---------------------------------------------------------------------------- #
# Values.                                                                       #
# ---------------------------------------------------------------------------- #


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


def _check_label(label: Any) -> str:
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}: {_short(label)}")
    return label


def _refuse_comparison(self: Value, other: Any) -> bool:
    raise TypeError(
        "a Value is not a number to compare: compare the forward values instead, "
        "e.g. `a.data < b.data`"
    )


class Value:
    """A scalar node of a computational graph, with its value and its gradient."""

    __slots__ = ("_a", "_b", "_label", "_prim", "_scope", "data", "grad")

    # Let numpy scalars on the left of an operator defer to our reflected methods
    # (np.float64(2) * v is a Value, not a 0-d object array).
    __array_ufunc__ = None

    data: float
    grad: float

    def __init__(self, data: Number, label: str = "") -> None:
        self._label = _check_label(label)
        self.data = _to_float(data, "Value data")
        self.grad = 0.0
        self._a = None
        self._b = None
        self._prim = None
        mode = _get_mode()
        self._scope = None if mode is None else mode[1]

    # ------------------------------------------------------------------ graph
    @property
    def label(self) -> str:
        """The display name of this node ("" for none); only a str is accepted."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        self._label = _check_label(text)

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
    def call(self) -> Call | None:
        """The innermost ``scope(...)`` call this node was created in (None outside any)."""
        return self._scope

    @property
    def scope(self) -> tuple:
        """Tags of the ``scope(...)`` blocks this node was created in, outermost first."""
        call = self._scope
        return () if call is None else call.tags

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
        extra = f", label={self._label!r}" if self._label else ""
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
        # A number as the exponent is part of the operation (x ** 2), not an input.
        return _unary(ops.pow_const(n), self)

    def __rpow__(self, other: Number) -> Value:
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            return NotImplemented
        # A number as the base is part of the operation too (2 ** x): it needs no
        # gradient, so none is computed (0 ** x has no finite one with respect to 0).
        return _unary(ops.pow_base(_to_float(other, "base")), self)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(ops.ABS, self)

    # A Value hashes by identity (graphs keep Values in sets and dicts), so it cannot
    # also be ordered: `a < b` would have to be a bool, and a bool has no gradient.
    __lt__ = __le__ = __gt__ = __ge__ = _refuse_comparison

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

    def sin(self) -> Value:
        """Sine (radians)."""
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _unary(ops.COS, self)

    def abs(self) -> Value:
        """|self|; derivative sign(self), 0 at 0 (as PyTorch)."""
        return _unary(ops.ABS, self)

    def sqrt(self) -> Value:
        """Square root; ValueError below 0 (its derivative is infinite at 0)."""
        return _unary(ops.SQRT, self)

    def maximum(self, other: Value | Number) -> Value:
        """The larger of self and other; at a tie each gets half the gradient (as PyTorch)."""
        return _binary(ops.MAXIMUM, self, other)

    def minimum(self, other: Value | Number) -> Value:
        """The smaller of self and other; at a tie each gets half the gradient (as PyTorch)."""
        return _binary(ops.MINIMUM, self, other)

    # ---------------------------------------------------------- copy, pickle
    def __copy__(self) -> Value:
        """A new node with the same data, grad, label, operation and parents."""
        v = _new(Value)
        v.data, v.grad, v._label = self.data, self.grad, self._label
        v._a, v._b, v._prim, v._scope = self._a, self._b, self._prim, self._scope
        return v

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of the whole graph below this node, built without recursion.

        Shared sub-expressions stay shared, and so do nodes already copied by the same
        ``deepcopy`` call (``memo``), as for any other object.
        """
        import copy

        for node in toposort(self):  # parents before children: no recursion
            if id(node) in memo:
                continue
            v = _new(Value)
            v.data, v.grad, v._label, v._prim = node.data, node.grad, node._label, node._prim
            v._a = None if node._a is None else memo[id(node._a)]
            v._b = None if node._b is None else memo[id(node._b)]
            v._scope = copy.deepcopy(node._scope, memo)
            memo[id(node)] = v
        return memo[id(self)]

    def __reduce_ex__(self, protocol: Any) -> tuple:
        # Pickling a node pickles its parents, theirs, and so on: one level of the
        # pickler's (C) recursion per level of the graph, which a deep graph exhausts.
        # So the outermost node being pickled first pickles all the nodes below it,
        # in topological order, each *shallowly* (its parents are pickled before it, so
        # they are references by then); and only then its own fields.
        state = (self.data, self.grad, self._label, self._prim, self._scope, self._a, self._b)
        pending = _pickling.__dict__.setdefault("pending", [])
        if any(self in nodes for nodes in pending):
            return (_empty_value, (), state)
        order = toposort(self)
        below = set(order)
        pending.append(below)
        # The marker is pickled after the nodes below: it ends their shallow mode. Should
        # the pickling fail before it gets there, the prelude is dropped with the failed
        # attempt, and its finaliser ends the shallow mode instead.
        prelude = _Prelude([*order[:-1], _PickleDone(below)])
        weakref.finalize(prelude, _forget, pending, below)
        return (_empty_value, (), (prelude, *state))

    def __setstate__(self, state: tuple) -> None:
        if len(state) == 8:
            state = state[1:]  # the prelude has done its work
        (self.data, self.grad, self._label, self._prim, self._scope, self._a, self._b) = state


_pickling = threading.local()  # per thread: the node sets being pickled shallowly


class _Prelude(list):
    """The nodes below a pickled node, pickled before it (a list that can be watched)."""

    __slots__ = ("__weakref__",)


def _forget(pending: list, nodes: set) -> None:
    """Drop ``nodes`` from the shallow-pickling sets, if a failed pickling left them."""
    for k, entry in enumerate(pending):
        if entry is nodes:
            del pending[k]
            return


class _PickleDone:
    """Pickled after the nodes below a node: ends their shallow pickling (see Value)."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: set) -> None:
        self.nodes = nodes

    def __reduce__(self) -> tuple:
        pending = getattr(_pickling, "pending", [])
        if pending and pending[-1] is self.nodes:
            pending.pop()
        return (tuple, ())


def _empty_value() -> Value:
    """A blank node for unpickling; ``__setstate__`` fills it in."""
    return _new(Value)


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
    v._label = ""
    v._a = v._b = v._prim = None
    mode = _get_mode()
    v._scope = None if mode is None else mode[1]
    return v


def _binary(prim: ops.Primitive, a: Value, b: Any, data: float | None = None) -> Value:
    if type(b) is not Value:
        b = _constant(b)
        if b is None:
            return NotImplemented
    if data is None:
        data = prim.forward(a.data, b.data)
        if data - data != 0.0:  # inf - inf and nan - nan are nan: the result overflowed
            raise OverflowError(f"{a.data!r} {prim.name} {b.data!r} overflows a float")
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._label = ""
    mode = _get_mode()
    if mode is None:
        v._a = a
        v._b = b
        v._prim = prim
        v._scope = None
    else:
        if mode[0]:
            v._a = a
            v._b = b
            v._prim = prim
        else:
            v._a = v._b = v._prim = None
        v._scope = mode[1]
    return v


def _rbinary(prim: ops.Primitive, b: Value, a: Any) -> Value:
    """``a <op> b`` where only the right operand ``b`` is a Value."""
    const = _constant(a)
    if const is None:
        return NotImplemented
    return _binary(prim, const, b)


def _unary(prim: ops.Primitive, a: Value, data: float | None = None) -> Value:
    # (The built-in unary kernels return a finite float or raise; ``_apply`` checks the
    # result of a user's forward before it gets here.)
    if data is None:
        data = prim.forward(a.data)
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._label = ""
    mode = _get_mode()
    if mode is None:
        v._a = a
        v._b = None
        v._prim = prim
        v._scope = None
    else:
        if mode[0]:
            v._a = a
            v._b = None
            v._prim = prim
        else:
            v._a = v._b = v._prim = None
        v._scope = mode[1]
    return v


def _apply(prim: ops.Primitive, args: tuple) -> Value:
    """``prim(*args)`` for a primitive called directly: numbers become constants."""
    if len(args) != prim.arity:
        raise TypeError(
            f"primitive {prim.name!r} takes {prim.arity} input(s), got {len(args)}: {args!r:.80}"
        )
    values = []
    for k, x in enumerate(args):
        if type(x) is not Value:
            c = _constant(x)
            if c is None:
                raise TypeError(
                    f"primitive {prim.name!r}: input {k} must be a Value or a number, "
                    f"got {type(x).__name__}: {_short(x)}"
                )
            x = c
        values.append(x)
    try:
        data = prim.forward(*(v.data for v in values))
    except (ArithmeticError, ValueError):
        raise
    except Exception as err:  # a user's forward failing in its own way: say which
        raise type(err)(f"primitive {prim.name!r}: forward failed: {err}") from err
    shown = ", ".join(repr(v.data) for v in values)
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(
            f"primitive {prim.name!r}: forward({shown}) must return a number, "
            f"got {type(data).__name__}: {_short(data)}"
        )
    data = float(data)
    if data - data != 0.0:  # inf or nan
        raise OverflowError(f"{prim.name}({shown}) = {data!r} is not a finite number")
    if prim.arity == 1:
        return _unary(prim, values[0], data)
    return _binary(prim, values[0], values[1], data)


ops._bind_apply(_apply)
