"""Property-based gradient checks for users: an assertion and hypothesis strategies.

A learner who writes a new operation, or a teacher who grades one, checks it the way
this project checks its own:

>>> from autograd import fn, primitive
>>> from autograd.testing import assert_gradcheck
>>> swish = primitive("swish", lambda x: x * fn.sigmoid(x),
...                   lambda x, out: fn.sigmoid(x) * (1 + x * (1 - fn.sigmoid(x))))
>>> report = assert_gradcheck(lambda a: swish(a), [0.5], order=2)

and, with hypothesis, over random inputs and random graphs that use the operation::

    from hypothesis import given
    from autograd.testing import graphs, values

    @given(values())
    def test_swish(x):
        assert_gradcheck(lambda a: swish(a), [x], order=2)

    @given(graphs(primitives=[swish, ops.TANH, ops.MUL]))
    def test_swish_in_graphs(case):
        f, inputs = case
        assert_gradcheck(f, inputs)

``assert_gradcheck`` needs nothing else; the strategies need hypothesis (an optional
dependency: ``pip install hypothesis``; ``import autograd`` never imports it). Inputs are
kept inside every primitive's ``domain`` and away from its ``kink`` by construction, as
minitorch shifts its inputs (``log(a + 100000)``), so finite differences are well
conditioned and the strategies rarely have to reject a draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import ops
from autograd.gradcheck import GradcheckReport, gradcheck
from autograd.graph import toposort
from autograd.ops import Primitive
from autograd.value import Value, no_grad

__all__ = [
    "MARGIN",
    "MAX_MAGNITUDE",
    "RandomGraph",
    "assert_gradcheck",
    "conditions",
    "graphs",
    "values",
]

# Graph values stay moderate (finite differences lose digits on huge numbers), and each
# kink or domain edge stays this far away (in the units of the kink's argument). Every
# node's derivative with respect to every input stays below MAX_SLOPE too, so a
# finite-difference step of 1e-6 moves no node by more than 1e-4, far less than the
# margin, and steep compositions (whose higher derivatives ruin central differences)
# are left out.
MAX_MAGNITUDE = 1e3
MAX_SLOPE = 100.0
MARGIN = 0.05


def assert_gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[float],
    *,
    order: int = 1,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradcheckReport:
    """Assert that the derivatives of ``fn`` at ``inputs`` match central differences.

    ``fn(*values)`` takes one Value per input, positionally, and returns a Value.
    ``order=1`` checks ``backward``; ``order=2`` also checks every second derivative
    computed by ``grad(..., create_graph=True)``. On a mismatch the ``AssertionError``'s
    message is the per-input table (input, analytic, numeric, errors, and the kink flag
    where a difference straddles a kink); otherwise the report is returned.
    """
    points = []
    for i, x in enumerate(inputs):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise TypeError(f"assert_gradcheck: inputs[{i}] must be a finite number, got {x!r}")
        points.append(float(x))
    report = gradcheck(fn, points, eps=eps, atol=atol, rtol=rtol, order=order)
    if not report.ok:
        where = getattr(fn, "description", None) or getattr(fn, "__name__", "fn")
        raise AssertionError(f"gradient check failed for {where} at {points}:\n{report}")
    return report


# --------------------------------------------------------------------------- strategies


def _hypothesis() -> Any:
    try:
        from hypothesis import strategies
    except ImportError:
        raise ImportError(
            "autograd.testing's strategies need hypothesis: pip install hypothesis "
            "(or install valuegrad with its dev extra: pip install 'valuegrad[dev]')"
        ) from None
    return strategies


def _inside(lo: float, hi: float, bound: float, margin: float) -> tuple[float, float]:
    """The part of (lo, hi) at least ``margin`` inside its edges and within ``bound``."""
    a = max(lo + margin * max(1.0, abs(lo)) if math.isfinite(lo) else -bound, -bound)
    b = min(hi - margin * max(1.0, abs(hi)) if math.isfinite(hi) else bound, bound)
    if not a < b:
        raise ValueError(f"the domain ({lo:g}, {hi:g}) is too narrow to draw from")
    return a, b


def values(
    domain: tuple[float, float] | None = None, *, bound: float = 5.0, margin: float = MARGIN
) -> Any:
    """A strategy of finite floats in the open interval ``domain``, away from its edges.

    ``domain=None`` is the whole line; either way the floats are within ``bound`` of 0
    and at least ``margin`` (relative, for big edges) inside a finite edge.
    """
    st = _hypothesis()
    lo, hi = (-math.inf, math.inf) if domain is None else domain
    a, b = _inside(float(lo), float(hi), bound, margin)
    return st.floats(a, b, allow_nan=False, allow_infinity=False)


@dataclass(frozen=True)
class _Node:
    prim: Primitive
    args: tuple[tuple[str, float], ...]  # ("node", index) or ("const", value), per input
    shifts: tuple[float, ...]  # a constant added to each input (0.0: none)


class RandomGraph:
    """A function drawn by :func:`graphs`: call it with one Value per input.

    It rebuilds the same expression DAG on every call (shared sub-expressions stay
    shared, constants sit on either side of an operation); ``str`` lists its nodes.
    """

    def __init__(self, n_inputs: int, nodes: Sequence[_Node]) -> None:
        self.n_inputs = n_inputs
        self.nodes = tuple(nodes)

    def __call__(self, *inputs: Value) -> Value:
        if len(inputs) != self.n_inputs:
            raise TypeError(f"this graph takes {self.n_inputs} inputs, got {len(inputs)}")
        pool: list[Any] = list(inputs)
        for node in self.nodes:
            args = []
            for (kind, v), shift in zip(node.args, node.shifts, strict=True):
                a = pool[int(v)] if kind == "node" else v
                args.append(a + shift if shift else a)
            pool.append(node.prim(*args))
        return pool[-1]

    @property
    def primitives(self) -> tuple[Primitive, ...]:
        """The primitive of every node, in order."""
        return tuple(node.prim for node in self.nodes)

    @property
    def description(self) -> str:
        """The nodes, one per line (what hypothesis prints for a failing example)."""
        return str(self)

    def __str__(self) -> str:
        names = [f"x{i}" for i in range(self.n_inputs)]
        lines = []
        for node in self.nodes:
            args = []
            for (kind, v), shift in zip(node.args, node.shifts, strict=True):
                text = names[int(v)] if kind == "node" else format(v, "g")
                args.append(
                    f"({text} {'+' if shift >= 0 else '-'} {abs(shift):g})" if shift else text
                )
            name = f"v{len(names)}"
            lines.append(f"{name} = {node.prim.name}({', '.join(args)})")
            names.append(name)
        return "; ".join(lines) if lines else f"x{self.n_inputs - 1}"  # the last input

    __repr__ = __str__


def _evaluate(prim: Primitive, args: list[float]) -> float | None:
    try:
        with no_grad():
            out = prim.forward(*args)
    except (ArithmeticError, ValueError, TypeError):
        return None
    return float(out) if math.isfinite(out) and abs(out) <= MAX_MAGNITUDE else None


def _kink_clear(prim: Primitive, args: list[float], margin: float) -> bool:
    if prim.kink is None:
        return True
    try:
        return abs(prim.kink(*args)) >= margin
    except (ArithmeticError, ValueError, TypeError):
        return False


def graphs(
    primitives: Iterable[Primitive] | None = None,
    max_inputs: int = 4,
    max_nodes: int = 24,
    *,
    margin: float = MARGIN,
) -> Any:
    """A strategy of ``(fn, inputs)``: a random expression DAG and a point to check it at.

    The DAG uses the given primitives (built-in or user-defined; default: every built-in
    of ``autograd.ops.PRIMITIVES``), reuses nodes freely (shared sub-expressions), and
    puts constants on either side of an operation. Every primitive's inputs lie inside
    its ``domain`` and at least ``margin`` from its ``kink``: where a drawn operand would
    not, a drawn constant is added to it. Values stay within 1e3.
    """
    st = _hypothesis()
    prims = list(ops.PRIMITIVES if primitives is None else primitives)
    if not prims or not all(isinstance(p, Primitive) for p in prims):
        raise TypeError(f"graphs: primitives must be a non-empty list of Primitive, got {prims!r}")
    if not (max_inputs >= 1 and max_nodes >= 1):
        raise ValueError("graphs: max_inputs and max_nodes must be at least 1")

    @st.composite
    def draw_graph(draw: Any) -> tuple[RandomGraph, list[float]]:
        n_inputs = draw(st.integers(1, max_inputs))
        point = [draw(values(bound=2.0)) for _ in range(n_inputs)]
        data = list(point)  # the value of every node so far
        # d node / d input, for every node so far (forward mode): inputs are unit vectors
        slopes = [[float(i == j) for j in range(n_inputs)] for i in range(n_inputs)]
        nodes: list[_Node] = []
        for _ in range(draw(st.integers(1, max_nodes))):
            prim = draw(st.sampled_from(prims))
            node = _draw_node(draw, st, prim, data, margin)
            if node is None:
                continue  # no valid operands for it here: draw the next node
            args = [_arg(a, s, data) for a, s in zip(node.args, node.shifts, strict=True)]
            out = _evaluate(prim, args)
            slope = None if out is None else _slope(prim, args, out, node.args, slopes, n_inputs)
            if slope is None:
                continue  # not finite, too big, or too steep: leave this node out
            nodes.append(node)
            data.append(out)
            slopes.append(slope)
        return RandomGraph(n_inputs, nodes), point

    return draw_graph()


def _slope(
    prim: Primitive,
    args: list[float],
    out: float,
    refs: tuple[tuple[str, float], ...],
    slopes: list[list[float]],
    n_inputs: int,
) -> list[float] | None:
    """d(new node)/d(input) by the chain rule, or None if it is not below MAX_SLOPE."""
    try:
        local = prim.deriv(*args, out)
    except (ArithmeticError, ValueError, TypeError):
        return None
    slope = [0.0] * n_inputs
    for (kind, v), d in zip(refs, local, strict=True):
        if kind == "node":
            for j, s in enumerate(slopes[int(v)]):
                slope[j] += float(d) * s
    if not all(math.isfinite(g) and abs(g) <= MAX_SLOPE for g in slope):
        return None
    return slope


def _arg(arg: tuple[str, float], shift: float, data: list[float]) -> float:
    kind, v = arg
    return (data[int(v)] if kind == "node" else v) + shift


def _draw_node(
    draw: Any, st: Any, prim: Primitive, data: list[float], margin: float
) -> _Node | None:
    """Operands for ``prim``: existing nodes (recent ones more often) or constants,
    shifted into its domain and off its kink by drawn constants."""
    size = len(data)
    args: list[tuple[str, float]] = []
    for _ in range(prim.arity):
        if draw(st.integers(0, 4)) == 0:  # a constant on this side
            args.append(("const", draw(st.sampled_from([-2.0, -0.5, 0.3, 1.0, 1.7, 3.0]))))
        else:
            recent = st.integers(max(0, size - 3), size - 1)
            args.append(("node", draw(st.one_of(recent, st.integers(0, size - 1)))))
    if all(kind == "const" for kind, _ in args):
        args[0] = ("node", size - 1)  # at least one input comes from the graph
    shifts = []
    for k, (lo, hi) in enumerate(prim.domain):
        v = _arg(args[k], 0.0, data)
        a, b = _inside(lo, hi, 3.0, margin)
        if a <= v <= b:
            shifts.append(0.0)
        else:  # move the operand inside the domain: add (target - v)
            a2, b2 = _inside(lo, hi, 3.0, 2 * margin)  # well inside: rounding cannot undo it
            target = draw(st.floats(a2, b2))
            shifts.append(target - v)
    point = [_arg(arg, s, data) for arg, s in zip(args, shifts, strict=True)]
    if not _kink_clear(prim, point, margin):
        # Kinks are where an input, or a difference of inputs, crosses 0: stepping one
        # operand by a few margins along it clears it. Try each operand in turn.
        nudge = draw(st.sampled_from([-1.0, 1.0])) * (2 * margin + draw(st.floats(0.0, 1.0)))
        for k in range(prim.arity):
            moved = list(point)
            moved[k] += nudge
            lo, hi = prim.domain[k]
            a, b = _inside(lo, hi, math.inf, margin)
            if a <= moved[k] <= b and _kink_clear(prim, moved, margin):
                shifts[k] += nudge
                break
        else:
            return None
    return _Node(prim, tuple(args), tuple(shifts))


def conditions(
    fn: Callable[..., Value], inputs: Sequence[float], margin: float = MARGIN
) -> list[str]:
    """What would make finite differences of ``fn`` at ``inputs`` meaningless: every node
    whose inputs lie outside its primitive's ``domain``, or within ``margin`` of its edge
    or of its ``kink``. An empty list when there is none; one entry naming the error when
    ``fn`` cannot even be evaluated there (an operation outside its domain raises)."""
    problems = []
    try:
        out = fn(*[Value(float(x)) for x in inputs])
    except (ArithmeticError, ValueError) as err:
        return [f"the function cannot be evaluated at {list(inputs)!r}: {err}"]
    for i, node in enumerate(toposort(out)):
        prim = node.primitive
        if prim is None:
            continue
        args = [p.data for p in node.parents]
        for k, (v, (lo, hi)) in enumerate(zip(args, prim.domain, strict=True)):
            a, b = _inside(lo, hi, math.inf, margin)
            if not a <= v <= b:
                problems.append(
                    f"node {i} ({prim.name}): input {k} = {v!r} is not inside ({lo:g}, {hi:g})"
                )
        if not _kink_clear(prim, args, margin):
            problems.append(
                f"node {i} ({prim.name}): inputs {args!r} are within {margin:g} of its kink"
            )
    return problems
