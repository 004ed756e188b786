"""Losses: values by hand, gradients against finite differences, stability, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradcheck, toposort
from nn import losses
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse,
    squared_error,
)

floats = st.floats(-5, 5)


def test_every_loss_states_its_formula() -> None:
    for fn in losses.LOSSES.values():
        doc = fn.__doc__ or ""
        assert "l = " in doc.splitlines()[0], fn.__name__


def test_squared_error_on_the_lectures_first_network() -> None:
    # the slide's outputs p = (.8611, .8913) for y = (.01, .99): 1/2 (.8511^2 + .0987^2),
    # worked out by hand in decimals: .36705645 (the slide rounds it to .3671)
    p = [Value(0.8611), Value(0.8913)]
    loss = squared_error(p, [0.01, 0.99])
    assert loss.data == pytest.approx(0.36705645, abs=1e-15)
    loss.backward()
    # d/dp 1/2 (p - y)^2 = p - y: .8511 and -.0987
    assert [v.grad for v in p] == pytest.approx([0.8511, -0.0987], abs=1e-15)


def test_mse_by_hand() -> None:
    # errors 1, 2, 3: squares 1, 4, 9, mean 14/3; gradients 2 e / 3
    p = [Value(1.0), Value(2.0), Value(4.0)]
    loss = mse(p, [0.0, 0.0, 1.0])
    assert loss.data == pytest.approx(4.666666666666667, abs=1e-15)
    loss.backward()
    assert [v.grad for v in p] == pytest.approx([0.6666666666666666, 1.3333333333333333, 2.0])


def test_scalar_prediction_and_target() -> None:
    assert squared_error(Value(3.0), 1.0).data == 2.0
    assert mse(3.0, 1).data == 4.0


def test_cross_entropy_against_values_computed_to_40_digits() -> None:
    # log(e + e^2 + e^0.5) - 2 and the softmax, computed with mpmath at 40 digits
    z = [Value(1.0), Value(2.0), Value(0.5)]
    loss = cross_entropy(z, 1)
    assert loss.data == pytest.approx(0.46436878410794484162, rel=1e-14)
    loss.backward()
    softmax = [0.23122389762214906723, 0.62853171921176244825, 0.14024438316608848452]
    expected = [softmax[0], softmax[1] - 1, softmax[2]]  # softmax minus the one-hot label
    assert [v.grad for v in z] == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("big", [1e4, -1e4, 700.0, 1e300])
def test_cross_entropy_is_finite_for_huge_logits(big: float) -> None:
    for label in (0, 1):
        z = [Value(big), Value(-big)]
        loss = cross_entropy(z, label)
        loss.backward()
        expected = 0.0 if (label == 0) == (big > 0) else 2 * abs(big)
        assert math.isfinite(loss.data)
        assert loss.data == pytest.approx(expected, abs=1e-12)
        assert all(math.isfinite(v.grad) for v in z)
        assert sum(v.grad for v in z) == pytest.approx(0.0, abs=1e-12)


@given(st.lists(floats, min_size=2, max_size=5), st.data())
def test_cross_entropy_gradient_is_softmax_minus_onehot(logits: list[float], data) -> None:
    label = data.draw(st.integers(0, len(logits) - 1))
    z = [Value(v) for v in logits]
    cross_entropy(z, label).backward()
    e = np.exp(np.array(logits) - max(logits))
    expected = e / e.sum()
    expected[label] -= 1
    np.testing.assert_allclose([v.grad for v in z], expected, atol=1e-12)


@given(st.lists(floats, min_size=2, max_size=4), st.data())
def test_cross_entropy_passes_gradcheck(logits: list[float], data) -> None:
    label = data.draw(st.integers(0, len(logits) - 1))
    report = gradcheck(lambda *z: cross_entropy(list(z), label), logits)
    assert report.ok, str(report)


@given(st.lists(st.tuples(floats, floats), min_size=1, max_size=4))
def test_squared_error_and_mse_pass_gradcheck(pairs: list[tuple[float, float]]) -> None:
    targets = [t for _, t in pairs]
    preds = [p for p, _ in pairs]
    assert gradcheck(lambda *p: squared_error(list(p), targets), preds).ok
    assert gradcheck(lambda *p: mse(list(p), targets), preds).ok


@given(st.floats(-30, 30), st.sampled_from([0.0, 1.0, 0.3]))
def test_binary_cross_entropy_from_the_logit(z: float, y: float) -> None:
    p = Value(z).sigmoid()
    loss = binary_cross_entropy(p, y)
    # -[y log s + (1-y) log(1-s)], written with log1p for precision at the extremes
    log_s = -math.log1p(math.exp(-z)) if z > 0 else z - math.log1p(math.exp(z))
    log_1ms = -z + log_s
    assert loss.data == pytest.approx(-(y * log_s + (1 - y) * log_1ms), rel=1e-9, abs=1e-12)
    assert gradcheck(lambda v: binary_cross_entropy(v.sigmoid(), y), [z]).ok
    # the stable path builds on the logit, not through the sigmoid node
    assert p not in toposort(loss)


def test_binary_cross_entropy_is_finite_for_a_saturated_sigmoid() -> None:
    z = Value(1e4)
    loss = binary_cross_entropy(z.sigmoid(), 0)
    loss.backward()
    assert loss.data == 1e4 and z.grad == 1.0  # sigmoid(z) - y
    assert binary_cross_entropy_with_logits(-1e4, 0).data == 0.0


@pytest.mark.parametrize(("p", "y"), [(0.3, 1), (0.3, 0), (0.8, 0.25)])
def test_binary_cross_entropy_from_a_probability(p: float, y: float) -> None:
    v = Value(p)
    loss = binary_cross_entropy(v, y)
    assert loss.data == pytest.approx(-(y * math.log(p) + (1 - y) * math.log(1 - p)))
    assert gradcheck(lambda q: binary_cross_entropy(q, y), [p]).ok


@pytest.mark.parametrize("p", [0.0, 1.0, 1.5, -0.2])
def test_binary_cross_entropy_needs_a_probability(p: float) -> None:
    with pytest.raises(ValueError, match=r"strictly between 0 and 1.*" + str(p)):
        binary_cross_entropy(Value(p), 1)


def test_bad_targets_and_labels() -> None:
    with pytest.raises(ValueError, match="label 2 is out of range for 2 logits"):
        cross_entropy([Value(0.0), Value(1.0)], 2)
    with pytest.raises(ValueError, match="label -1"):
        cross_entropy([Value(0.0), Value(1.0)], -1)
    with pytest.raises(ValueError, match=r"integer class index, got 1\.0"):
        cross_entropy([Value(0.0), Value(1.0)], 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="integer class index"):
        cross_entropy([Value(0.0), Value(1.0)], True)
    assert cross_entropy([Value(0.0), Value(1.0)], np.int64(1)).data > 0
    with pytest.raises(ValueError, match="pred has 2 entries but target has 3"):
        squared_error([Value(0.0), Value(1.0)], [1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        mse([], [])
    with pytest.raises(ValueError, match=r"target must be a number in \[0, 1\], got 2"):
        binary_cross_entropy(Value(0.5), 2)
