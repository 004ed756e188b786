"""Two-class data sets in the plane, handwritten digits, and a seeded train/test split.

Every generator has the signature ``(n, noise, seed) -> (X, y)`` with ``X`` a float64
array of shape (n, 2) and ``y`` an int64 array of n labels in {0, 1}; class 0 has
``n // 2`` points and class 1 has ``n - n // 2``, and the rows are shuffled (as
scikit-learn's ``make_moons`` and ``make_circles`` do). ``noise`` is the standard
deviation of Gaussian noise added to each coordinate. The same seed gives the same
points; randomness comes only from ``numpy.random.default_rng(seed)``.

The shapes follow scikit-learn (moons, circles) and the TensorFlow Playground (xor,
gaussians, spiral), at a scale of about [-1.5, 2.5] x [-1, 1.5].

:func:`digits` is the one real data set: the 1,797 handwritten 8x8 digits of the UCI
collection, taken from the copy that scikit-learn ships (no download), for the
lecture's ten-class slides. :func:`train_test_split` can keep every class's share in
both halves (``stratify=True``).
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import math
import numbers
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "DIGIT_SHAPE",
    "circles",
    "digits",
    "gaussians",
    "load",
    "moons",
    "spiral",
    "train_test_split",
    "xor",
]

Dataset = tuple[np.ndarray, np.ndarray]


def _check(n: object, noise: object, seed: object) -> tuple[int, float, np.random.Generator]:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise ValueError(f"n (the number of points) must be a positive integer, got {n!r}")
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not math.isfinite(noise)
        or noise < 0
    ):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"seed must be an integer or None, got {seed!r}")
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed!r}")
    return int(n), float(noise), np.random.default_rng(seed)


def _finish(
    class0: np.ndarray, class1: np.ndarray, noise: float, rng: np.random.Generator
) -> Dataset:
    """Stack the two classes, add the noise and shuffle the rows."""
    X = np.concatenate([class0, class1]).astype(np.float64).reshape(-1, 2)
    y = np.concatenate([np.zeros(len(class0), np.int64), np.ones(len(class1), np.int64)])
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def moons(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two interleaving half circles (scikit-learn's make_moons): class 0 on top."""
    n, noise, rng = _check(n, noise, seed)
    n0, n1 = n // 2, n - n // 2
    t0, t1 = np.linspace(0, math.pi, n0), np.linspace(0, math.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])  # centred at (0, 0)
    lower = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])  # centred at (1, 0.5)
    return _finish(upper, lower, noise, rng)


def circles(n: int = 200, noise: float = 0.1, seed: int | None = 0, factor: float = 0.5) -> Dataset:
    """A circle of radius ``factor`` (class 1) inside a unit circle (class 0), as make_circles."""
    n, noise, rng = _check(n, noise, seed)
    if not 0 < factor < 1:
        raise ValueError(f"factor (the inner radius) must be in (0, 1), got {factor!r}")
    n0, n1 = n // 2, n - n // 2
    t0 = np.linspace(0, 2 * math.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * math.pi, n1, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    return _finish(outer, inner, noise, rng)


def xor(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Points in [-1, 1]^2 off the axes; class 1 where x*y > 0 (quadrants 1 and 3)."""
    n, noise, rng = _check(n, noise, seed)
    n0, n1 = n // 2, n - n // 2

    def quadrant_points(m: int, same_sign: bool) -> np.ndarray:
        # |coordinates| in [0.1, 1] keep a margin around the axes (the Playground's padding)
        mag = rng.uniform(0.1, 1.0, size=(m, 2))
        sx = rng.choice([-1.0, 1.0], size=m)
        sy = sx if same_sign else -sx
        return mag * np.column_stack([sx, sy])

    return _finish(quadrant_points(n0, False), quadrant_points(n1, True), noise, rng)


def gaussians(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two round Gaussian blobs (std 0.35, plus the noise): class 0 at (-1, -1), 1 at (1, 1)."""
    n, noise, rng = _check(n, noise, seed)
    n0, n1 = n // 2, n - n // 2
    blob0 = rng.normal((-1.0, -1.0), 0.35, size=(n0, 2))
    blob1 = rng.normal((1.0, 1.0), 0.35, size=(n1, 2))
    return _finish(blob0, blob1, noise, rng)


def spiral(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two interleaved spiral arms of 1.75 turns each, radius 0 to 2 (the Playground's spiral).

    The arms of one class lie about 0.57 apart, so a noise of 0.1 blurs them without
    merging them (at radius 1 they would be 0.29 apart and noise 0.1 would).
    """
    n, noise, rng = _check(n, noise, seed)

    def arm(m: int, delta: float) -> np.ndarray:
        r = np.arange(m) / max(m, 1)  # grows from 0 to 1 along the arm
        t = 1.75 * 2 * math.pi * r + delta
        return 2.0 * np.column_stack([r * np.sin(t), r * np.cos(t)])

    return _finish(arm(n // 2, 0.0), arm(n - n // 2, math.pi), noise, rng)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "gaussians": gaussians,
    "spiral": spiral,
}
"""The data sets by name."""


def load(name: str, n: int = 200, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """The data set called ``name`` (see ``DATASETS``) with n points."""
    try:
        make = DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}"
        ) from None
    return make(n, noise, seed)


def digits() -> Dataset:
    """The 1,797 handwritten 8x8 digits: X (1797, 64) float64 in [0, 1], y int64 in 0..9.

    scikit-learn's bundled copy of the UCI "optical recognition of handwritten digits"
    test set (the data of ``sklearn.datasets.load_digits``: no download). Each pixel is a
    count of 0..16 set bits in a 4x4 block of a 32x32 bitmap; it is divided by 16. Row
    ``k`` of ``X`` is image ``k`` read row by row: ``X[k].reshape(DIGIT_SHAPE)`` is the
    picture. The rows keep the file's order (178, 182, 177, 183, 181, 182, 181, 179, 174
    and 180 images of the digits 0 to 9); split them with
    ``train_test_split(..., stratify=True)``. Every call returns new arrays.
    """
    X, y = _digits_arrays()
    return X.copy(), y.copy()


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> Dataset:
    """The digits, read once per process (see :func:`digits`)."""
    table = _read_digits_file()
    if table is None:
        try:
            from sklearn.datasets import load_digits
        except ImportError as err:  # a dependency of valuegrad: only a broken install lacks it
            raise ImportError(
                f"nn.data.digits needs scikit-learn ({err}): pip install scikit-learn"
            ) from err
        bunch = load_digits()
        table = np.column_stack([bunch.data, bunch.target])
    X = np.ascontiguousarray(table[:, :64], dtype=np.float64) / 16.0  # 0..16 -> [0, 1], exact
    y = table[:, 64].astype(np.int64)
    return X, y


def _read_digits_file() -> np.ndarray | None:
    """The (1797, 65) table of scikit-learn's ``digits.csv.gz`` (64 pixels, then the label).

    Read directly, as ``load_digits`` reads it (``np.loadtxt`` of the gzipped CSV): importing
    scikit-learn itself takes a second or more, a hundred times longer than reading the
    file. None if the file is not where scikit-learn keeps it (then ``load_digits`` is used).
    """
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    for root in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                table = np.loadtxt(f, delimiter=",")
            return table if table.shape == (1797, 65) else None
    return None


DIGIT_SHAPE = (8, 8)
"""The shape of one image of :func:`digits` (``X[k].reshape(DIGIT_SHAPE)``)."""


def _stratified_test_counts(counts: np.ndarray, n_test: int) -> np.ndarray:
    """Test samples per class: shares of n_test proportional to the class sizes.

    Each class gets floor(share) and the few left over go to the classes with the
    largest remainders (Hamilton's method; ties to the smaller label), so the counts add
    up to n_test exactly and differ from the exact shares by less than one.
    """
    share = counts * (n_test / counts.sum())
    taken = np.floor(share).astype(np.int64)
    left = n_test - int(taken.sum())
    order = np.argsort(-(share - taken), kind="stable")
    taken[order[:left]] += 1
    return taken


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_fraction: float = 0.25,
    seed: int | None = 0,
    *,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test): a seeded random split, ceil(fraction * n) to test.

    With ``stratify=True`` each class (each distinct value of ``y``) sends the same
    fraction of its samples to the test set, up to rounding (see
    ``_stratified_test_counts``): both halves keep the class proportions. The rows of
    each half are in random order either way.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim < 1 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"X and y must have one row per sample: got X of shape {X.shape}, y of {y.shape}"
        )
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, numbers.Real)
        or not 0 < test_fraction < 1
    ):
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    n = len(y)
    n_test = math.ceil(test_fraction * n)
    if n_test >= n:
        raise ValueError(f"test_fraction={test_fraction!r} of {n} samples leaves no training data")
    rng = np.random.default_rng(seed)
    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
        return X[train], X[test], y[train], y[test]
    labels, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        rare = labels[int(np.argmin(counts))].item()
        raise ValueError(
            f"stratify=True needs at least 2 samples of every class; class {rare!r} has 1"
        )
    per_class = _stratified_test_counts(counts, n_test)
    if np.any(per_class >= counts):
        full = labels[int(np.argmax(per_class >= counts))].item()
        raise ValueError(
            f"test_fraction={test_fraction!r} sends every sample of class {full!r} to the test set"
        )
    test_parts, train_parts = [], []
    for k, m in enumerate(per_class):
        members = rng.permutation(np.flatnonzero(inverse == k))
        test_parts.append(members[:m])
        train_parts.append(members[m:])
    # shuffle across classes too, so neither half is sorted by label
    test = rng.permutation(np.concatenate(test_parts))
    train = rng.permutation(np.concatenate(train_parts))
    return X[train], X[test], y[train], y[test]
