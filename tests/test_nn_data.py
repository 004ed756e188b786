"""Data sets: shapes, labels, balance, determinism, the split, and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn import data

NAMES = list(data.DATASETS)


def test_the_five_data_sets() -> None:
    assert NAMES == ["moons", "circles", "xor", "gaussians", "spiral"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [1, 2, 7, 200])
def test_shape_dtype_labels_and_balance(name: str, n: int) -> None:
    X, y = data.load(name, n, noise=0.1, seed=3)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}
    assert (np.sum(y == 0), np.sum(y == 1)) == (n // 2, n - n // 2)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_for_a_seed_and_different_across_seeds(name: str) -> None:
    first, labels = data.load(name, 50, 0.1, seed=5)
    again, labels_again = data.load(name, 50, 0.1, seed=5)
    assert np.array_equal(first, again) and np.array_equal(labels, labels_again)
    other, _ = data.load(name, 50, 0.1, seed=6)
    assert not np.array_equal(first, other)


def test_noise_zero_gives_the_exact_shapes() -> None:
    X, y = data.moons(100, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)  # unit half circle at the origin
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    X, y = data.circles(100, noise=0.0, factor=0.5)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.5)
    X, y = data.xor(100, noise=0.0)
    assert np.all((X[:, 0] * X[:, 1] > 0) == (y == 1))
    X, y = data.gaussians(400, noise=0.0)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-1, -1], atol=0.1)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [1, 1], atol=0.1)
    X, y = data.spiral(100, noise=0.0)
    assert np.all(np.hypot(*X.T) < 2.0) and np.hypot(*X.T).max() > 1.9  # radius 0 to 2


def test_rows_are_shuffled() -> None:
    _, y = data.moons(100, seed=0)
    assert not (np.all(y[:50] == 0) and np.all(y[50:] == 1))


@given(st.integers(2, 300), st.floats(0.05, 0.95), st.integers(0, 10))
def test_train_test_split(n: int, fraction: float, seed: int) -> None:
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n)
    n_test = int(np.ceil(fraction * n))
    if n_test >= n:
        with pytest.raises(ValueError, match="no training data"):
            data.train_test_split(X, y, fraction, seed)
        return
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, fraction, seed)
    assert len(y_te) == n_test and len(y_tr) == n - n_test
    # a partition of the rows, rows kept together
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(n))
    assert np.array_equal(X_tr[:, 0], 2 * y_tr) and np.array_equal(X_te[:, 0], 2 * y_te)
    again = data.train_test_split(X, y, fraction, seed)
    assert np.array_equal(again[3], y_te)


def test_split_differs_across_seeds() -> None:
    X, y = data.moons(100)
    assert not np.array_equal(
        data.train_test_split(X, y, seed=0)[3], data.train_test_split(X, y, seed=1)[3]
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "positive integer, got 0"),
        ({"n": -5}, "got -5"),
        ({"n": 2.5}, "got 2.5"),
        ({"noise": -0.1}, r"noise must be a finite number >= 0, got -0.1"),
        ({"noise": float("inf")}, "noise"),
        ({"seed": -1}, "seed must be >= 0, got -1"),
        ({"seed": 1.5}, "seed must be an integer"),
    ],
)
@pytest.mark.parametrize("name", NAMES)
def test_bad_arguments(name: str, kwargs: dict, match: str) -> None:
    args = {"n": 10, "noise": 0.1, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        data.DATASETS[name](**args)


def test_bad_names_and_fractions() -> None:
    with pytest.raises(ValueError, match="unknown data set 'swirl': choose one of moons, circles"):
        data.load("swirl")
    X, y = data.moons(10)
    for fraction in (0.0, 1.0, -0.5, 2):
        with pytest.raises(ValueError, match=rf"test_fraction must be in \(0, 1\), got {fraction}"):
            data.train_test_split(X, y, fraction)
    with pytest.raises(ValueError, match="one row per sample"):
        data.train_test_split(X, y[:5])
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, factor=1.5)
