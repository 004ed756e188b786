"""The one reverse walk (``autograd.Walk``) and the tight loop of ``backward``.

``backward`` is the float form of the walk written as one loop, because the shared
generator costs it about 2.8x the instructions (callgrind, a 2-16-16-1 MLP over 20
samples: 177M against 493M). These tests are what makes that copy safe: the two visit the
same nodes in the same order, call the same rules on the same numbers, and end with the
same gradients to the last bit, on random graphs with shared sub-expressions.
"""

from __future__ import annotations

import math
import operator
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, Walk, grad, primitive
from autograd.testing import graphs


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)  # tells 0.0 from -0.0, as == does not


@given(graphs())
def test_backward_and_the_walk_end_with_the_same_bits(case: tuple) -> None:
    fn, point = case
    leaves = [Value(x) for x in point]
    out = fn(*leaves)
    out.backward()
    walk = Walk(out)
    steps = list(walk)
    assert len(steps) == sum(len(n.parents) for n in walk.order)
    for node in walk.order:
        # every node, interior or leaf: backward's .grad is the walk's sum, bit for bit
        assert _bits(node.grad) == _bits(walk.grads.get(node, 0.0)), node


# A recording twin of * and tanh: their rules log each call, so the order in which an
# engine applies the chain rule becomes visible.
LOG: list[tuple[str, tuple[float, ...]]] = []


def _logged(name: str, rule: object) -> object:
    def deriv(*args: float) -> tuple:
        LOG.append((name, args))
        return rule(*args)  # type: ignore[operator]

    return deriv


REC_MUL = primitive("recorded_mul", operator.mul, _logged("mul", lambda x, y, out: (y, x)))
REC_TANH = primitive("recorded_tanh", math.tanh, _logged("tanh", lambda x, out: (1.0 - out * out,)))


@st.composite
def recorded_graphs(draw: st.DrawFn) -> tuple[list[float], list[tuple[int, int, int]]]:
    n = draw(st.integers(1, 4))
    point = draw(
        st.lists(st.floats(-1.5, 1.5).filter(lambda v: abs(v) > 1e-3), min_size=n, max_size=n)
    )
    ops = []
    for k in range(draw(st.integers(1, 14))):
        size = n + k
        ops.append(
            (
                draw(st.integers(0, 1)),
                draw(st.integers(0, size - 1)),
                draw(st.integers(0, size - 1)),
            )
        )
    return point, ops


def _build(point: list[float], ops: list[tuple[int, int, int]]) -> Value:
    pool = [Value(x) for x in point]
    for kind, i, j in ops:
        pool.append(REC_MUL(pool[i], pool[j]) if kind else REC_TANH(pool[i]))
    return pool[-1]


@settings(max_examples=60)
@given(recorded_graphs())
def test_backward_applies_the_rules_in_the_walks_order(case: tuple) -> None:
    point, ops = case
    out = _build(point, ops)
    LOG.clear()
    out.backward()
    by_backward = list(LOG)
    LOG.clear()
    walk = Walk(out)
    upstream = {}
    for step in walk:
        upstream[step.node] = step.upstream
    by_walk = list(LOG)
    # The walk applies each interior node's rule once, in reversed topological order.
    visited = [node for node in reversed(walk.order) if not node.is_leaf()]
    assert len(by_walk) == len(visited)
    # backward skips a node whose upstream gradient is 0 (it would pass on only zeros);
    # otherwise: the same rules, on the same numbers, in the same order.
    expected = [call for call, node in zip(by_walk, visited, strict=True) if upstream[node] != 0]
    assert by_backward == expected


def test_a_node_used_twice_gets_one_step_per_use_in_argument_order() -> None:
    x = Value(1.0, "x")
    f = x * x + x
    steps = list(Walk(f))
    into_x = [(s.node.op, s.position, s.contribution) for s in steps if s.parent is x]
    assert into_x == [("+", 1, 1.0), ("*", 0, 1.0), ("*", 1, 1.0)]
    assert grad(f, [x]) == [3.0]


def test_the_walk_with_create_graph_gives_values_equal_to_floats() -> None:
    a, b = Value(0.7), Value(-1.3)
    f = (a * b).tanh() * a + b.sigmoid()
    floats = Walk(f)
    list(floats)
    values = Walk(f, create_graph=True)
    list(values)
    for node in (a, b):
        assert values.grads[node].data == floats.grads[node]
        assert isinstance(values.grads[node], Value) and values.grads[node].parents
