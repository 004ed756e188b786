"""The handwritten digits (nn.data.digits) and the stratified train/test split."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn import data

ROOT = Path(__file__).resolve().parent.parent

# Images per digit 0..9 in the UCI test set that scikit-learn ships (its documentation
# and the UCI description list the same numbers).
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return data.digits()


def test_shapes_dtypes_and_class_counts(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == CLASS_COUNTS
    assert sum(CLASS_COUNTS) == 1797


def test_pixels_are_sixteenths_in_zero_one(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = digits
    assert X.min() == 0.0 and X.max() == 1.0
    counts = X * 16  # each pixel counts set bits in a 4x4 block: 0..16
    assert np.array_equal(counts, np.round(counts))
    assert set(np.unique(counts).astype(int)) == set(range(17))
    # the borders of the 8x8 images are mostly empty, the centre mostly inked
    images = X.reshape(-1, *data.DIGIT_SHAPE)
    assert images[:, :, 0].mean() < 0.01 and images[:, 3:5, 3:5].mean() > 0.3


def test_first_image_is_a_zero_with_a_hole(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    assert y[:10].tolist() == list(range(10))  # the file starts 0, 1, 2, ..., 9
    zero = X[0].reshape(8, 8)
    # a ring: ink on the left and right of the middle rows, a hole between them
    assert zero[3:5, 1:3].max(axis=1).min() >= 0.5 and zero[3:5, 5:7].max(axis=1).min() >= 0.5
    assert zero[3:5, 3:5].max() < 0.1


def test_each_call_returns_fresh_arrays(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data.digits()
    X[:] = -1.0
    y[:] = 3
    again, labels = data.digits()
    assert np.array_equal(again, digits[0]) and np.array_equal(labels, digits[1])


def test_stratified_split_of_the_digits_keeps_every_class_share(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = digits
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, 0.25, seed=0, stratify=True)
    assert len(y_te) == math.ceil(0.25 * 1797) == 450 and len(y_tr) == 1347
    assert X_tr.shape == (1347, 64) and X_te.shape == (450, 64)
    for c, n_c in enumerate(CLASS_COUNTS):
        # within one sample of the exact share 0.25 * n_c, in the test set and so in training
        assert abs(np.sum(y_te == c) - 0.25 * n_c) < 1
        assert np.sum(y_tr == c) + np.sum(y_te == c) == n_c
    # the largest gap between a class's share of the test set and of the whole set
    share = np.array(CLASS_COUNTS) / 1797
    assert np.abs(np.bincount(y_te) / 450 - share).max() < 1 / 450
    # rows stay with their labels: every test image is one of the originals, once
    index = {row.tobytes(): k for k, row in enumerate(X)}
    picked = [index[row.tobytes()] for row in X_te]
    assert len(set(picked)) == 450 and np.array_equal(y[picked], y_te)
    # neither half is sorted by class
    assert np.any(np.diff(y_te) < 0) and np.any(np.diff(y_tr) < 0)


def test_unstratified_split_is_unchanged_by_the_new_option() -> None:
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20) % 3
    plain = data.train_test_split(X, y, 0.3, seed=4)
    explicit = data.train_test_split(X, y, 0.3, seed=4, stratify=False)
    # the old algorithm: one permutation, its first ceil(0.3 * 20) = 6 rows to test
    order = np.random.default_rng(4).permutation(20)
    assert np.array_equal(plain[3], y[order[:6]]) and np.array_equal(plain[2], y[order[6:]])
    for a, b in zip(plain, explicit, strict=True):
        assert np.array_equal(a, b)


@given(
    st.lists(st.integers(2, 40), min_size=1, max_size=6),
    st.floats(0.05, 0.6),
    st.integers(0, 20),
)
def test_stratified_split_properties(sizes: list[int], fraction: float, seed: int) -> None:
    y = np.repeat(np.arange(len(sizes)) * 7, sizes)  # labels need not be 0..k-1
    n = len(y)
    X = np.column_stack([np.arange(n, dtype=float), y])
    n_test = math.ceil(fraction * n)
    exact = np.array(sizes) * (n_test / n)  # each class's exact share of the test set
    if n_test >= n:
        return  # no training data left: refused (tested in test_nn_data)
    try:
        X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, fraction, seed, stratify=True)
    except ValueError as err:
        assert "sends every sample of class" in str(err)
        return
    assert len(y_te) == n_test and len(y_tr) == n - n_test
    for k, size in enumerate(sizes):
        got = np.sum(y_te == 7 * k)
        assert abs(got - exact[k]) < 1 and got < size
    assert sorted(np.concatenate([X_tr[:, 0], X_te[:, 0]]).tolist()) == list(range(n))
    assert np.array_equal(X_te[:, 1], y_te)
    again = data.train_test_split(X, y, fraction, seed, stratify=True)
    assert np.array_equal(again[1], X_te)


def test_stratified_split_differs_across_seeds(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    a = data.train_test_split(X, y, seed=0, stratify=True)[1]
    b = data.train_test_split(X, y, seed=1, stratify=True)[1]
    assert not np.array_equal(a, b)


def test_stratified_split_refuses_what_it_cannot_do() -> None:
    X = np.zeros((7, 1))
    with pytest.raises(ValueError, match="at least 2 samples of every class; class 5 has 1"):
        data.train_test_split(X, np.array([0, 0, 0, 1, 1, 1, 5]), 0.3, stratify=True)
    # 0.8 of 7 samples is 6 to test: shares 4.29 and 1.71, rounded to 4 and both of class 1
    y = np.array([0, 0, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="sends every sample of class 1 to the test set"):
        data.train_test_split(X, y, 0.8, stratify=True)


def test_the_digits_are_scikit_learns_load_digits(digits: tuple[np.ndarray, np.ndarray]) -> None:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    assert np.array_equal(digits[0] * 16, bunch.data)
    assert np.array_equal(digits[1], bunch.target)


def test_without_the_csv_file_it_reads_them_through_scikit_learn(
    monkeypatch: pytest.MonkeyPatch, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    # the fast path reads scikit-learn's file directly; where it is missing (a future
    # layout), load_digits gives the same arrays
    monkeypatch.setattr(data, "_read_digits_file", lambda: None)
    data._digits_arrays.cache_clear()
    try:
        X, y = data.digits()
    finally:
        data._digits_arrays.cache_clear()
    assert np.array_equal(X, digits[0]) and np.array_equal(y, digits[1])


def test_loading_the_digits_does_not_import_scikit_learn() -> None:
    code = "import sys; from nn import data; data.digits(); print('sklearn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False"  # importing it takes a second or more
