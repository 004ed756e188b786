"""L2 regularisation in the optimizers (``weight_decay``, PyTorch semantics), by hand."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn.optim import SGD, Adam


def test_sgd_weight_decay_adds_wd_times_p_to_the_gradient() -> None:
    p = Value(1.0)
    p.grad = 0.5
    SGD([p], lr=0.1, weight_decay=0.1).step()
    # g' = g + wd * p = 0.5 + 0.1 * 1 = 0.6; p = 1 - 0.1 * 0.6
    assert p.data == pytest.approx(0.94, rel=1e-15)
    assert p.grad == 0.5  # the step never changes p.grad


def test_momentum_weight_decay_two_steps_by_hand() -> None:
    p = Value(2.0)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    p.grad = 1.0
    opt.step()  # g' = 1 + 0.5 * 2 = 2; v = 2; p = 2 - 0.2 = 1.8
    assert p.data == pytest.approx(1.8, rel=1e-15)
    p.grad = 0.0
    opt.step()  # g' = 0 + 0.5 * 1.8 = 0.9; v = 0.9 * 2 + 0.9 = 2.7; p = 1.8 - 0.27
    assert opt.velocity == pytest.approx([2.7], rel=1e-15)
    assert p.data == pytest.approx(1.53, rel=1e-15)


def test_adam_weight_decay_first_step_by_hand() -> None:
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.2
    p = Value(3.0)
    p.grad = -0.4
    Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd).step()
    g = -0.4 + wd * 3.0  # 0.2: the decay term outweighs the gradient, so p decreases
    m_hat, v_hat = g, g * g  # after bias correction the first moments are g and g^2
    assert p.data == pytest.approx(3.0 - lr * m_hat / (math.sqrt(v_hat) + eps), rel=1e-14)
    assert p.data < 3.0


def test_sgd_weight_decay_equals_the_gradient_of_the_l2_penalty() -> None:
    # SGD with weight_decay on loss L is SGD without it on L + (wd/2) * sum p^2.
    wd, lr = 0.3, 0.05

    def run(decay_in_optimizer: bool) -> list[float]:
        ps = [Value(0.7), Value(-1.2)]
        opt = SGD(ps, lr=lr, momentum=0.5, weight_decay=wd if decay_in_optimizer else 0.0)
        for _ in range(25):
            opt.zero_grad()
            loss = (ps[0] * ps[1] - 1.0) ** 2
            if not decay_in_optimizer:
                loss = loss + (wd / 2) * (ps[0] ** 2 + ps[1] ** 2)
            loss.backward()
            opt.step()
        return [p.data for p in ps]

    assert run(True) == pytest.approx(run(False), rel=1e-12)


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, 0.1, weight_decay=0.5), lambda ps: Adam(ps, 0.05, weight_decay=0.5)]
)
def test_weight_decay_moves_the_minimiser_to_the_regularised_one(make) -> None:
    # (x - 1)^2 + (wd/2) x^2 is smallest where 2 (x - 1) + wd x = 0: x = 2 / (2 + wd) = 0.8
    x = Value(3.0)
    opt = make([x])
    for _ in range(2000):
        opt.zero_grad()
        ((x - 1.0) ** 2).backward()
        opt.step()
    assert x.data == pytest.approx(0.8, abs=1e-3)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_weight_decay_is_named(bad: object) -> None:
    with pytest.raises(ValueError, match=r"weight_decay must be in \[0, inf\), got"):
        SGD([Value(1.0)], lr=0.1, weight_decay=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight_decay"):
        Adam([Value(1.0)], weight_decay=bad)  # type: ignore[arg-type]


def test_repr_names_the_decay_only_when_set() -> None:
    assert "weight_decay=0.01" in repr(SGD([Value(1.0)], 0.1, weight_decay=0.01))
    assert "weight_decay" not in repr(Adam([Value(1.0)]))
