"""Semantics of backward: accumulation, shared nodes, depth, no_grad, order, rollback."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given

from autograd import Value, enable_grad, is_grad_enabled, no_grad, scope, toposort
from autograd.testing import graphs


def test_leaf_gradients_accumulate_across_calls_like_pytorch() -> None:
    x = Value(3.0)
    y = x * x  # dy/dx = 2x = 6
    y.backward()
    y.backward()
    assert x.grad == 12.0


def test_interior_gradients_hold_the_latest_call_only() -> None:
    x = Value(3.0)
    h = x * 2.0
    y = h * h  # dy/dh = 2h = 12
    y.backward()
    y.backward()
    assert h.grad == 12.0  # not 24: interior grads are reset by each call
    assert y.grad == 1.0
    assert x.grad == 48.0  # leaves accumulate: 2 * (dy/dx = 24)


def test_backward_from_an_interior_node_after_another_pass() -> None:
    x = Value(2.0)
    f = x * 3.0
    g = f + 1.0
    g.backward()
    f.backward()
    assert f.grad == 1.0  # d f / d f from the latest call
    assert x.grad == 6.0  # 3 (through g) + 3 (through f)


def test_backward_on_a_leaf_seeds_one() -> None:
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_shared_subexpression_x_times_x_plus_x() -> None:
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1 = 7
    y.backward()
    assert y.data == 12.0
    assert x.grad == 7.0


def test_diamond_reuses_a_node_exactly() -> None:
    x = Value(0.5)
    a = x.tanh()
    y = a * a + a.exp() - a / 3  # dy/da = 2a + e^a - 1/3, then times 1 - a^2
    y.backward()
    import math

    t = math.tanh(0.5)
    assert x.grad == pytest.approx((2 * t + math.exp(t) - 1 / 3) * (1 - t * t), rel=1e-14)


def test_same_leaf_twice_in_one_op() -> None:
    x = Value(-1.5)
    (x + x).backward()
    assert x.grad == 2.0


def test_a_million_node_chain_with_the_default_recursion_limit() -> None:
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    v = x
    for _ in range(1_000_000):
        v = v + 1.0
    v.backward()
    assert sys.getrecursionlimit() == limit
    assert v.data == 1_000_001.0
    assert x.grad == 1.0


def test_no_grad_records_no_parents_and_restores_the_mode() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3 + 1
        z = y.tanh()
        with enable_grad():
            w = x * 2
    assert is_grad_enabled()
    assert y.data == 7.0 and y.parents == () and y.op == "" and z.parents == ()
    assert w.parents[0] is x
    z.backward()
    assert x.grad == 0.0  # nothing flows through a no_grad result


def test_no_grad_restores_the_mode_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0.0
    assert is_grad_enabled()


def test_scope_tags_nodes_and_nests() -> None:
    x = Value(1.0)
    with scope("layer"):
        with scope("neuron"):
            a = x * 2
        b = a + 1
    c = b * 3
    assert a.scope == ("layer", "neuron")
    assert b.scope == ("layer",)
    assert c.scope == ()


@given(graphs())
def test_toposort_puts_every_node_after_its_parents_once(case) -> None:  # type: ignore[no-untyped-def]
    fn, point = case
    out = fn(*[Value(x) for x in point])
    order = toposort(out)
    position = {id(node): k for k, node in enumerate(order)}
    assert len(position) == len(order)  # each node once
    assert order[-1] is out
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_toposort_is_deterministic() -> None:
    x, y = Value(1.0, "x"), Value(2.0, "y")
    out = (x * y + x).tanh() * (y - x)
    first = [(n.label, n.op, n.data) for n in toposort(out)]
    second = [(n.label, n.op, n.data) for n in toposort(out)]
    assert first == second
    assert [n.op for n in toposort(out)] == ["", "", "*", "+", "tanh", "-", "*"]


def test_failed_backward_restores_every_grad_and_names_the_op() -> None:
    x = Value(0.0, "x")
    other = Value(2.0, "w")
    other.grad = 0.25  # left over from an earlier pass
    y = x**0.5 * other  # d sqrt(x)/dx is infinite at 0
    with pytest.raises(
        ZeroDivisionError, match=r"backward through '\*\*0.5' at input\(s\) \(0.0\)"
    ):
        y.backward()
    assert x.grad == 0.0 and other.grad == 0.25 and y.grad == 0.0


def test_gradient_overflow_is_reported_and_rolled_back() -> None:
    x = Value(1e-200, "x")
    y = 1.0 / x  # y = 1e200 is fine, but dy/dx = -1 / x^2 = -1e400 is not a float
    with pytest.raises(OverflowError, match="overflowed"):
        y.backward()
    assert x.grad == 0.0


def test_pow_with_value_exponent_needs_positive_base_for_its_gradient() -> None:
    x, n = Value(-2.0), Value(2.0)
    y = x**n
    assert y.data == 4.0
    with pytest.raises(ValueError, match="exponent"):
        y.backward()
    assert x.grad == 0.0 and n.grad == 0.0
