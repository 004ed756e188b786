"""Value construction, operators, and the errors promised for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value


class TestConstruction:
    def test_attributes_of_a_leaf(self) -> None:
        v = Value(3, "x")
        assert v.data == 3.0 and type(v.data) is float
        assert v.grad == 0.0
        assert v.label == "x"
        assert v.op == ""
        assert v.parents == ()
        assert v.is_leaf()

    def test_numpy_scalars_are_numbers(self) -> None:
        assert Value(np.float32(1.5)).data == 1.5
        assert Value(np.int64(-7)).data == -7.0

    @pytest.mark.parametrize(
        ("bad", "type_name"),
        [("1", "str"), (None, "NoneType"), ([1], "list"), (1j, "complex"), (True, "bool")],
    )
    def test_non_numbers_raise_type_error_naming_the_type(
        self, bad: object, type_name: str
    ) -> None:
        with pytest.raises(TypeError, match=type_name):
            Value(bad)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_non_finite_data_is_refused(self, bad: float) -> None:
        with pytest.raises(ValueError, match="finite"):
            Value(bad)

    def test_huge_int_is_refused_with_its_value(self) -> None:
        with pytest.raises(OverflowError, match="too large"):
            Value(10**400)

    def test_label_must_be_a_string(self) -> None:
        with pytest.raises(TypeError, match="label"):
            Value(1.0, 5)  # type: ignore[arg-type]

    def test_repr_shows_data_grad_label_and_op(self) -> None:
        v = Value(2.0, "w") * 3
        assert repr(Value(2.0, "w")) == "Value(data=2.0, grad=0.0, label='w')"
        assert repr(v) == "Value(data=6.0, grad=0.0, op='*')"


class TestOperators:
    @pytest.mark.parametrize(
        ("expr", "expected", "op"),
        [
            (lambda a, b: a + b, 5.0, "+"),
            (lambda a, b: a - b, -1.0, "-"),
            (lambda a, b: a * b, 6.0, "*"),
            (lambda a, b: a / b, 2.0 / 3.0, "/"),
            (lambda a, b: a**b, 8.0, "pow"),
            (lambda a, b: -a, -2.0, "neg"),
            (lambda a, b: a**2, 4.0, "**2"),
            (lambda a, b: a**0.5, math.sqrt(2.0), "**0.5"),
        ],
    )
    def test_value_op_value(self, expr, expected: float, op: str) -> None:  # type: ignore[no-untyped-def]
        out = expr(Value(2.0), Value(3.0))
        assert out.data == pytest.approx(expected, rel=1e-15)
        assert out.op == op

    def test_numbers_on_either_side(self) -> None:
        x = Value(4.0)
        assert (x + 1).data == 5.0 and (1 + x).data == 5.0
        assert (x - 1).data == 3.0 and (1 - x).data == -3.0
        assert (x * 2).data == 8.0 and (2 * x).data == 8.0
        assert (x / 2).data == 2.0 and (2 / x).data == 0.5
        assert (x**2).data == 16.0 and (2**x).data == 16.0
        assert (+x) is x

    def test_constant_operands_become_leaves(self) -> None:
        out = 2.5 * Value(4.0)
        const, x = out.parents
        assert const.is_leaf() and const.data == 2.5 and x.data == 4.0

    def test_numpy_scalar_on_the_left_gives_a_value(self) -> None:
        out = np.float64(2.0) * Value(3.0)
        assert isinstance(out, Value) and out.data == 6.0

    def test_unsupported_operand_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="unsupported operand"):
            Value(1.0) + "a"  # type: ignore[operator]
        with pytest.raises(TypeError):
            Value(1.0) * None  # type: ignore[operator]

    def test_float_conversion_and_item(self) -> None:
        v = Value(2.5) * 2
        assert float(v) == 5.0 and v.item() == 5.0

    def test_values_hash_by_identity(self) -> None:
        a, b = Value(1.0), Value(1.0)
        assert a != b and a == a
        assert len({a, b, a}) == 2


class TestActivations:
    @pytest.mark.parametrize(
        ("method", "x", "expected"),
        [
            ("exp", 1.0, math.e),
            ("log", math.e, 1.0),
            ("tanh", 0.5, math.tanh(0.5)),
            ("sigmoid", 0.0, 0.5),
            ("sigmoid", 2.0, 1 / (1 + math.exp(-2.0))),
            ("relu", -3.0, 0.0),
            ("relu", 3.0, 3.0),
            ("softplus", 0.0, math.log(2.0)),
            ("softplus", 3.0, math.log1p(math.exp(3.0))),
            ("step", -0.1, 0.0),
            ("step", 0.0, 1.0),  # the lecture's binary step is 1 for x >= 0
            ("step", 0.1, 1.0),
        ],
    )
    def test_forward_values(self, method: str, x: float, expected: float) -> None:
        out = getattr(Value(x), method)()
        assert out.data == pytest.approx(expected, rel=1e-14)
        assert out.op == method

    @pytest.mark.parametrize("method", ["sigmoid", "tanh", "softplus"])
    @pytest.mark.parametrize("x", [-1e4, -745.0, -50.0, 50.0, 710.0, 1e4])
    def test_saturating_functions_and_their_gradients_stay_finite(
        self, method: str, x: float
    ) -> None:
        v = Value(x)
        out = getattr(v, method)()
        out.backward()
        assert math.isfinite(out.data) and math.isfinite(v.grad)

    def test_logaddexp_is_exact_and_stable(self) -> None:
        assert Value(1.0).logaddexp(2.0).data == pytest.approx(
            math.log(math.e + math.e**2), rel=1e-15
        )
        assert Value(3.0).logaddexp(Value(3.0)).data == pytest.approx(
            3.0 + math.log(2.0), rel=1e-15
        )
        assert Value(1e4).logaddexp(-1e4).data == 1e4
        a, b = Value(-1e4), Value(-1e4 + 1.0)
        out = a.logaddexp(b)
        out.backward()
        assert out.data == pytest.approx(-1e4 + 1.0 + math.log1p(math.exp(-1.0)), rel=1e-15)
        # the partials are the softmax weights
        assert (a.grad, b.grad) == pytest.approx(
            (1 / (1 + math.e), math.e / (1 + math.e)), rel=1e-14
        )

    def test_saturated_limits(self) -> None:
        assert Value(1e4).sigmoid().data == 1.0
        assert Value(-1e4).sigmoid().data == 0.0
        assert Value(1e4).softplus().data == 1e4
        assert Value(-1e4).softplus().data == 0.0
        assert Value(-1e4).tanh().data == -1.0


class TestErrors:
    @pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
    def test_log_of_non_positive_names_op_and_value(self, x: float) -> None:
        with pytest.raises(ValueError, match=rf"log\({x!r}\)"):
            Value(x).log()

    def test_division_by_zero_names_the_operands(self) -> None:
        with pytest.raises(ZeroDivisionError, match=r"3\.0 / 0\.0"):
            Value(3.0) / Value(0.0)
        with pytest.raises(ZeroDivisionError, match=r"3\.0 / 0\.0"):
            Value(3.0) / 0
        with pytest.raises(ZeroDivisionError, match=r"1\.0 / 0\.0"):
            1 / Value(0.0)

    def test_zero_to_a_negative_power(self) -> None:
        with pytest.raises(ZeroDivisionError, match=r"0\.0 \*\* -1"):
            Value(0.0) ** -1

    def test_negative_base_with_fractional_exponent(self) -> None:
        with pytest.raises(ValueError, match=r"-8\.0 \*\* 0\.5"):
            Value(-8.0) ** 0.5
        assert (Value(-2.0) ** 3).data == -8.0  # integer exponents are fine

    def test_exp_overflow_names_the_input(self) -> None:
        with pytest.raises(OverflowError, match=r"exp\(710\.0\)"):
            Value(710.0).exp()

    def test_pow_overflow_names_the_operands(self) -> None:
        with pytest.raises(OverflowError, match=r"10\.0 \*\* 400"):
            Value(10.0) ** 400

    def test_arithmetic_overflow_is_an_error_not_inf(self) -> None:
        with pytest.raises(OverflowError, match=r"\*"):
            Value(1e200) * Value(1e200)
        with pytest.raises(OverflowError, match=r"\+"):
            Value(1.7e308) + 1.7e308

    @pytest.mark.parametrize("bad", [math.nan, math.inf])
    def test_non_finite_constant_operand_is_refused(self, bad: float) -> None:
        with pytest.raises(ValueError, match="finite"):
            Value(1.0) * bad
        with pytest.raises(ValueError, match="finite"):
            bad + Value(1.0)

    def test_non_finite_exponent_is_refused(self) -> None:
        with pytest.raises(ValueError, match="exponent"):
            Value(2.0) ** math.inf
