"""Walking the graph: topological order, ``backward`` and the functional ``grad``.

Reverse-mode differentiation visits the nodes from the output back to the leaves, and
handles a node only after every node that consumed it has passed its gradient down.
Reversed topological order (each node after all of its parents) guarantees exactly
that; the order is built iteratively, so graph depth is limited by memory only, never
by Python's recursion limit.

The walk reads the node's private slots (``_a``, ``_b``, ``_prim``) directly; this
module never imports :mod:`autograd.value` at import time (``value`` imports us).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from autograd.value import Value

__all__ = ["backward", "grad", "toposort"]


def toposort(root: Value) -> list[Value]:
    """Every node ``root`` depends on (itself included), each after all of its parents.

    Iterative depth-first post-order: a node is emitted once both of its parents are.
    Parents are visited in argument order, so the order is deterministic.
    """
    order: list[Value] = []
    done: set[Value] = set()  # emitted nodes (Values hash by identity)
    stack = [root]
    push, pop, emit, mark = stack.append, stack.pop, order.append, done.add
    while stack:
        node = stack[-1]
        a = node._a
        if a is not None and a not in done:
            push(a)
            continue
        b = node._b
        if b is not None and b not in done:
            push(b)
            continue
        pop()
        # In a DAG a node cannot be on the stack twice (it would be its own ancestor),
        # so each node is emitted exactly once.
        mark(node)
        emit(node)
    return order


def _rethrow(err: Exception, node: Value) -> Exception:
    """The same kind of error, saying which node's local derivative failed."""
    inputs = ", ".join(repr(p.data) for p in node.parents)
    return type(err)(f"backward through '{node._prim.name}' at input(s) ({inputs}): {err}")


def backward(root: Value) -> None:
    """Reverse-mode pass from ``root``: accumulate d(root)/d(leaf) into every leaf's grad.

    Leaf gradients *accumulate* across calls (as in PyTorch: call ``zero_grad`` between
    steps); every interior node ends holding d(root)/d(node) from this call. If a local
    derivative fails (say, d sqrt(x)/dx at x = 0) or a gradient overflows, every
    ``grad`` is restored to what it was and the error names the operation.
    """
    order = toposort(root)
    saved = [node.grad for node in order]
    for node in order:
        if node._prim is not None:
            node.grad = 0.0
    root.grad += 1.0  # d root / d root
    node = root
    try:
        for node in reversed(order):
            prim = node._prim
            g = node.grad
            # Leaves have nothing below them; a zero upstream gradient contributes
            # exactly zero to every parent (local derivatives are always finite).
            if prim is None or g == 0.0:
                continue
            a, b = node._a, node._b
            # chain rule: parent.grad += d(root)/d(node) * d(node)/d(parent)
            if b is None:
                (da,) = prim.deriv(a.data, node.data)
                a.grad += g * da
            else:
                da, db = prim.deriv(a.data, b.data, node.data)
                a.grad += g * da
                b.grad += g * db
    except (ArithmeticError, ValueError) as err:
        _restore(order, saved)
        raise _rethrow(err, node) from err
    for node in order:
        g = node.grad
        if g - g != 0.0:  # inf - inf and nan - nan are nan
            _restore(order, saved)
            raise OverflowError(
                f"backward: the gradient of {node!r} overflowed to {g!r}; nothing was changed"
            )


def _restore(order: list[Value], saved: list[float]) -> None:
    for node, old in zip(order, saved, strict=True):
        node.grad = old


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d(output)/d(x) for each x in ``inputs``, leaving every ``.grad`` untouched.

    With ``create_graph=False`` the results are floats. With ``create_graph=True`` they
    are Values whose graph reaches back to the inputs, so they can be differentiated
    again (second, third, ... derivatives). An input that ``output`` does not depend on
    has derivative 0.
    """
    from autograd.value import Value, enable_grad

    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value):
        inputs = [inputs]
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")

    order = toposort(output)
    if not create_graph:
        grads: dict[Value, Any] = {output: 1.0}
        for node in reversed(order):
            prim = node._prim
            g = grads.get(node)
            if prim is None or g is None or g == 0.0:
                continue
            a, b = node._a, node._b
            try:
                if b is None:
                    partials = ((a, g * prim.deriv(a.data, node.data)[0]),)
                else:
                    da, db = prim.deriv(a.data, b.data, node.data)
                    partials = ((a, g * da), (b, g * db))
            except (ArithmeticError, ValueError) as err:
                raise _rethrow(err, node) from err
            for parent, contribution in partials:
                grads[parent] = grads[parent] + contribution if parent in grads else contribution
        return [float(grads.get(x, 0.0)) for x in inputs]

    with enable_grad():
        grads = {output: Value(1.0)}
        for node in reversed(order):
            prim = node._prim
            g = grads.get(node)
            if prim is None or g is None:
                continue
            parents = node.parents
            try:
                # The rule sees Values, so the local derivatives it returns are graph
                # nodes (or exact constants such as 1.0 for +), differentiable again.
                local = prim.deriv(*parents, node)
            except (ArithmeticError, ValueError) as err:
                raise _rethrow(err, node) from err
            for parent, d in zip(parents, local, strict=True):
                if type(d) is float:  # a constant partial: keep the new graph small
                    if d == 0.0:
                        continue
                    contribution = g if d == 1.0 else g * d
                else:
                    contribution = g * d
                grads[parent] = grads[parent] + contribution if parent in grads else contribution
        result = []
        for x in inputs:
            g = grads.get(x)
            result.append(Value(0.0) if g is None else g if isinstance(g, Value) else Value(g))
        return result
