"""Step-by-step backpropagation: the lecture's chain-rule table, for any graph.

The slides work ``f = (x + y) * z`` by hand: with ``q = x + y``,

    df/df = 1
    df/dq = df/df · ∂f/∂q = 1 · z = -4
    df/dz = df/df · ∂f/∂z = 1 · q = 3
    df/dx = df/dq · ∂q/∂x = -4 · 1 = -4
    df/dy = df/dq · ∂q/∂y = -4 · 1 = -4

:func:`trace` writes that table for any graph. It runs the engine's own reverse walk
(:class:`autograd.Walk`, the loop behind ``grad``; ``backward`` takes the same steps in
the same order), so every number is the engine's, bit for bit, and it never reads or
writes ``.grad``: tracing a graph changes nothing. The symbols come from the primitive
table too: each step's formula is the primitive's ``local`` derivative with the names
of the graph's nodes put in (``Primitive.local = ("y", "x")`` for ``*``: ∂f/∂q = z).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from autograd import Value, Walk
from autograd.syntax import as_atom as _wrap
from autograd.syntax import render_formula
from viz._dot import factor, number
from viz.graph import node_kind, node_names, parameter_names

__all__ = ["Step", "Trace", "step_formula", "trace"]


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


def step_formula(node: Value, position: int, symbols: dict[Value, str]) -> str:
    """The local derivative ∂node/∂(its input ``position``) in symbols, from the table.

    ``symbols`` names the node and its inputs (a constant is best named by its number);
    "" when the primitive declares no ``local`` formulas.
    """
    prim = node.primitive
    if prim is None or prim.local is None:
        return ""
    names = dict(zip(prim.inputs, (symbols[p] for p in node.parents), strict=True))
    names["out"] = symbols[node]
    return render_formula(prim.local[position], names, style="math")


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
            f"backward pass of {self.output} = {number(self.value)}: each input's gradient is "
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
            local = number(s.local)
            numbers = f"{number(s.upstream)} {dot} {factor(local)}"
            if s.formula and factor(s.formula) != factor(local):
                formula = times(factor(s.formula))
                numbers = f"{number(s.upstream)} {dot} {formula} = {numbers}"
            value = number(s.contribution)
            if s.count == 1:
                lines.append(f"{lhs} = {chain} = {numbers} = {value}")
                continue
            lines.append(f"{lhs} += {chain} = {numbers} = {value}   ({s.index} of {s.count})")
            terms = partial.setdefault(s.parent, [])
            terms.append(factor(value) if terms else value)
            if s.index == s.count:
                lines.append(f"{lhs} = {' + '.join(terms)} = {number(s.total)}")
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
    walk = Walk(output, name="trace")
    order = walk.order
    index = {node: i for i, node in enumerate(order)}
    param_names = parameter_names(module, params)
    names = node_names(order, param_names, unique=True)
    out = len(order) - 1  # toposort emits the root last
    kinds = ["output" if i == out else node_kind(n, param_names) for i, n in enumerate(order)]
    # In formulas a constant is written as its number: ∂(2*x)/∂x = 2.
    symbols = {
        node: format(node.data, "g") if kinds[i] == "constant" else names[i]
        for i, node in enumerate(order)
    }
    count = [0] * len(order)
    for node in order:
        for p in node.parents:
            count[index[p]] += 1

    received = [0] * len(order)
    steps: list[Step] = []
    for s in walk:  # the engine's chain rule, one edge at a time
        i, p = index[s.node], index[s.parent]
        received[p] += 1
        steps.append(
            Step(
                node=names[i],
                op=s.node.op,
                parent=names[p],
                position=s.position,
                upstream=s.upstream,
                local=None if s.local is None else float(s.local),
                formula=step_formula(s.node, s.position, symbols),
                contribution=s.contribution,
                total=walk.grads[s.parent],
                index=received[p],
                count=count[p],
                constant=kinds[p] == "constant",
            )
        )
    return Trace(
        output=names[out],
        value=order[out].data,
        names=tuple(names),
        kinds=tuple(kinds),
        data=tuple(node.data for node in order),
        steps=tuple(steps),
        grads={names[i]: walk.grads.get(node, 0.0) for i, node in enumerate(order)},
    )
