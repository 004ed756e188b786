"""The lecture's worked examples, computed by the engine."""

from __future__ import annotations

import math

import pytest

from autograd import Value


def test_x_plus_y_times_z_matches_the_slide() -> None:
    # Slide "Backpropagation: a simple example": x=-2, y=5, z=-4.
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert f.data == -12.0
    # q = x + y = 3; df/dq = z = -4; df/dz = q = 3; dq/dx = dq/dy = 1
    assert q.data == 3.0
    assert q.grad == -4.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


@pytest.mark.parametrize(
    ("x", "w", "b", "y"),
    [
        ([0.05, 0.1], [0.15, 0.2], 0.45, 0.01),
        ([1.0, -2.0, 0.5], [0.3, -0.1, 0.8], -0.2, 1.0),
        ([3.0], [-1.5], 2.0, 0.0),
    ],
)
def test_sigmoid_neuron_gradient_matches_the_slide_formula(
    x: list[float], w: list[float], b: float, y: float
) -> None:
    # Slide "Backpropagation": z = x.w + b, y_hat = sigma(z), l = 1/2 (y_hat - y)^2.
    ws = [Value(wi) for wi in w]
    bv = Value(b)
    z = bv
    for xi, wi in zip(x, ws, strict=True):
        z = z + wi * xi
    loss = 0.5 * (z.sigmoid() - y) ** 2
    loss.backward()

    z_ref = sum(xi * wi for xi, wi in zip(x, w, strict=True)) + b
    s = 1 / (1 + math.exp(-z_ref))
    dl_dz = (s - y) * s * (1 - s)  # dl/dy_hat * dy_hat/dz
    assert loss.data == pytest.approx(0.5 * (s - y) ** 2, rel=1e-12)
    for xi, wi in zip(x, ws, strict=True):
        assert wi.grad == pytest.approx(dl_dz * xi, rel=1e-12, abs=1e-15)  # dl/dw = dl/dz x
    assert bv.grad == pytest.approx(dl_dz, rel=1e-12)  # dl/db = dl/dz * 1
