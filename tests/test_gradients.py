"""Derivatives against central finite differences, with the public ``autograd.testing``.

Every primitive of the table is checked row by row in ``tests/test_primitives.py``;
here: the operators as users spell them (a number on either side, ``2 ** x``), random
expression graphs over every built-in primitive, and ``grad`` against ``backward``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, grad
from autograd.testing import assert_gradcheck, graphs, values

# The operators with a number on one side (each a different primitive or spelling).
SPELLINGS: dict[str, tuple[Callable[[Value], Value], tuple[float, float] | None]] = {
    "radd": (lambda a: 3.5 + a, None),
    "rsub": (lambda a: 3.5 - a, None),
    "rmul": (lambda a: -1.5 * a, None),
    "rdiv": (lambda a: 2.0 / (a * a + 0.5), None),
    "div": (lambda a: a / 4.0, None),
    "rpow": (lambda a: 2.0**a, None),
    "pow0.5": (lambda a: a**0.5, (0.0, float("inf"))),
    "pow-1.5": (lambda a: a**-1.5, (0.0, float("inf"))),
    "pow0": (lambda a: a**0, None),
    "neg": (lambda a: -a, None),
    "pos": (lambda a: +a * 2, None),
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
@given(data=st.data())
def test_operator_spellings_match_finite_differences(name: str, data: st.DataObject) -> None:
    fn, domain = SPELLINGS[name]
    x = data.draw(values(domain))
    assert_gradcheck(fn, [x], order=2)


@given(graphs())
def test_random_expression_graphs_match_finite_differences(case) -> None:  # type: ignore[no-untyped-def]
    fn, point = case
    assert_gradcheck(fn, point)


@settings(max_examples=60)
@given(graphs(max_nodes=10))
def test_random_graph_second_derivatives_match_finite_differences(case) -> None:  # type: ignore[no-untyped-def]
    fn, point = case
    assert_gradcheck(fn, point, order=2)


@given(graphs())
def test_functional_grad_equals_backward_and_leaves_grads_alone(case) -> None:  # type: ignore[no-untyped-def]
    fn, point = case
    xs = [Value(x) for x in point]
    out = fn(*xs)
    functional = grad(out, xs)
    assert all(x.grad == 0.0 for x in xs)
    out.backward()
    assert functional == [x.grad for x in xs]  # the same walk: the same bits
