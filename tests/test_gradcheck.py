"""gradcheck: its report, its verdicts, and its kink detection."""

from __future__ import annotations

import math

import pytest

from autograd import GradcheckReport, Value, gradcheck, primitive


def test_report_for_a_smooth_function() -> None:
    report = gradcheck(lambda a, b: (a * b).tanh() + a.exp() / b, [0.3, Value(1.2, "b")])
    assert isinstance(report, GradcheckReport)
    assert report.ok and bool(report) and len(report) == 2
    assert report[1].label == "b" and report[1].value == 1.2
    for row in report.rows:
        assert row.abs_err < 1e-8 and row.rel_err < 1e-8 and not row.kink
    text = str(report)
    assert "all inputs agree" in text and "b" in text


def test_a_wrong_derivative_is_caught() -> None:
    # tanh with a wrong rule: 1 - out instead of 1 - out^2
    wrong = primitive("wrong_tanh", math.tanh, lambda x, out: (1.0 - out,))
    report = gradcheck(lambda a: wrong(a), [0.8])
    assert not report.ok
    assert report[0].abs_err > 0.1
    assert "MISMATCH" in str(report)


def test_kink_is_reported() -> None:
    report = gradcheck(lambda a, b: a.relu() * b, [0.0, 2.0])
    assert report[0].kink and "kink" in report[0].note
    assert not report[1].kink and report[1].ok  # b's difference never crosses the kink
    assert report.kinks == (0,)


def test_near_a_kink_within_eps_is_reported() -> None:
    report = gradcheck(lambda a: (a - 1e-7).step() + a, [0.0])
    assert report[0].kink


def test_inputs_are_not_modified() -> None:
    x = Value(0.5)
    gradcheck(lambda a: a * a, [x])
    assert x.grad == 0.0


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="Value"):
        gradcheck(lambda a: 3.0, [1.0])  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda a: a, [1.0], eps=0.0)
    with pytest.raises(TypeError, match="str"):
        gradcheck(lambda a: a, ["x"])  # type: ignore[list-item]
