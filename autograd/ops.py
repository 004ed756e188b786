"""The primitive table: every differentiable operation, declared once.

Each :class:`Primitive` is one row holding every fact about an operation:

* ``forward``, its map on Python floats (with domain checks that raise clear errors),
  and ``np_forward``, the same map on numpy arrays, for the compiled engine;
* ``deriv``, its *local derivative*: given the inputs and the output of one node it
  returns one partial derivative ``d(out)/d(input)`` per input. The chain rule is then a
  single multiplication in the engine, ``parent.grad += node.grad * local``, exactly the
  "upstream gradient times local gradient" of the lecture's backpropagation slides;
* ``formula`` and ``local``, the same two facts in symbols (``"x * y"``; ``("y", "x")``),
  written in the names ``x``, ``y`` (the inputs) and ``out`` (the output): what
  :func:`viz.trace` and the explorer print, and what a test evaluates against ``deriv``;
* ``domain``, the open interval(s) of valid inputs, and ``kink``, a function whose zero
  set is where the operation is not differentiable (``relu``: ``x``; ``maximum``: ``x - y``):
  what :func:`autograd.gradcheck` and :mod:`autograd.testing` need to stay clear of.

Rules are written with arithmetic and the generic functions of :mod:`autograd.fn`, which
accept a ``float``, a ``Value`` or a numpy array, so one rule serves three
interpretations: floats (the eager ``backward``), Values (``grad(..., create_graph=True)``,
where the rule builds nodes that can be differentiated again) and arrays (the compiled
engine). The built-ins below are declared with the public :func:`primitive`, the same
call a user makes to add an operation; a row of the table looks like this::

    MUL = primitive(
        "*", operator.mul,
        lambda x, y, out: (y, x),          # d(xy)/dx = y, d(xy)/dy = x
        np_forward=np.multiply, formula="x * y", local=("y", "x"),
    )
"""

from __future__ import annotations

import inspect
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from autograd import fn
from autograd import numerics as k
from autograd.syntax import check_formula

__all__ = [
    "ABS",
    "ADD",
    "COS",
    "DIV",
    "EXP",
    "FUNCTIONS",
    "LOG",
    "LOGADDEXP",
    "MAXIMUM",
    "MINIMUM",
    "MUL",
    "NEG",
    "POW",
    "PRIMITIVES",
    "RELU",
    "SIGMOID",
    "SIN",
    "SOFTPLUS",
    "SQRT",
    "STEP",
    "SUB",
    "TANH",
    "Primitive",
    "lookup",
    "pow_base",
    "pow_const",
    "primitive",
]

Interval = tuple[float, float]
_ALL_REALS: Interval = (-math.inf, math.inf)
_INPUT_NAMES = (("x",), ("x", "y"))


@dataclass(frozen=True, eq=False, slots=True)
class Primitive:
    """One differentiable operation: forward on floats and arrays, its local derivative,
    and the same in symbols. Build one with :func:`primitive`; call it on Values."""

    name: str
    arity: int
    forward: Callable[..., float]
    deriv: Callable[..., tuple]
    np_forward: Callable[..., Any] | None
    formula: str
    local: tuple[str, ...] | None
    domain: tuple[Interval, ...]
    kink: Callable[..., float] | None
    # How to rebuild it elsewhere (pickle): (factory, args), or None for "by name".
    factory: tuple[Callable[..., Primitive], tuple] | None = None
    user: bool = False  # declared by a user with primitive(), not one of the built-ins

    @property
    def inputs(self) -> tuple[str, ...]:
        """The input names the formulas use: ("x",) or ("x", "y")."""
        return _INPUT_NAMES[self.arity - 1]

    def __call__(self, *args: Any) -> Any:
        """Apply the operation to Values (numbers become constants); returns a Value."""
        return _APPLY(self, args)

    def __repr__(self) -> str:
        return f"Primitive({self.name!r}, arity={self.arity}, formula={self.formula!r})"

    def __reduce__(self) -> tuple:
        return self.factory if self.factory is not None else (lookup, (self.name,))

    def __copy__(self) -> Primitive:
        return self

    def __deepcopy__(self, memo: dict) -> Primitive:
        return self  # a row of the table, shared by every node that uses it


def _apply_unbound(prim: Primitive, args: tuple) -> Any:  # pragma: no cover
    raise RuntimeError("autograd.value is not imported")


_APPLY: Callable[[Primitive, tuple], Any] = _apply_unbound


def _bind_apply(apply: Callable[[Primitive, tuple], Any]) -> None:
    """Called once by :mod:`autograd.value`, which knows how to make a node."""
    global _APPLY
    _APPLY = apply


# --------------------------------------------------------------------------- #
# The constructor.                                                              #
# --------------------------------------------------------------------------- #

_REGISTRY: dict[str, Primitive] = {}  # every named primitive, built-in or user-defined
_BUILTIN: set[str] = set()


def lookup(name: str) -> Primitive:
    """The primitive called ``name`` (built-in, or user-defined in this process)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(
            f"no primitive called {name!r} is defined in this process; define it with "
            "autograd.primitive(...) first (a pickled graph refers to its operations by name)"
        ) from None


def _arity(forward: Callable[..., Any], name: str) -> int:
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(
            f"primitive {name!r}: cannot read the number of inputs from forward's "
            "signature; pass arity=1 or arity=2"
        ) from None
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional)


def _interval(value: Any, what: str) -> Interval:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an interval (low, high), got {value!r}") from None
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise ValueError(f"{what} must be an interval (low, high) with low < high, got {value!r}")
    return (lo, hi)


def _domain(domain: Any, arity: int, name: str) -> tuple[Interval, ...]:
    if domain is None:
        return (_ALL_REALS,) * arity
    what = f"primitive {name!r}: domain"
    seq = list(domain) if isinstance(domain, Sequence) else None
    if seq is not None and len(seq) == 2 and all(isinstance(v, numbers.Real) for v in seq):
        return (_interval(seq, what),) * arity
    if seq is None or len(seq) != arity:
        raise TypeError(
            f"{what} must be one interval (low, high) for every input, or one per input "
            f"({arity}), got {domain!r}"
        )
    return tuple(
        _ALL_REALS if d is None else _interval(d, f"{what}[{i}]") for i, d in enumerate(seq)
    )


def _check_formula(text: Any, names: tuple[str, ...], what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}: {text!r}")
    check_formula(text, names, what)  # an ExprError (a ValueError) pointing at the column
    return text


def _probe(domain: tuple[Interval, ...], kink: Callable[..., float] | None) -> list[float]:
    """A point inside the domain and off the kinks, for a first call of ``deriv``."""
    point = []
    for i, (lo, hi) in enumerate(domain):
        base = 0.5 + 0.25 * i
        if math.isinf(lo) and math.isinf(hi):
            x = base
        elif math.isinf(hi):
            x = lo + base
        elif math.isinf(lo):
            x = hi - base
        else:
            x = lo + (hi - lo) * (0.3 + 0.2 * i)
        point.append(x)
    if kink is not None:
        try:
            if kink(*point) == 0.0:
                point[0] += 0.125
        except (ArithmeticError, ValueError, TypeError):
            pass
    return point


def _fit_deriv(
    name: str, arity: int, forward: Callable, deriv: Callable, domain: tuple, kink: Any
) -> Callable[..., tuple]:
    """``deriv`` itself if it returns a tuple of ``arity`` partials; for one input, a bare
    number is accepted too (wrapped here, once); anything else is an error now."""
    point = _probe(domain, kink)
    try:
        out = forward(*point)
        result = deriv(*point, out)
    except Exception:  # a user's function may fail in any way at this point
        return deriv  # cannot probe here: the engine's own checks will speak up
    partials = result if isinstance(result, (tuple, list)) else (result,)
    for position, d in enumerate(partials):
        if isinstance(d, bool) or not isinstance(d, numbers.Real):
            raise TypeError(
                f"primitive {name!r}: deriv must return numbers (one local derivative per "
                f"input), got {d!r:.60} for input {position} at {point!r}"
            )
    if isinstance(result, tuple) and len(result) == arity:
        return deriv
    if arity == 1 and not isinstance(result, (tuple, list)):

        def one(x: Any, out: Any) -> tuple:
            return (deriv(x, out),)

        return one
    raise TypeError(
        f"primitive {name!r}: deriv must return one local derivative per input "
        f"(a tuple of {arity}), got {result!r:.80}"
    )


def primitive(
    name: str,
    forward: Callable[..., float],
    deriv: Callable[..., Any],
    *,
    formula: str | None = None,
    local: Sequence[str] | None = None,
    np_forward: Callable[..., Any] | None = None,
    domain: Any = None,
    kink: Callable[..., float] | None = None,
    arity: int | None = None,
) -> Primitive:
    """Declare a differentiable operation: one row of the primitive table.

    * ``forward(*inputs)`` maps one or two floats to a float.
    * ``deriv(*inputs, out)`` returns one local derivative per input (a tuple; with one
      input a bare value is accepted). Write it with arithmetic and :mod:`autograd.fn`
      so that it also works on Values (exact higher derivatives) and arrays (compile).
    * ``formula`` (``"x * sigmoid(x)"``) and ``local`` (one formula per input, in ``x``,
      ``y`` and ``out``) are what ``trace``, ``draw_graph`` and the explorer print; they
      use the syntax of :func:`autograd.expr` and the functions of :mod:`autograd.fn`.
    * ``np_forward`` is the array version, needed by ``autograd.compile``.
    * ``domain`` is the open interval of valid inputs, ``(low, high)`` for every input or
      one per input; ``kink(*inputs)`` is zero where the operation is not
      differentiable. :mod:`autograd.testing` keeps its random inputs inside the domain
      and away from kinks; :func:`autograd.gradcheck` flags a kink it straddles.

    The result is callable: ``p(Value(0.5))``, ``p(0.5)``, ``p(x, y)`` return Values.
    A user-defined name may not be a built-in's; defining a name again replaces it.
    """
    if not isinstance(name, str) or not name or not name.isprintable() or len(name) > 40:
        raise ValueError(f"primitive name must be a short printable str, got {name!r}")
    if _SEALED and name in _BUILTIN:
        raise ValueError(f"primitive {name!r}: the name belongs to a built-in primitive")
    for what, f in (("forward", forward), ("deriv", deriv)):
        if not callable(f):
            raise TypeError(f"primitive {name!r}: {what} must be callable, got {f!r:.60}")
    if np_forward is not None and not callable(np_forward):
        raise TypeError(f"primitive {name!r}: np_forward must be callable, got {np_forward!r}")
    if kink is not None and not callable(kink):
        raise TypeError(f"primitive {name!r}: kink must be callable, got {kink!r}")
    n = _arity(forward, name) if arity is None else arity
    if isinstance(n, bool) or n not in (1, 2):
        raise ValueError(
            f"primitive {name!r}: an operation takes 1 or 2 inputs (compose bigger ones "
            f"from these), got {n}"
        )
    names = _INPUT_NAMES[n - 1]
    if formula is None:
        formula = f"{name}({', '.join(names)})" if name.isidentifier() else ""
    elif formula:
        formula = _check_formula(formula, names, f"primitive {name!r}: formula")
    if local is not None:
        if isinstance(local, str) or not isinstance(local, Sequence) or len(local) != n:
            raise TypeError(
                f"primitive {name!r}: local must be {n} formula(s), one per input, got {local!r}"
            )
        local = tuple(
            _check_formula(text, (*names, "out"), f"primitive {name!r}: local[{i}]")
            for i, text in enumerate(local)
        )
    intervals = _domain(domain, n, name)
    prim = Primitive(
        name=name,
        arity=n,
        forward=forward,
        deriv=_fit_deriv(name, n, forward, deriv, intervals, kink),
        np_forward=np_forward,
        formula=formula,
        local=local,
        domain=intervals,
        kink=kink,
        user=_SEALED,
    )
    _REGISTRY[name] = prim
    return prim


_SEALED = False  # True once the built-ins are declared: their names are then taken


def _builtin(*args: Any, **kwargs: Any) -> Primitive:
    prim = primitive(*args, **kwargs)
    _BUILTIN.add(prim.name)
    return prim


# --------------------------------------------------------------------------- #
# Partials that need care.                                                      #
# --------------------------------------------------------------------------- #


def _pow_base_partial(x: Any, y: Any) -> Any:
    """d(x**y)/dx = y x^(y-1), and 0 where y = 0 (x**0 = 1 is flat), as in PyTorch.

    At x = 0: 0 for y > 1 or y = 0, 1 for y = 1, infinite (an error) for 0 < y < 1.
    """
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
        flat = y == 0.0
        safe = np.where(flat, 1.0, y)  # 1 * x**0 = 1 where masked: never 0 ** -1
        return np.where(flat, 0.0, safe * k.np_pow(x, safe - 1.0))
    xd = x if type(x) is float else x.data
    yd = y if type(y) is float else y.data
    if xd == 0.0:
        if yd == 0.0:
            return 0.0
        if 0.0 < yd < 1.0:
            raise ZeroDivisionError(
                f"x ** y at x = 0, y = {yd!r}: the derivative y x^(y-1) with respect to x "
                "is infinite for 0 < y < 1"
            )
    return y * (k.pow(x, y - 1.0) if type(x) is float and type(y) is float else x ** (y - 1.0))


def _pow_exponent_partial(x: Any, out: Any) -> Any:
    """d(x**y)/dy = x**y ln x, defined for x > 0 (and 0 at x = 0, where x**y = 0 for y > 0)."""
    if isinstance(x, np.ndarray):
        if np.any(x < 0.0):
            raise ValueError(
                "x ** y: the gradient with respect to the exponent y needs x >= 0 (it is x**y ln x)"
            )
        safe = np.where(x > 0.0, x, 1.0)
        return np.where(x > 0.0, out * k.np_log(safe), 0.0)
    base = x if type(x) is float else x.data
    if base > 0.0:
        return out * fn.log(x)
    if base == 0.0:
        return 0.0
    raise ValueError(
        f"x ** y at x = {base!r}: the gradient with respect to the exponent y needs x >= 0 "
        "(it is x**y ln x)"
    )


def _sqrt_partial(x: Any, out: Any) -> tuple:
    """d sqrt(x)/dx = 1 / (2 sqrt(x)): infinite at 0."""
    zero = np.any(out == 0.0) if isinstance(out, np.ndarray) else float(out) == 0.0
    if zero:
        raise ZeroDivisionError("d sqrt(x)/dx = 1/(2 sqrt(x)) is infinite at x = 0")
    return (0.5 / out,)


def _half_or(x: Any, y: Any) -> tuple:
    """d max(x, y) = (1, 0) where x > y, (0, 1) where y > x, (1/2, 1/2) at a tie."""
    s = fn.sign(x - y)
    return ((s + 1.0) * 0.5, (1.0 - s) * 0.5)


# fmt: off
# --------------------------------------------------------------------------- #
# The table.                                                                    #
# Each rule: deriv(*inputs, out) -> one local partial d(out)/d(input) per input. #
# --------------------------------------------------------------------------- #

ADD = _builtin(
    "+", operator.add, lambda x, y, out: (1.0, 1.0),
    np_forward=np.add, formula="x + y", local=("1", "1"),
)
SUB = _builtin(
    "-", operator.sub, lambda x, y, out: (1.0, -1.0),
    np_forward=np.subtract, formula="x - y", local=("1", "-1"),
)
MUL = _builtin(
    "*", operator.mul, lambda x, y, out: (y, x),
    np_forward=np.multiply, formula="x * y", local=("y", "x"),
)
# d(x/y)/dx = 1/y,  d(x/y)/dy = -x/y^2 = -out/y
DIV = _builtin(
    "/", k.div, lambda x, y, out: (1.0 / y, -out / y),
    np_forward=np.divide, formula="x / y", local=("1 / y", "-x / y ** 2"),
    kink=lambda x, y: y,
)
NEG = _builtin(
    "neg", operator.neg, lambda x, out: (-1.0,),
    np_forward=np.negative, formula="-x", local=("-1",),
)
# x ** y with y a Value too: d/dx = y x^(y-1),  d/dy = x^y ln x
POW = _builtin(
    "pow", k.pow, lambda x, y, out: (_pow_base_partial(x, y), _pow_exponent_partial(x, out)),
    np_forward=k.np_pow, formula="x ** y", local=("y * x ** (y - 1)", "out * log(x)"),
    domain=((0.0, math.inf), None),
)
# d e^x / dx = e^x = out
EXP = _builtin(
    "exp", k.exp, lambda x, out: (out,),
    np_forward=k.np_exp, formula="exp(x)", local=("exp(x)",),
)
LOG = _builtin(
    "log", k.log, lambda x, out: (1.0 / x,),
    np_forward=k.np_log, formula="log(x)", local=("1 / x",), domain=(0.0, math.inf),
)
# d tanh / dx = 1 - tanh^2
TANH = _builtin(
    "tanh", math.tanh, lambda x, out: (1.0 - out * out,),
    np_forward=k.np_tanh, formula="tanh(x)", local=("1 - out ** 2",),
)
# d sigma / dx = sigma (1 - sigma)
SIGMOID = _builtin(
    "sigmoid", k.sigmoid, lambda x, out: (out * (1.0 - out),),
    np_forward=k.np_sigmoid, formula="1 / (1 + exp(-x))", local=("out * (1 - out)",),
)
# d max(x, 0)/dx = 1 for x > 0, 0 for x < 0, and 0 at the kink (as PyTorch)
RELU = _builtin(
    "relu", k.relu, lambda x, out: (fn.positive(x),),
    np_forward=k.np_relu, formula="maximum(x, 0)", local=("positive(x)",),
    kink=lambda x: x,
)
# d softplus / dx = e^x / (1 + e^x) = sigmoid(x)
SOFTPLUS = _builtin(
    "softplus", k.softplus, lambda x, out: (fn.sigmoid(x),),
    np_forward=k.np_softplus, formula="log(1 + exp(x))", local=("sigmoid(x)",),
)
# The binary step is flat on both sides of its jump: derivative 0 (as the lecture says).
STEP = _builtin(
    "step", k.step, lambda x, out: (0.0,),
    np_forward=k.np_step, formula="step(x)", local=("0",), kink=lambda x: x,
)
def _logaddexp_partials(x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    """d/dx log(e^x + e^y) = e^x / (e^x + e^y) = sigmoid(x - y), and likewise for y.

    On arrays under :func:`autograd.numerics.vector_math` (``compile(exact=False)``) the
    same numbers as e^(x - out) and e^(y - out): two passes each instead of five, never
    overflowing (out >= x, y), and equal to rounding (an error of about |out| ulps).
    """
    if isinstance(out, np.ndarray) and k.vector_math_on():
        return np.exp(x - out), np.exp(y - out)
    return fn.sigmoid(x - y), fn.sigmoid(y - x)


# log(e^x + e^y): a softmax's normaliser, two terms at a time (no overflow, no max shift)
LOGADDEXP = _builtin(
    "logaddexp", k.logaddexp, _logaddexp_partials,
    np_forward=k.np_logaddexp, formula="log(exp(x) + exp(y))",
    local=("sigmoid(x - y)", "sigmoid(y - x)"),
)
SIN = _builtin(
    "sin", math.sin, lambda x, out: (fn.cos(x),),
    np_forward=k.np_sin, formula="sin(x)", local=("cos(x)",),
)
COS = _builtin(
    "cos", math.cos, lambda x, out: (-fn.sin(x),),
    np_forward=k.np_cos, formula="cos(x)", local=("-sin(x)",),
)
# d|x|/dx = sign(x): 0 at the kink, as PyTorch
ABS = _builtin(
    "abs", abs, lambda x, out: (fn.sign(x),),
    np_forward=np.abs, formula="abs(x)", local=("sign(x)",), kink=lambda x: x,
)
SQRT = _builtin(
    "sqrt", k.sqrt, _sqrt_partial,
    np_forward=k.np_sqrt, formula="sqrt(x)", local=("1 / (2 * out)",), domain=(0.0, math.inf),
)
# d max(x, y): the gradient goes to the larger input; a tie splits it evenly (PyTorch)
MAXIMUM = _builtin(
    "maximum", k.maximum, lambda x, y, out: _half_or(x, y),
    np_forward=k.np_maximum, formula="maximum(x, y)",
    local=("(sign(x - y) + 1) / 2", "(1 - sign(x - y)) / 2"), kink=lambda x, y: x - y,
)
MINIMUM = _builtin(
    "minimum", k.minimum, lambda x, y, out: _half_or(y, x),
    np_forward=k.np_minimum, formula="minimum(x, y)",
    local=("(sign(y - x) + 1) / 2", "(1 - sign(y - x)) / 2"), kink=lambda x, y: x - y,
)

PRIMITIVES: tuple[Primitive, ...] = (
    ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, TANH, SIGMOID, RELU, SOFTPLUS, STEP,
    LOGADDEXP, SIN, COS, ABS, SQRT, MAXIMUM, MINIMUM,
)
"""The fixed built-in primitives; ``pow_const(n)`` and ``pow_base(c)`` add one per number."""

FUNCTIONS: dict[str, Primitive] = {
    p.name: p
    for p in (
        EXP, LOG, TANH, SIGMOID, RELU, SOFTPLUS, STEP, SIN, COS, ABS, SQRT,
        MAXIMUM, MINIMUM, LOGADDEXP,
    )
}
"""The primitives an expression may call by name (``tanh(x)``, ``maximum(x, y)``)."""
# fmt: on


def _number_text(n: float) -> str:
    """A number for an op name: short (``2``, ``0.5``, ``2.71828``)."""
    return format(n, "g") if isinstance(n, float) else str(n)


def _exact_text(n: float) -> str:
    """A number for a formula: exact, so the formula evaluates to the rule's value."""
    if isinstance(n, float) and n.is_integer() and abs(n) < 1e16:
        return str(int(n))
    return repr(n)


@lru_cache(maxsize=1024)
def pow_const(n: float) -> Primitive:
    """The primitive ``x ** n`` for a fixed number n (one per exponent, cached).

    The exponent is part of the operation, not an input: its op name reads ``**2``.
    """
    text, exact = _number_text(n), _exact_text(n)
    if n == 0:
        # x**0 = 1 everywhere: derivative 0 (avoid 0 * x**-1, undefined at x = 0)
        rule: Callable[..., tuple] = lambda x, out: (0.0,)  # noqa: E731
        local = "0"
    else:
        # power rule: d x^n / dx = n x^(n-1)
        def rule(x: Any, out: Any) -> tuple:
            return (n * (k.pow(x, n - 1) if type(x) is float else _pow_any(x, n - 1)),)

        m = n - 1
        local = "1" if m == 0 else f"{exact} * x" if m == 1 else f"{exact} * x ** {_exact_text(m)}"

    def forward(x: float) -> float:
        return k.pow(x, n)

    integral = float(n).is_integer()
    prim = Primitive(
        name=f"**{text}",
        arity=1,
        forward=forward,
        deriv=rule,
        np_forward=k.elementwise(forward),
        formula=f"x ** {exact}",
        local=(local,),
        domain=((0.0, math.inf),) if not integral else (_ALL_REALS,),
        kink=(lambda x: x) if integral and n < 0 else None,
        factory=(pow_const, (n,)),
    )
    return prim


@lru_cache(maxsize=1024)
def pow_base(c: float) -> Primitive:
    """The primitive ``c ** x`` for a fixed base c (one per base, cached).

    The base is part of the operation (``2 ** x``), so no gradient is computed for it:
    d c^x / dx = c^x ln c, and 0 for c = 0 (0 ** x is flat where it is defined).
    """
    text, exact = _number_text(c), _exact_text(c)
    if c > 0:
        ln_c = math.log(c)

        def rule(x: Any, out: Any) -> tuple:
            return (out * ln_c,)

        local = f"out * log({exact})"
    elif c == 0:
        rule = lambda x, out: (0.0,)  # noqa: E731
        local = "0"
    else:

        def rule(x: Any, out: Any) -> tuple:
            raise ValueError(
                f"{text} ** x: the derivative c^x ln c needs a base c > 0 (c = {text})"
            )

        local = f"out * log({exact})"

    def forward(x: float) -> float:
        return k.pow(c, x)

    return Primitive(
        name=f"{text}**",
        arity=1,
        forward=forward,
        deriv=rule,
        np_forward=k.elementwise(forward),
        formula=f"{exact} ** x" if c >= 0 else f"({exact}) ** x",
        local=(local,),
        domain=((0.0, math.inf),) if c == 0 else (_ALL_REALS,),
        kink=None,
        factory=(pow_base, (c,)),
    )


def _pow_any(x: Any, n: Any) -> Any:
    """x ** n for a Value or an array x and a number n (arrays: the eager float kernel)."""
    if isinstance(x, np.ndarray):
        return k.np_pow(x, n)
    return x**n


_SEALED = True
