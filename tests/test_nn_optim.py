"""Optimizers against steps computed by hand (torch semantics)."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn.optim import SGD, Adam, Optimizer


def params_with_grads(data: list[float], grads: list[float]) -> list[Value]:
    ps = [Value(d) for d in data]
    for p, g in zip(ps, grads, strict=True):
        p.grad = g
    return ps


def test_sgd_step_is_p_minus_lr_grad() -> None:
    ps = params_with_grads([1.0, -2.0], [0.5, -4.0])
    SGD(ps, lr=0.1).step()
    assert [p.data for p in ps] == pytest.approx([1.0 - 0.05, -2.0 + 0.4])


def test_sgd_momentum_accumulates_velocity() -> None:
    (p,) = params_with_grads([1.0], [2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v = 2, p = 1 - 0.2
    assert p.data == pytest.approx(0.8)
    p.grad = 1.0
    opt.step()  # v = 0.9 * 2 + 1 = 2.8, p = 0.8 - 0.28
    assert opt.velocity == pytest.approx([2.8])
    assert p.data == pytest.approx(0.52)
    p.grad = 0.0
    opt.step()  # v = 2.52 keeps moving p with no gradient
    assert p.data == pytest.approx(0.52 - 0.252)


def test_adam_first_two_steps_by_hand() -> None:
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    (p,) = params_with_grads([1.0], [0.5])
    opt = Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    opt.step()
    # step 1: m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25 -> step lr * 0.5 / (0.5 + eps)
    m, v = (1 - b1) * 0.5, (1 - b2) * 0.25
    m_hat, v_hat = m / (1 - b1), v / (1 - b2)
    expected = 1.0 - lr * m_hat / (math.sqrt(v_hat) + eps)
    assert p.data == pytest.approx(expected, rel=1e-14)
    assert p.data == pytest.approx(1.0 - lr, rel=1e-6)  # Adam's first step is about lr
    p.grad = -1.0
    opt.step()
    m, v = b1 * m + (1 - b1) * -1.0, b2 * v + (1 - b2) * 1.0
    m_hat, v_hat = m / (1 - b1**2), v / (1 - b2**2)
    expected -= lr * m_hat / (math.sqrt(v_hat) + eps)
    assert p.data == pytest.approx(expected, rel=1e-14)
    assert opt.steps == 2


def test_zero_grad_and_shared_parameters() -> None:
    a, b = params_with_grads([1.0, 2.0], [3.0, 4.0])
    opt = SGD([a, b, a], lr=1.0)
    assert opt.params == [a, b]  # a listed twice is updated once
    opt.step()
    assert (a.data, b.data) == (-2.0, -2.0)
    opt.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_optimizers_minimise_a_quadratic() -> None:
    for make in (lambda ps: SGD(ps, 0.1), lambda ps: SGD(ps, 0.05, 0.9), lambda ps: Adam(ps, 0.1)):
        x = Value(3.0)
        opt: Optimizer = make([x])
        for _ in range(200):
            opt.zero_grad()
            loss = (x - 1.0) ** 2
            loss.backward()
            opt.step()
        assert x.data == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: SGD(p, lr=0.0), r"lr must be in \(0, inf\), got 0"),
        (lambda p: SGD(p, lr=-1), "lr"),
        (lambda p: SGD(p, lr=float("nan")), "lr"),
        (lambda p: SGD(p, lr=0.1, momentum=1.0), r"momentum must be in \[0, 1\), got 1.0"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.1), "momentum"),
        (lambda p: Adam(p, lr=0), "lr"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), r"betas\[1\]"),
        (lambda p: Adam(p, betas=(-0.1, 0.9)), r"betas\[0\]"),
        (lambda p: Adam(p, betas=0.9), "pair"),
        (lambda p: Adam(p, eps=-1.0), "eps"),
        (lambda p: SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_bad_settings(make, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make([Value(1.0)])


def test_params_must_be_values() -> None:
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value, got float"):
        SGD([Value(1.0), 2.0], lr=0.1)  # type: ignore[list-item]


def test_create_by_name_builds_the_same_optimizer() -> None:
    from nn.optim import NAMES, create

    assert NAMES == ("sgd", "adam")
    sgd = create("sgd", [Value(1.0)], 0.1, momentum=0.5, weight_decay=0.01)
    assert isinstance(sgd, SGD)
    assert (sgd.lr, sgd.momentum, sgd.weight_decay) == (0.1, 0.5, 0.01)
    adam = create("adam", [Value(1.0)], 0.01)
    assert isinstance(adam, Adam) and adam.lr == 0.01
    # One step of each against the hand formula: SGD p - lr*g, Adam p - lr*sign(g).
    ps = params_with_grads([1.0], [2.0])
    create("sgd", ps, 0.1).step()
    assert ps[0].data == pytest.approx(1.0 - 0.1 * 2.0, abs=1e-15)
    ps = params_with_grads([1.0], [2.0])
    create("adam", ps, 0.01).step()
    assert ps[0].data == pytest.approx(1.0 - 0.01, abs=1e-7)


def test_create_refuses_an_unknown_name_and_adam_momentum() -> None:
    from nn.optim import create

    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop': choose one of sgd, adam"):
        create("rmsprop", [Value(1.0)], 0.1)
    with pytest.raises(ValueError, match="momentum applies to optimizer='sgd' only"):
        create("adam", [Value(1.0)], 0.1, momentum=0.9)


@pytest.mark.parametrize("make", [lambda p: SGD(p, 0.1, momentum=0.9), lambda p: Adam(p, 0.01)])
def test_step_values_is_step_without_touching_the_values(make) -> None:
    import numpy as np

    start, grads = [1.0, -2.0, 0.5], [0.3, -0.1, 2.0]
    by_step = params_with_grads(start, grads)
    a = make(by_step)
    on_array = params_with_grads(start, grads)
    b = make(on_array)
    values = b.values()
    assert values.tolist() == start
    for _ in range(3):
        a.step()
        b.step_values(values, np.array(grads))
    # the array holds what step() wrote, bit for bit; the Values are untouched until store
    assert values.tolist() == [p.data for p in by_step]
    assert [p.data for p in on_array] == start
    b.store(values)
    assert [p.data for p in on_array] == [p.data for p in by_step]
    assert a.steps == b.steps == 3
    with pytest.raises(ValueError, match=r"grads must have shape \(3,\), got \(2,\)"):
        b.step_values(values, np.zeros(2))
    with pytest.raises(ValueError, match=r"values must be a float64 array of shape \(3,\)"):
        b.step_values(np.zeros(4), np.zeros(3))
