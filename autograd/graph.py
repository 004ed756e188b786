"""Walking the graph: topological order, ``backward`` and the functional ``grad``.

Reverse-mode differentiation visits the nodes from the output back to the leaves, and
handles a node only after every node that consumed it has passed its gradient down.
Reversed topological order (each node after all of its parents) guarantees exactly
that; the order is built iteratively, so graph depth is limited by memory only, never
by Python's recursion limit. :class:`Walk` is that loop, one chain-rule step per edge;
``grad`` and :func:`viz.trace` consume it, and ``backward`` is its float form written
as one tight loop (the tests check that the two take the same steps in the same order).

The walk reads the node's private slots (``_a``, ``_b``, ``_prim``) directly; this
module never imports :mod:`autograd.value` at import time (``value`` imports us).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from autograd.value import Value

__all__ = ["Step", "Walk", "backward", "gc_paused", "grad", "toposort"]


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


def _rethrow(err: Exception, node: Value, who: str = "backward") -> Exception:
    """The same kind of error, saying which node's local derivative failed."""
    inputs = ", ".join(repr(p.data) for p in node.parents)
    message = f"{who} through '{node._prim.name}' at input(s) ({inputs}): {err}"
    try:
        return type(err)(message)
    except Exception:  # an exception class that wants other arguments
        return RuntimeError(message)


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
    except Exception as err:  # a rule failed (a user's rule may raise anything): roll back
        _restore(order, saved)
        raise _rethrow(err, node) from err
    except BaseException:  # Ctrl-C in the middle: no gradient is left half-computed
        _restore(order, saved)
        raise
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


class Step(NamedTuple):
    """One term of the chain rule: what ``node`` passes down to its input ``parent``.

    ``contribution = upstream * local`` is added to the parent's gradient, where
    ``upstream`` is d(root)/d(node) (complete by the time the node is reached) and
    ``local`` is d(node)/d(parent), from the primitive's rule.
    """

    node: Value
    parent: Value
    position: int  # which argument of the operation the parent is (0 or 1)
    upstream: Any  # a float (a Value with create_graph=True)
    local: Any  # None where the rule is undefined and nothing flows (upstream 0)
    contribution: Any


class Walk:
    """The reverse-mode walk from ``root``, one :class:`Step` per edge (iterate it).

    Nodes are visited in reversed topological order, so a node's upstream gradient is
    complete when it is reached; its inputs are visited in argument order. ``grads``
    holds d(root)/d(node) for every node reached so far, and for all of them once the
    iteration has ended. This is the one implementation of the chain-rule loop: ``grad``
    (both forms), :func:`viz.trace` and the explorer are built on it, and ``backward``
    is a tight copy of its float form, checked step for step by the tests.

    * ``create_graph=False``: floats. A node whose upstream gradient is 0 passes 0 to its
      inputs without needing its rule (as ``backward``, which skips it); its ``local`` is
      still computed when it can be, for display, else None.
    * ``create_graph=True``: Values, recorded even under ``no_grad``: the gradients are
      nodes of a new graph that reaches back to the leaves, differentiable again. A
      partial that is the constant 0 adds nothing (and no node).

    Errors are those of ``backward``: a rule that fails where it is needed raises (the
    message names the operation and its inputs), and so does a gradient that is not
    finite at the end, naming its node.
    """

    def __init__(self, root: Value, *, create_graph: bool = False, name: str = "grad") -> None:
        self.root = root
        self.order = toposort(root)
        self.create_graph = create_graph
        self.name = name  # who is walking, for error messages ("grad", "trace", ...)
        self.grads: dict[Value, Any] = {}

    def __iter__(self) -> Iterator[Step]:
        return self._values() if self.create_graph else self._floats()

    def _floats(self) -> Iterator[Step]:
        new_step = tuple.__new__  # Step(...) without NamedTuple's Python-level __new__
        grads = self.grads
        grads.clear()
        grads[self.root] = 1.0  # d root / d root
        for node in reversed(self.order):
            prim = node._prim
            if prim is None:
                continue
            g = grads[node]
            a, b = node._a, node._b
            try:
                local = (
                    prim.deriv(a.data, node.data)
                    if b is None
                    else prim.deriv(a.data, b.data, node.data)
                )
            except Exception as err:  # a user's rule may raise anything
                if g != 0.0 or not isinstance(err, (ArithmeticError, ValueError)):
                    raise _rethrow(err, node, self.name) from err
                local = (None, None)  # undefined here, but nothing flows through it
            for k, parent in enumerate((a,) if b is None else (a, b)):
                d = local[k]
                # chain rule: parent gradient += upstream gradient * local derivative
                contribution = 0.0 if g == 0.0 or d is None else g * d
                grads[parent] = grads.get(parent, 0.0) + contribution
                yield new_step(Step, (node, parent, k, g, d, contribution))
        _check_finite(grads, self.name)

    def _values(self) -> Iterator[Step]:
        from autograd.value import Value, enable_grad

        grads = self.grads
        grads.clear()
        with enable_grad():
            grads[self.root] = Value(1.0)
        for node in reversed(self.order):
            prim = node._prim
            g = grads.get(node)
            if prim is None or g is None:  # g None: only constant-0 partials reach it
                continue
            # Each node's steps are computed with recording on, and handed out after: the
            # mode is never held across a ``yield`` (a walk left half-iterated leaks nothing).
            with enable_grad():
                steps = self._node_steps(node, g)
            yield from steps
        _check_finite(grads, self.name)

    def _node_steps(self, node: Value, g: Any) -> list[Step]:
        grads = self.grads
        parents = node.parents
        try:
            # The rule sees Values, so the partials it returns are graph nodes (or exact
            # constants such as 1.0 for +), differentiable again.
            local = node._prim.deriv(*parents, node)
        except Exception as err:  # a user's rule may raise anything
            raise _rethrow(err, node, self.name) from err
        steps = []
        for k, parent in enumerate(parents):
            d = local[k]
            if type(d) is float:  # a constant partial: keep the new graph small
                if d == 0.0:
                    steps.append(Step(node, parent, k, g, d, 0.0))
                    continue
                contribution = g if d == 1.0 else g * d
            else:
                contribution = g * d
            old = grads.get(parent)
            grads[parent] = contribution if old is None else old + contribution
            steps.append(Step(node, parent, k, g, d, contribution))
        return steps


def _check_finite(grads: dict[Value, Any], who: str) -> None:
    for node, g in grads.items():
        x = g if type(g) is float else float(g)
        if x - x != 0.0:  # inf - inf and nan - nan are nan
            raise OverflowError(f"{who}: the gradient of {node!r} overflowed to {x!r}")


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d(output)/d(x) for each x in ``inputs``, leaving every ``.grad`` untouched.

    With ``create_graph=False`` the results are floats. With ``create_graph=True`` they
    are Values whose graph reaches back to the inputs, so they can be differentiated
    again (second, third, ... derivatives). An input that ``output`` does not depend on
    has derivative 0. A gradient that overflows raises ``OverflowError`` naming its node,
    as ``backward`` does.
    """
    from autograd.value import Value

    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value):
        inputs = [inputs]
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    walk = Walk(output, create_graph=create_graph)
    for _ in walk:
        pass
    if not create_graph:
        return [float(walk.grads.get(x, 0.0)) for x in inputs]
    result = []
    for x in inputs:
        g = walk.grads.get(x)
        result.append(Value(0.0) if g is None else g)
    return result


_gc_lock = threading.Lock()
_gc_pauses = 0  # how many gc_paused() blocks are open, in all threads
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a big graph is built and walked.

    A graph is acyclic (nodes point only at their parents), so reference counting frees
    it as soon as the last reference goes; the collector would only re-scan the live
    nodes again and again (a quarter to a third of the time of building a big graph).
    The collector is process-wide: the first block to open pauses it and the last to
    close (in whatever thread) turns it back on if it was on, so threads never leave it
    switched off for each other.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
