"""viz.plots for the digits: images, weight vectors as images, confusion matrices, mistakes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import AxesImage

from nn import Layer, data
from viz.plots import (
    plot_confusion_matrix,
    plot_digit_weights,
    plot_digits,
    plot_misclassified,
)


def images_of(fig) -> list[AxesImage]:  # type: ignore[no-untyped-def]
    return [im for ax in fig.axes for im in ax.get_images()]


def texts_of(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_plot_digits_draws_each_image_as_given(tmp_path: Path) -> None:
    X, y = data.digits()
    fig = plot_digits(X[:12], [str(v) for v in y[:12]], tmp_path / "d.svg", ncols=5)
    shown = images_of(fig)
    assert len(shown) == 12
    for k, im in enumerate(shown):
        assert np.array_equal(im.get_array(), X[k].reshape(8, 8))  # row by row, unflipped
    assert texts_of(fig) == [str(v) for v in y[:12]]
    assert ET.parse(tmp_path / "d.svg").getroot().tag.endswith("svg")
    # 8x8 images may be given as such
    assert len(images_of(plot_digits(X[:3].reshape(3, 8, 8)))) == 3


def test_weight_images_share_one_symmetric_scale(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    W = rng.normal(0, 1, (10, 64))
    W[3, 5] = -4.0  # the largest magnitude sets the scale of every image
    fig = plot_digit_weights(W, tmp_path / "w.png")
    assert (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"
    shown = images_of(fig)
    assert len(shown) == 10
    assert all(im.get_clim() == (-4.0, 4.0) for im in shown)
    assert np.array_equal(shown[3].get_array(), W[3].reshape(8, 8))
    assert texts_of(fig) == [f"w{j}" for j in range(10)]
    assert any(ax.get_ylabel() == "weight" for ax in fig.axes)  # the colour bar
    layer = Layer(64, 3, "linear", weights=W[:3])
    assert len(images_of(plot_digit_weights(layer, titles=["a", "b", "c"]))) == 3


def test_confusion_matrix_writes_every_count(tmp_path: Path) -> None:
    m = np.array([[5, 1, 0], [0, 4, 2], [0, 0, 6]])
    fig = plot_confusion_matrix({"model A": m, "model B": np.diag([6, 6, 6])}, tmp_path / "c.svg")
    assert len(fig.axes) == 2
    a, b = fig.axes
    assert a.get_title() == "model A" and b.get_title() == "model B"
    assert sorted(t.get_text() for t in a.texts) == sorted(["5", "1", "4", "2", "6"])
    assert [t.get_text() for t in b.texts] == ["6", "6", "6"]
    assert a.get_xlabel() == "predicted" and a.get_ylabel() == "true"
    # a mistake is coloured (not white), an empty cell white
    rgba = a.get_images()[0].get_array()
    assert rgba[0, 1, :3].min() < 1.0 and np.all(rgba[0, 2, :3] == 1.0)
    ET.parse(tmp_path / "c.svg")
    assert len(plot_confusion_matrix(m, labels=["x", "y", "z"]).axes) == 1


def test_misclassified_gallery_captions_true_and_predicted(tmp_path: Path) -> None:
    X, y = data.digits()
    X, y = X[:40], y[:40]
    pred = y.copy()
    pred[[3, 17, 30]] = [8, 1, 5]  # y is 3, 7 and 0 there
    fig = plot_misclassified(X, y, pred, tmp_path / "m.svg")
    assert texts_of(fig) == [
        f"true {y[3]} / said 8",
        f"true {y[17]} / said 1",
        f"true {y[30]} / said 5",
    ]
    assert [
        np.array_equal(im.get_array(), X[k].reshape(8, 8))
        for k, im in zip([3, 17, 30], images_of(fig), strict=True)
    ] == [True] * 3
    assert "3 of 40" in fig.get_suptitle()
    fig = plot_misclassified(X, y, pred, max_images=2)
    assert len(images_of(fig)) == 2 and "the first 2" in fig.get_suptitle()
    fig = plot_misclassified(X, y, y)
    assert images_of(fig) == [] and "no misclassified image" in texts_of(fig)


def test_digit_plots_refuse_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"rows of 64 pixels or images of shape \(8, 8\)"):
        plot_digits(np.zeros((3, 10)))
    with pytest.raises(ValueError, match="nan or inf"):
        plot_digit_weights(np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="2 captions for 3 images"):
        plot_digits(np.zeros((3, 64)), ["a", "b"])
    with pytest.raises(ValueError, match="square array of counts"):
        plot_confusion_matrix(np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="square array of counts"):
        plot_confusion_matrix(np.array([[0.5, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="same number of classes"):
        plot_confusion_matrix({"a": np.eye(2, dtype=int), "b": np.eye(3, dtype=int)})
    with pytest.raises(ValueError, match="one label per image"):
        plot_misclassified(np.zeros((3, 64)), np.zeros(3, int), np.zeros(2, int))
    with pytest.raises(ValueError, match="max_images must be a positive integer"):
        plot_misclassified(np.zeros((3, 64)), np.zeros(3, int), np.ones(3, int), max_images=0)
    with pytest.raises(ValueError, match="ncols must be a positive integer"):
        plot_digits(np.zeros((3, 64)), ncols=0)
    with pytest.raises(ValueError, match="must end in one of"):
        plot_digits(np.zeros((3, 64)), path=tmp_path / "d.pdf")
