"""grad(): the functional API, and exact higher-order derivatives."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, no_grad


def nth_derivatives(fn, x0: float, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    """[f'(x0), f''(x0), ...] by repeated grad(create_graph=True)."""
    x = Value(x0)
    g = fn(x)
    out = []
    for _ in range(n):
        (g,) = grad(g, [x], create_graph=True)
        out.append(g.data)
    return out


@given(st.floats(-3.0, 3.0))
def test_cube_derivatives_are_exact(x: float) -> None:
    assert nth_derivatives(lambda v: v**3, x, 4) == pytest.approx(
        [3 * x * x, 6 * x, 6.0, 0.0], rel=1e-14, abs=1e-14
    )


@given(st.floats(-8.0, 8.0))
def test_sigmoid_derivatives_match_closed_forms(x: float) -> None:
    s = 1 / (1 + math.exp(-x))
    expected = [
        s * (1 - s),
        s * (1 - s) * (1 - 2 * s),
        s * (1 - s) * (1 - 6 * s + 6 * s * s),
    ]
    assert nth_derivatives(lambda v: v.sigmoid(), x, 3) == pytest.approx(
        expected, rel=1e-9, abs=1e-15
    )


@given(st.floats(-4.0, 4.0))
def test_tanh_derivatives_match_closed_forms(x: float) -> None:
    t = math.tanh(x)
    expected = [1 - t * t, -2 * t * (1 - t * t), -2 * (1 - t * t) * (1 - 3 * t * t)]
    assert nth_derivatives(lambda v: v.tanh(), x, 3) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_exp_log_softplus_second_derivatives() -> None:
    x = 0.7
    assert nth_derivatives(lambda v: v.exp(), x, 3) == pytest.approx([math.exp(x)] * 3, rel=1e-15)
    assert nth_derivatives(lambda v: v.log(), x, 3) == pytest.approx(
        [1 / x, -1 / x**2, 2 / x**3], rel=1e-14
    )
    s = 1 / (1 + math.exp(-x))
    assert nth_derivatives(lambda v: v.softplus(), x, 2) == pytest.approx(
        [s, s * (1 - s)], rel=1e-14
    )


def test_relu_and_step_higher_derivatives_are_zero() -> None:
    assert nth_derivatives(lambda v: v.relu(), 1.5, 2) == [1.0, 0.0]
    assert nth_derivatives(lambda v: v.relu(), -1.5, 2) == [0.0, 0.0]
    assert nth_derivatives(lambda v: v.step(), 1.5, 2) == [0.0, 0.0]


def test_mixed_partials_of_a_product() -> None:
    x, y = Value(2.0), Value(-3.0)
    f = x * x * y  # f_x = 2xy, f_y = x^2, f_xy = 2x, f_xx = 2y
    fx, fy = grad(f, [x, y], create_graph=True)
    assert (fx.data, fy.data) == (-12.0, 4.0)
    assert grad(fx, [x, y]) == [-6.0, 4.0]
    assert grad(fy, [x, y]) == [4.0, 0.0]


def test_power_with_value_exponent_second_derivative() -> None:
    # d/dy x^y = x^y ln x; d2/dy2 = x^y ln^2 x
    x, y = Value(2.0), Value(3.0)
    (gy,) = grad(x**y, [y], create_graph=True)
    assert gy.data == pytest.approx(8 * math.log(2.0), rel=1e-15)
    assert grad(gy, [y]) == pytest.approx([8 * math.log(2.0) ** 2], rel=1e-14)


def test_grad_leaves_every_grad_untouched() -> None:
    x = Value(1.5)
    h = x.tanh()
    y = h * x
    x.grad, h.grad = 0.5, 0.25
    grad(y, [x])
    grad(y, [x], create_graph=True)
    assert (x.grad, h.grad, y.grad) == (0.5, 0.25, 0.0)


def test_unused_input_has_zero_derivative() -> None:
    x, unused = Value(2.0), Value(5.0)
    assert grad(x * x, [x, unused]) == [4.0, 0.0]
    result = grad(x * x, [unused], create_graph=True)
    assert isinstance(result[0], Value) and result[0].data == 0.0


def test_single_value_as_inputs() -> None:
    x = Value(3.0)
    assert grad(x * x, x) == [6.0]


def test_create_graph_works_inside_no_grad() -> None:
    x = Value(3.0)
    y = x**3
    with no_grad():
        (g,) = grad(y, [x], create_graph=True)
    assert g.data == 27.0
    assert grad(g, [x]) == [18.0]


def test_grad_argument_errors() -> None:
    with pytest.raises(TypeError, match="output"):
        grad(3.0, [Value(1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        grad(Value(1.0), [Value(1.0), 2.0])  # type: ignore[list-item]


def test_grad_failure_names_the_operation() -> None:
    x = Value(0.0)
    with pytest.raises(ZeroDivisionError, match=r"\*\*0.5"):
        grad(x**0.5, [x])
