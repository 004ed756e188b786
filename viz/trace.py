"""Step-by-step backpropagation: the lecture's chain-rule table, for any graph.

The slides work ``f = (x + y) * z`` by hand: with ``q = x + y``,

    df/df = 1
    df/dq = df/df · ∂f/∂q = 1 · z = -4
    df/dz = df/df · ∂f/∂z = 1 · q = 3
    df/dx = df/dq · ∂q/∂x = -4 · 1 = -4
    df/dy = df/dq · ∂q/∂y = -4 · 1 = -4

:func:`trace` writes that table for any graph. It does the backward pass
*functionally*: it walks the nodes in reversed :func:`autograd.toposort` order (the
order ``backward`` uses) and multiplies each node's upstream gradient by the local
derivative from the primitive table (``Primitive.deriv`` called with floats), adding
the products in the same order as the engine, so every number equals what
``backward`` computes, bit for bit. It never reads or writes ``.grad``, so tracing a
graph changes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from autograd import Value, toposort
from viz.graph import node_names
from viz.graph import parameter_names as _params_of

__all__ = ["Step", "Trace", "local_formulas", "trace"]


@dataclass(frozen=True)
class Step:
    """One term of the chain rule: what ``node`` passes down to one of its inputs.

    ``contribution = upstream · local``, where ``upstream`` is d(output)/d(node) and
    ``local`` is ∂node/∂parent; ``total`` is the parent's gradient after adding it.
    """

    node: str
    op: str
    parent: str
    position: int  # which argument of the operation the parent is (0 or 1)
    upstream: float
    local: float | None  # None: undefined there, and the upstream gradient is 0
    formula: str  # the local derivative in symbols ("z" for ∂(q*z)/∂q), "" if unknown
    contribution: float
    total: float
    index: int  # this is the index-th contribution the parent receives (1-based) ...
    count: int  # ... of count (more than one for a shared node such as x in x*x + x)
    constant: bool  # the parent is a constant; the text leaves these steps out


def _is_name(text: str) -> bool:
    return text.isidentifier()


def _wrap(text: str) -> str:
    """A name or number fit to appear inside a formula: parenthesised unless atomic."""
    if _is_name(text):
        return text
    try:
        if float(text) >= 0 and "e" not in text:
            return text
    except ValueError:
        pass
    return f"({text})"


def _factor(text: str) -> str:
    """``text`` ready to be multiplied: parenthesised if it is a negative or a sum."""
    depth = 0
    for k, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in "+-" and (k == 0 or text[k - 1] == " "):
            return f"({text})"
    return text


def _num(x: float | None) -> str:
    if x is None:
        return "undefined"
    return "0" if x == 0 else format(x, ".6g")  # never "-0"


def local_formulas(op: str, inputs: list[str], out: str) -> tuple[str, ...]:
    """The local derivatives of ``op`` in symbols: ∂out/∂input for each input.

    ``inputs`` and ``out`` are names (already wrapped for use in a formula), e.g.
    ``local_formulas("*", ["q", "z"], "f") == ("z", "q")``. Unknown ops give "".
    """
    a = inputs[0] if inputs else ""
    b = inputs[1] if len(inputs) > 1 else ""
    fixed: dict[str, tuple[str, ...]] = {
        "+": ("1", "1"),
        "-": ("1", "-1"),
        "*": (b, a),
        "/": (f"1/{b}", f"-{a}/{b}^2"),
        "neg": ("-1",),
        "pow": (f"{b}·{a}^({b} - 1)", f"{out}·log({a})"),
        "exp": (f"exp({a})",),  # = out: e^x is its own derivative
        "log": (f"1/{a}",),
        "tanh": (f"1 - {out}^2",),
        "sigmoid": (f"{out}·(1 - {out})",),
        "relu": (f"(1 if {a} > 0 else 0)",),
        "softplus": (f"sigmoid({a})",),
        "step": ("0",),
        # d log(e^a + e^b) / da = e^a / (e^a + e^b) = exp(a - out)
        "logaddexp": (f"exp({a} - {out})", f"exp({b} - {out})"),
    }
    if op in fixed:
        return fixed[op]
    if op.startswith("**"):  # x ** n for a constant n: the power rule n x^(n-1)
        try:
            n = float(op[2:])
        except ValueError:
            return ("",) * len(inputs)
        if n == 0:
            return ("0",)
        if n == 1:
            return ("1",)
        if n == 2:
            return (f"2·{a}",)
        m = format(n - 1, "g")
        return (f"{format(n, 'g')}·{a}^{m if n - 1 >= 0 else f'({m})'}",)
    return ("",) * len(inputs)


@dataclass(frozen=True)
class Trace:
    """The backward pass of one output, step by step (see :func:`trace`)."""

    output: str
    value: float
    names: tuple[str, ...]  # every node, in walk order
    kinds: tuple[str, ...]  # input, param, constant, interior or output, per node
    data: tuple[float, ...]  # forward value per node
    steps: tuple[Step, ...]  # in backward order
    grads: dict[str, float]  # d(output)/d(node) for every node, by name

    def text(self, unicode: bool = True) -> str:
        """The table as lines like the slides.

        ``unicode=False`` writes ``*`` for ``·`` and ``del f/del q`` for the local
        derivative ``∂f/∂q``, for terminals that cannot show them.
        """
        dot = "·" if unicode else "*"

        def local_symbol(n: str, p: str) -> str:
            return f"∂{n}/∂{p}" if unicode else f"del {n}/del {p}"

        def times(x: str) -> str:
            return x.replace("·", dot)

        o = _wrap(self.output)
        lines = [
            f"backward pass of {self.output} = {_num(self.value)}: each input's gradient is "
            f"upstream gradient {dot} local derivative, summed over the nodes that use it",
            f"d{o}/d{o} = 1",
        ]
        partial: dict[str, list[str]] = {}
        for s in self.steps:
            if s.constant:
                continue
            n, p = _wrap(s.node), _wrap(s.parent)
            lhs = f"d{o}/d{p}"
            chain = f"d{o}/d{n} {dot} {local_symbol(n, p)}"
            local = _num(s.local)
            numbers = f"{_num(s.upstream)} {dot} {_factor(local)}"
            if s.formula and _factor(s.formula) != _factor(local):
                formula = times(_factor(s.formula))
                numbers = f"{_num(s.upstream)} {dot} {formula} = {numbers}"
            value = _num(s.contribution)
            if s.count == 1:
                lines.append(f"{lhs} = {chain} = {numbers} = {value}")
                continue
            lines.append(f"{lhs} += {chain} = {numbers} = {value}   ({s.index} of {s.count})")
            terms = partial.setdefault(s.parent, [])
            terms.append(_factor(value) if terms else value)
            if s.index == s.count:
                lines.append(f"{lhs} = {' + '.join(terms)} = {_num(s.total)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (str, float, int, bool, None, lists and dicts) for JSON."""
        return {
            "output": self.output,
            "value": self.value,
            "nodes": [
                {"name": n, "kind": k, "data": d, "grad": self.grads[n]}
                for n, k, d in zip(self.names, self.kinds, self.data, strict=True)
            ],
            "steps": [asdict(s) for s in self.steps],
            "grads": dict(self.grads),
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string (``kwargs`` go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), **kwargs)


def trace(output: Value, *, module: Any = None, params: Iterable[Value] | None = None) -> Trace:
    """Backpropagate from ``output`` step by step, without touching any ``.grad``.

    Node names are labels, else parameter names (from ``module.named_parameters()``),
    else ``n<i>`` with ``i`` the walk position (as in :func:`viz.draw_graph`); a label
    used by several nodes gets ``[n<i>]`` appended. A node used several times receives
    one step per use (each shown as ``+=``) and then its total. Errors are those of
    ``backward``: a local derivative that does not exist where it is needed raises
    (``ValueError``/``ArithmeticError``), and so does a gradient that overflows.
    """
    if not isinstance(output, Value):
        raise TypeError(f"trace: output must be a Value, got {type(output).__name__}")
    order = toposort(output)
    index = {node: i for i, node in enumerate(order)}
    pidx = [tuple(index[p] for p in node.parents) for node in order]
    param_names = _params_of(module, params)
    names = node_names(order, param_names, unique=True)
    out = len(order) - 1  # toposort emits the root last

    kinds = []
    for i, node in enumerate(order):
        if i == out:
            kinds.append("output")
        elif pidx[i]:
            kinds.append("interior")
        elif node in param_names:
            kinds.append("param")
        else:
            kinds.append("input" if node.label else "constant")
    # In formulas a constant is written as its number: ∂(2*x)/∂x = 2.
    symbols = [
        _wrap(format(node.data, "g")) if kinds[i] == "constant" else _wrap(names[i])
        for i, node in enumerate(order)
    ]
    count = [0] * len(order)
    for ps in pidx:
        for p in ps:
            count[p] += 1

    grads = [0.0] * len(order)
    grads[out] = 1.0  # d output / d output
    received = [0] * len(order)
    steps: list[Step] = []
    for i in range(out, -1, -1):
        node = order[i]
        prim = node.primitive
        if prim is None:
            continue
        g = grads[i]
        ps = pidx[i]
        try:
            local: tuple = prim.deriv(*(order[p].data for p in ps), node.data)
        except (ArithmeticError, ValueError) as err:
            if g != 0.0:
                inputs = ", ".join(repr(order[p].data) for p in ps)
                raise type(err)(
                    f"trace through '{prim.name}' at input(s) ({inputs}): {err}"
                ) from err
            local = (None,) * len(ps)  # nothing flows through here, as in backward
        formulas = local_formulas(prim.name, [symbols[p] for p in ps], symbols[i])
        for k, p in enumerate(ps):
            d = local[k]
            contribution = 0.0 if d is None else g * float(d)
            # the chain rule: parent gradient += upstream gradient * local derivative
            grads[p] = grads[p] + contribution
            received[p] += 1
            steps.append(
                Step(
                    node=names[i],
                    op=prim.name,
                    parent=names[p],
                    position=k,
                    upstream=g,
                    local=None if d is None else float(d),
                    formula=formulas[k],
                    contribution=contribution,
                    total=grads[p],
                    index=received[p],
                    count=count[p],
                    constant=kinds[p] == "constant",
                )
            )
    for i, g in enumerate(grads):
        if not math.isfinite(g):
            raise OverflowError(f"trace: the gradient of {names[i]} overflowed to {g!r}")
    return Trace(
        output=names[out],
        value=order[out].data,
        names=tuple(names),
        kinds=tuple(kinds),
        data=tuple(node.data for node in order),
        steps=tuple(steps),
        grads=dict(zip(names, grads, strict=True)),
    )
