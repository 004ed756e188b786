"""Evaluation without a graph: the numpy losses against ``nn.losses``, and torch.

``nn.evaluate.numpy_loss`` computes a data set's mean loss with array operations; each
named loss must equal the mean of its scalar ``nn.losses`` function (the one training
differentiates) on the same outputs and targets, and PyTorch's own losses where torch is
installed. A numpy loss that returned 0 for ``squared_error``, or doubled ``mse``, fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, no_grad
from nn import MLP
from nn.evaluate import evaluate, numpy_loss
from nn.losses import binary_cross_entropy, cross_entropy, mse, squared_error

settings_shapes = st.tuples(st.integers(1, 12), st.integers(2, 5))


def _scalar_mean(fn, out: np.ndarray, y: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    with no_grad():
        values = [
            fn([Value(o) for o in row], t) for row, t in zip(out.tolist(), y.tolist(), strict=True)
        ]
    return float(np.mean([v.data for v in values]))


@given(shape=settings_shapes, seed=st.integers(0, 2**32 - 1))
def test_numpy_cross_entropy_equals_the_scalar_loss(shape: tuple[int, int], seed: int) -> None:
    n, k = shape
    rng = np.random.default_rng(seed)
    out = rng.normal(scale=3.0, size=(n, k))
    y = rng.integers(0, k, size=n)
    got = numpy_loss("cross_entropy", None, out, out, y)  # type: ignore[arg-type]
    assert got == pytest.approx(_scalar_mean(cross_entropy, out, y), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("name", "fn"), [("squared_error", squared_error), ("mse", mse)])
@given(shape=settings_shapes, seed=st.integers(0, 2**32 - 1))
def test_numpy_squared_losses_equal_the_scalar_losses(
    name: str, fn: object, shape: tuple[int, int], seed: int
) -> None:
    n, k = shape
    rng = np.random.default_rng(seed)
    out, y = rng.normal(size=(n, k)), rng.normal(size=(n, k))
    got = numpy_loss(name, None, out, out, y)  # type: ignore[arg-type]
    assert got == pytest.approx(_scalar_mean(fn, out, y), rel=1e-12, abs=1e-15)
    assert got > 0


@given(seed=st.integers(0, 2**32 - 1))
def test_numpy_binary_cross_entropy_equals_the_scalar_loss_of_a_sigmoid_network(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    net = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=seed % 1000)
    X = rng.normal(size=(6, 2))
    y = rng.integers(0, 2, size=6)
    out = net.forward_numpy(X)
    got = numpy_loss("binary_cross_entropy", net, out, X, y)
    with no_grad():
        scalar = np.mean(
            [
                binary_cross_entropy(net(list(x))[0], float(t)).data
                for x, t in zip(X, y, strict=True)
            ]
        )
    assert got == pytest.approx(float(scalar), rel=1e-10)


def test_evaluate_reports_the_loss_and_accuracy_of_an_independent_forward_pass() -> None:
    net = MLP(2, [4, 3], activation="relu", seed=3)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), rng.integers(0, 3, size=20)
    loss, acc = evaluate(net, X, y, "cross_entropy")
    # by hand with numpy matrix products (the lecture's style), not the library's kernels
    h = np.maximum(X @ np.array(net.layers[0].weights).T + np.array(net.layers[0].biases), 0)
    z = h @ np.array(net.layers[1].weights).T + np.array(net.layers[1].biases)
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-logp[np.arange(20), y].mean(), rel=1e-12)
    assert acc == np.mean(z.argmax(axis=1) == y)


def test_numpy_losses_against_torch(torch: Any) -> None:
    rng = np.random.default_rng(1)
    out, y = rng.normal(size=(7, 3)), rng.integers(0, 3, size=7)
    t_out = torch.tensor(out, dtype=torch.float64)
    assert numpy_loss("cross_entropy", None, out, out, y) == pytest.approx(  # type: ignore[arg-type]
        torch.nn.functional.cross_entropy(t_out, torch.tensor(y)).item(), rel=1e-13
    )
    target = rng.normal(size=(7, 3))
    t_target = torch.tensor(target, dtype=torch.float64)
    assert numpy_loss("mse", None, out, out, target) == pytest.approx(  # type: ignore[arg-type]
        torch.nn.functional.mse_loss(t_out, t_target).item(), rel=1e-13
    )
    assert numpy_loss("squared_error", None, out, out, target) == pytest.approx(  # type: ignore[arg-type]
        0.5 * 3 * torch.nn.functional.mse_loss(t_out, t_target).item(), rel=1e-13
    )
