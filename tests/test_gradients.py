"""Every derivative rule against central finite differences (property-based)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad
from tests.helpers import backward_grads, central_difference, close
from tests.strategies import PRIMITIVE_CASES, Case, programs


@pytest.mark.parametrize("case", PRIMITIVE_CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_primitive_backward_matches_finite_differences(case: Case, data: st.DataObject) -> None:
    point = data.draw(case.inputs)
    analytic = backward_grads(case.fn, point)
    numeric = central_difference(case.fn, point)
    for a, n in zip(analytic, numeric, strict=True):
        assert close(a, n), f"{case.name} at {point}: backward {a!r}, finite difference {n!r}"


@given(programs())
def test_random_expression_graphs_match_finite_differences(case) -> None:  # type: ignore[no-untyped-def]
    program, point = case
    analytic = backward_grads(lambda *xs: program.build(list(xs)), point)
    numeric = central_difference(lambda *xs: program.build(list(xs)), point)
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        assert close(a, n), (
            f"d/dx{i} at {point}: backward {a!r}, finite difference {n!r}\n{program.describe()}"
        )


@given(programs())
def test_functional_grad_equals_backward_and_leaves_grads_alone(case) -> None:  # type: ignore[no-untyped-def]
    program, point = case
    xs = [Value(x) for x in point]
    out = program.build(xs)
    functional = grad(out, xs)
    assert all(x.grad == 0.0 for x in xs)
    out.backward()
    assert functional == pytest.approx([x.grad for x in xs], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", PRIMITIVE_CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_primitive_second_derivatives_match_finite_differences(
    case: Case, data: st.DataObject
) -> None:
    point = data.draw(case.inputs)
    n = len(point)

    def first(i: int, *values: float) -> float:
        xs = [Value(v) for v in values]
        return grad(case.fn(*xs), xs)[i]

    xs = [Value(v) for v in point]
    firsts = grad(case.fn(*xs), xs, create_graph=True)
    for i in range(n):
        hessian_row = grad(firsts[i], xs)
        for j in range(n):
            # central difference of the (analytic) first derivative
            eps = 1e-6
            up, down = list(point), list(point)
            up[j] += eps
            down[j] -= eps
            numeric = (first(i, *up) - first(i, *down)) / (2 * eps)
            assert close(hessian_row[j], numeric, atol=1e-4, rtol=1e-4), (
                f"{case.name}: d2/dx{i}dx{j} at {point}: {hessian_row[j]!r} vs {numeric!r}"
            )


@given(programs(max_steps=6))
def test_random_graph_second_derivatives_match_finite_differences(case) -> None:  # type: ignore[no-untyped-def]
    program, point = case

    def first(values: list[float]) -> list[float]:
        xs = [Value(v) for v in values]
        return grad(program.build(xs), xs)

    xs = [Value(v) for v in point]
    firsts = grad(program.build(xs), xs, create_graph=True)
    eps = 1e-6
    for i, g in enumerate(firsts):
        row = grad(g, xs)
        for j in range(len(point)):
            up, down = list(point), list(point)
            up[j] += eps
            down[j] -= eps
            numeric = (first(up)[i] - first(down)[i]) / (2 * eps)
            assert close(row[j], numeric, atol=1e-4, rtol=1e-4), (
                f"d2/dx{i}dx{j} at {point}: {row[j]!r} vs {numeric!r}\n{program.describe()}"
            )
