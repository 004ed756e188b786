"""Plots of training: loss curves, Playground-style decision boundaries, digit images.

Figures are built as ``matplotlib.figure.Figure`` objects rendered by the Agg canvas,
without ``pyplot``: no global figure registry, no backend switch, nothing shown and
nothing printed. Each function returns its Figure (Jupyter displays it) and, given a
``path``, saves it as SVG or PNG by the file's extension. SVG output is deterministic
(no date, fixed element ids).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from nn import History, Module, predict_proba

__all__ = [
    "CLASS_COLORS",
    "FORMATS",
    "plot_batch_vs_stochastic",
    "plot_confusion_matrix",
    "plot_datasets",
    "plot_decision_boundaries",
    "plot_decision_boundary",
    "plot_digit_weights",
    "plot_digits",
    "plot_losses",
    "plot_misclassified",
    "save_figure",
]

FORMATS = (".svg", ".png")
"""File extensions the plots can be saved as."""

# The TensorFlow Playground's colours: orange for class 0, blue for class 1.
CLASS_COLORS = ("#f59322", "#0877bd")
"""Colour of class 0 and class 1."""
_CMAP = LinearSegmentedColormap.from_list(
    "playground", [CLASS_COLORS[0], "#e8eaeb", CLASS_COLORS[1]]
)


def _check_path(path: str | os.PathLike[str] | None) -> Path | None:
    """The path to save a plot at, checked before any drawing (its extension, its place)."""
    from nn.files import check_path

    if path is None:
        return None
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise ValueError(
            f"cannot save a plot as {str(p)!r}: the file name must end in one of "
            f"{', '.join(FORMATS)}"
        )
    return check_path(p)  # a directory or a missing parent fails now, not after the work


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Save ``fig`` as SVG or PNG (by extension); SVGs carry no date and fixed ids.

    The figure is rendered in memory, then written by :func:`nn.files.write_bytes` (a
    regular file is replaced in one step, a FIFO or device is written to, a symlink is
    written through), so a failed render never leaves a half-written file.
    """
    from nn.files import write_bytes

    p = _check_path(path)
    if p is None:
        raise TypeError("save_figure needs a path")
    FigureCanvasAgg(fig)  # attach the Agg canvas (no pyplot, no global state)
    buffer = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": "valuegrad", "svg.fonttype": "path"}):
        metadata = {"Date": None} if p.suffix.lower() == ".svg" else {}
        fig.savefig(buffer, format=p.suffix.lower()[1:], metadata=metadata, dpi=110)
    return write_bytes(p, buffer.getvalue())


def _new_figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


# --------------------------------------------------------------------------- #
# Loss curves.                                                                  #
# --------------------------------------------------------------------------- #


def _as_series(item: Any, per: str) -> tuple[list[float], list[float] | None]:
    """(training curve, test curve or None) from a History or a list of numbers."""
    if isinstance(item, History):
        if per == "epoch":
            return list(item.loss), (list(item.test_loss) or None)
        return list(item.step_loss), None
    if isinstance(item, (str, bytes)) or not isinstance(item, (Sequence, np.ndarray)):
        raise TypeError(
            f"each curve must be a History or a sequence of numbers, got {type(item).__name__}"
        )
    values = np.asarray(item, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(
            f"a loss curve must be a non-empty flat sequence, got shape {values.shape}"
        )
    return values.tolist(), None


def _draw_losses(
    ax: Any, curves: list[tuple[str, list[float], list[float] | None]], per: str, title: str
) -> None:
    positive = True
    low, high = np.inf, -np.inf
    for k, (label, train, test) in enumerate(curves):
        color = f"C{k}"
        xs = np.arange(1, len(train) + 1) if per == "epoch" else np.arange(len(train))
        ax.plot(xs, train, color=color, lw=1.4 if per == "epoch" else 0.9, label=label)
        positive &= min(train) > 0
        low, high = min(low, *train), max(high, *train)
        if test:
            ax.plot(
                np.arange(1, len(test) + 1),
                test,
                color=color,
                lw=1.2,
                ls="--",
                label=f"{label} (test)",
            )
            positive &= min(test) > 0
            low, high = min(low, *test), max(high, *test)
    if positive:
        ax.set_yscale("log")  # losses fall over decades: a log axis shows the whole descent
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        # label the minor ticks only when the curves span less than a decade
        ax.yaxis.set_minor_formatter(plain if high < 10 * low else NullFormatter())
    ax.set_xlabel("epoch" if per == "epoch" else "update")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if any(label for label, _, _ in curves):
        ax.legend(fontsize="small")


def _curves(
    histories_or_lists: Any, labels: Sequence[str] | None, per: str
) -> list[tuple[str, list[float], list[float] | None]]:
    if per not in ("epoch", "step"):
        raise ValueError(f"per must be 'epoch' or 'step', got {per!r}")
    items = histories_or_lists
    if isinstance(items, Mapping):
        if labels is not None:
            raise ValueError("give labels either as the mapping's keys or as labels=, not both")
        labels = [str(k) for k in items]
        items = list(items.values())
    elif isinstance(items, History) or (
        isinstance(items, (Sequence, np.ndarray))
        and len(items) > 0
        and not isinstance(items[0], (History, Sequence, np.ndarray))
    ):
        items = [items]  # one curve
    if not isinstance(items, (Sequence, np.ndarray)) or len(items) == 0:
        raise ValueError("plot_losses needs at least one History or loss list")
    if labels is None:
        labels = [item.mode if isinstance(item, History) else "" for item in items]
        if len(items) > 1 and not all(labels):
            labels = [label or f"run {k}" for k, label in enumerate(labels)]
    if len(labels) != len(items):
        raise ValueError(f"got {len(labels)} labels for {len(items)} curves")
    return [(str(label), *_as_series(item, per)) for label, item in zip(labels, items, strict=True)]


def plot_losses(
    histories_or_lists: History | Sequence[float] | Sequence[Any] | Mapping[str, Any],
    path: str | os.PathLike[str] | None = None,
    *,
    labels: Sequence[str] | None = None,
    per: str = "epoch",
    title: str = "Training loss",
) -> Figure:
    """Loss curves: one per History (train solid, test dashed) or per list of losses.

    ``per="epoch"`` plots ``History.loss`` (and ``test_loss``), ``per="step"`` plots
    ``History.step_loss`` (one point per update). Plain lists are plotted as given. A
    mapping gives each curve its label.
    """
    out = _check_path(path)
    curves = _curves(histories_or_lists, labels, per)
    fig, (ax,) = _new_figure(6.4, 4.0)
    _draw_losses(ax, curves, per, title)
    if out is not None:
        save_figure(fig, out)
    return fig


# --------------------------------------------------------------------------- #
# Decision boundaries.                                                          #
# --------------------------------------------------------------------------- #


def _points(X: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{what}: X must be a non-empty (n, 2) array of points, got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"{what}: y must hold one label per point ({len(X)}), got {y.shape}")
    return X, y


def _draw_boundary(
    ax: Any,
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray | None,
    y_test: np.ndarray | None,
    resolution: int,
    title: str,
) -> Any:
    every = X if X_test is None else np.vstack([X, X_test])
    lo, hi = every.min(axis=0), every.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9) + 0.1
    lo, hi = lo - pad, hi + pad
    gx = np.linspace(lo[0], hi[0], resolution)
    gy = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    proba = predict_proba(model, grid)
    if proba.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary needs a two-class model, got {proba.shape[1]} classes"
        )
    p1 = proba[:, 1].reshape(xx.shape)  # P(class 1) at each grid point
    image = ax.imshow(
        p1,
        origin="lower",
        extent=(lo[0], hi[0], lo[1], hi[1]),
        cmap=_CMAP,
        vmin=0.0,
        vmax=1.0,
        aspect="auto",
        interpolation="bilinear",
        alpha=0.85,
    )
    if p1.min() < 0.5 < p1.max():
        ax.contour(xx, yy, p1, levels=[0.5], colors="#333333", linewidths=1.0)
    colors = np.array(CLASS_COLORS)
    # Training points are circles with a white rim, test points triangles with a black one.
    ax.scatter(X[:, 0], X[:, 1], c=colors[y.astype(int)], s=16, edgecolors="white", linewidths=0.6)
    handles = [Line2D([], [], ls="", marker="o", color="#777777", mec="white", label="train")]
    if X_test is not None:
        ax.scatter(
            X_test[:, 0],
            X_test[:, 1],
            c=colors[y_test.astype(int)],
            s=22,
            marker="^",
            edgecolors="black",
            linewidths=0.6,
        )
        handles.append(
            Line2D([], [], ls="", marker="^", color="#777777", mec="black", label="test")
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_title(title)
    ax.legend(handles=handles, loc="upper right", fontsize="small")
    return image


def _check_model(model: Any) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nn Module, got {type(model).__name__}")
    nin = getattr(model, "nin", 2)
    if nin != 2:
        raise ValueError(f"a decision boundary needs a model with 2 inputs, got {nin}")


def _boundary_data(
    X: Any, y: Any, X_test: Any, y_test: Any, resolution: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The training and test points checked for a decision-boundary plot, and the grid size."""
    X, y = _points(X, y, "training data")
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    if X_test is not None:
        X_test, y_test = _points(X_test, y_test, "test data")
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, int)
        or not 2 <= resolution <= 1000
    ):
        raise ValueError(f"resolution must be an integer in [2, 1000], got {resolution!r}")
    return X, y, X_test, y_test


def plot_decision_boundary(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    path: str | os.PathLike[str] | None = None,
    *,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    resolution: int = 100,
    title: str = "Decision boundary",
) -> Figure:
    """Heat map of P(class 1) over the plane with the points on top (Playground style).

    Training points are circles, test points triangles; the line marks P = 1/2. The
    ``resolution`` x ``resolution`` grid is evaluated without building a graph.
    """
    out = _check_path(path)
    _check_model(model)
    X, y, X_test, y_test = _boundary_data(X, y, X_test, y_test, resolution)
    fig, (ax,) = _new_figure(5.2, 4.4)
    image = _draw_boundary(ax, model, X, y, X_test, y_test, resolution, title)
    fig.colorbar(image, ax=ax, label="P(class 1)")
    if out is not None:
        save_figure(fig, out)
    return fig


def plot_batch_vs_stochastic(
    models: Mapping[str, Module],
    histories: Mapping[str, History],
    X: np.ndarray,
    y: np.ndarray,
    path: str | os.PathLike[str] | None = None,
    *,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    resolution: int = 100,
    title: str = "Batch vs stochastic training",
) -> Figure:
    """Side by side: the loss curves of every mode, then each mode's decision boundary.

    ``models`` and ``histories`` map a mode name ("batch", "stochastic") to the trained
    model and its History; the same keys in both.
    """
    out = _check_path(path)
    if not models or set(models) != set(histories):
        raise ValueError(
            f"models and histories must map the same modes, got {sorted(models)} and "
            f"{sorted(histories)}"
        )
    for model in models.values():
        _check_model(model)
    X, y, X_test, y_test = _boundary_data(X, y, X_test, y_test, resolution)
    modes = list(models)
    fig, axes = _new_figure(5.0 * (len(modes) + 1), 4.2, ncols=len(modes) + 1)
    curves = [(mode, *_as_series(histories[mode], "epoch")) for mode in modes]
    _draw_losses(axes[0], curves, "epoch", "Loss per epoch")
    image = None
    for ax, mode in zip(axes[1:], modes, strict=True):
        h = histories[mode]
        acc = f", test accuracy {h.test_accuracy[-1]:.2f}" if h.test_accuracy else ""
        image = _draw_boundary(
            ax, models[mode], X, y, X_test, y_test, resolution, f"{mode} ({h.steps} updates{acc})"
        )
    fig.colorbar(image, ax=list(axes[1:]), label="P(class 1)")
    fig.suptitle(title)
    if out is not None:
        save_figure(fig, out)
    return fig


def plot_datasets(
    datasets: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: str | os.PathLike[str] | None = None,
    *,
    title: str = "Two-class data sets",
) -> Figure:
    """A row of scatter plots, one per data set (name -> (X, y)), in the class colours."""
    out = _check_path(path)
    if not datasets:
        raise ValueError("plot_datasets needs at least one data set")
    fig, axes = _new_figure(2.3 * len(datasets), 2.6, ncols=len(datasets))
    colors = np.array(CLASS_COLORS)
    for ax, (name, (X, y)) in zip(axes, datasets.items(), strict=True):
        X, y = _points(X, y, f"data set {name!r}")
        ax.scatter(X[:, 0], X[:, 1], c=colors[y.astype(int)], s=8, edgecolors="none")
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
    fig.suptitle(title)
    if out is not None:
        save_figure(fig, out)
    return fig


def plot_decision_boundaries(
    items: Mapping[str, tuple[Module, np.ndarray, np.ndarray]],
    path: str | os.PathLike[str] | None = None,
    *,
    resolution: int = 80,
    title: str = "Decision boundaries",
) -> Figure:
    """A row of decision boundaries: title -> (model, X, y), one panel each."""
    out = _check_path(path)
    if not items:
        raise ValueError("plot_decision_boundaries needs at least one model")
    fig, axes = _new_figure(3.0 * len(items), 3.1, ncols=len(items))
    for ax, (name, (model, X, y)) in zip(axes, items.items(), strict=True):
        _check_model(model)
        X, y, _, _ = _boundary_data(X, y, None, None, resolution)
        _draw_boundary(ax, model, X, y, None, None, resolution, name)
        ax.get_legend().remove()
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    if out is not None:
        save_figure(fig, out)
    return fig


# --------------------------------------------------------------------------- #
# Handwritten digits: images, weight vectors as images, confusion matrices.     #
# --------------------------------------------------------------------------- #

DIGIT_IMAGE_SHAPE = (8, 8)
_WEIGHT_CMAP = "RdBu"  # red negative, white 0, blue positive (as draw_network's edges)


def _images(images: Any, shape: tuple[int, int], what: str) -> np.ndarray:
    """``images`` as an (n, h, w) float array: rows of h*w pixels, or n images already."""
    A = np.asarray(images, dtype=np.float64)
    if A.ndim == 2 and A.shape[1] == shape[0] * shape[1]:
        A = A.reshape(len(A), *shape)
    if A.ndim != 3 or A.shape[1:] != tuple(shape) or len(A) == 0:
        raise ValueError(
            f"{what} must be rows of {shape[0] * shape[1]} pixels or images of shape {shape}, "
            f"got an array of shape {np.shape(images)}"
        )
    if not np.isfinite(A).all():
        raise ValueError(f"{what} contain nan or inf")
    return A


def _image_grid(
    images: np.ndarray,
    captions: Sequence[str] | None,
    ncols: int,
    title: str,
    *,
    colorbar: str | None = None,
    **imshow: Any,
) -> Figure:
    """A grid of small framed images, a caption above each, on one set of axes.

    One axes holding every image (placed by ``extent``) draws many times faster than an
    axes per image, and its SVG is a fraction of the size. ``colorbar`` labels a colour
    bar on the right (None: no bar).
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    n, h, w = images.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)  # ceil
    gap_x, gap_y = 1.0, (2.6 if captions is not None else 1.0)  # in pixels of the images
    width = ncols * (w + gap_x) - gap_x
    height = nrows * (h + gap_y)
    unit = 0.13  # inches per image pixel: an 8x8 image is about an inch wide
    bar = 1.1 if colorbar else 0.0
    margin, top = 0.15, 0.38
    fig_w, fig_h = width * unit + 2 * margin + bar, height * unit + margin + top
    fig = Figure(figsize=(fig_w, fig_h))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((margin / fig_w, margin / fig_h, width * unit / fig_w, height * unit / fig_h))
    handle = None
    frames = []
    for k in range(n):
        x0 = (k % ncols) * (w + gap_x)
        y0 = (k // ncols) * (h + gap_y) + gap_y - (1.0 if captions is None else 0.0)
        handle = ax.imshow(
            images[k], extent=(x0, x0 + w, y0 + h, y0), interpolation="nearest", **imshow
        )
        frames.append(Rectangle((x0, y0), w, h))
        if captions is not None:
            ax.text(x0 + w / 2, y0 - 0.35, captions[k], ha="center", va="bottom", fontsize=8)
    ax.add_collection(PatchCollection(frames, facecolor="none", edgecolor="#555555", lw=0.6))
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(height + 0.1, -0.1)  # rows from the top down, as images are read
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig.suptitle(title, y=1 - 0.08 / fig_h)
    if colorbar and handle is not None:
        cax = fig.add_axes(
            (1 - (bar - 0.15) / fig_w, 0.15, 0.15 / fig_w, max(0.7 - 0.3 / fig_h, 0.3))
        )
        fig.colorbar(handle, cax=cax, label=colorbar)
    return fig


def _check_grid(ncols: Any) -> int:
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    return int(ncols)


def plot_digits(
    images: np.ndarray,
    captions: Sequence[str] | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    shape: tuple[int, int] = DIGIT_IMAGE_SHAPE,
    ncols: int = 10,
    title: str = "Handwritten digits",
) -> Figure:
    """A gallery of grey-scale images (ink dark): rows of 64 pixels or 8x8 images."""
    out = _check_path(path)
    A = _images(images, shape, "images")
    if captions is not None and len(captions) != len(A):
        raise ValueError(f"got {len(captions)} captions for {len(A)} images")
    fig = _image_grid(A, captions, _check_grid(ncols), title, cmap="gray_r", vmin=0.0)
    if out is not None:
        save_figure(fig, out)
    return fig


def plot_digit_weights(
    weights: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    titles: Sequence[str] | None = None,
    shape: tuple[int, int] = DIGIT_IMAGE_SHAPE,
    ncols: int | None = None,
    title: str = "Weight vectors as images",
) -> Figure:
    """Each row of a weight matrix (one neuron's w_j, 64 weights) drawn as an 8x8 image.

    ``weights`` is a (k, 64) array or list (``layer.weights``), or an ``nn.Layer``. All
    images share one colour scale, symmetric around 0: blue where a pixel's ink raises
    the neuron's score, red where it lowers it, white for no effect. For the linear
    classifier p = Wx, image j is the template that digit j's score matches.
    """
    from nn import Layer

    out = _check_path(path)
    if isinstance(weights, Layer):
        weights = weights.weights
    W = _images(weights, shape, "weights")
    if titles is None:
        titles = [f"w{j}" for j in range(len(W))]
    if len(titles) != len(W):
        raise ValueError(f"got {len(titles)} titles for {len(W)} weight vectors")
    ncols = _check_grid(ncols if ncols is not None else (5 if len(W) <= 10 else 8))
    scale = float(np.abs(W).max()) or 1.0
    fig = _image_grid(
        W, titles, ncols, title, colorbar="weight", cmap=_WEIGHT_CMAP, vmin=-scale, vmax=scale
    )
    if out is not None:
        save_figure(fig, out)
    return fig


def _confusion_panel(ax: Any, matrix: np.ndarray, labels: Sequence[str], title: str) -> None:
    """Correct answers (the diagonal) in blue by the share of their row; mistakes in
    orange by their count relative to the largest mistake, so that rare confusions show."""
    k = len(matrix)
    rows = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    off = matrix.astype(np.float64).copy()
    np.fill_diagonal(off, 0.0)
    worst = off.max() or 1.0
    rgba = np.ones((k, k, 4))
    blue = np.array(mpl.colors.to_rgb(CLASS_COLORS[1]))
    orange = np.array(mpl.colors.to_rgb(CLASS_COLORS[0]))
    for i in range(k):
        for j in range(k):
            if i == j:
                t = matrix[i, i] / rows[i, 0]
                rgba[i, j, :3] = 1 - t * (1 - blue)
            elif matrix[i, j]:
                t = 0.25 + 0.75 * matrix[i, j] / worst
                rgba[i, j, :3] = 1 - t * (1 - orange)
    ax.imshow(rgba, interpolation="nearest")
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                dark = i == j and matrix[i, i] / rows[i, 0] > 0.5
                ax.text(
                    j,
                    i,
                    str(int(matrix[i, j])),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "#222222",
                )
    ax.set_xticks(range(k), labels)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)


def plot_confusion_matrix(
    matrices: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    labels: Sequence[str] | None = None,
    title: str = "Confusion matrix",
) -> Figure:
    """Confusion matrices ([i, j]: class i predicted as j), one panel each, counts written in.

    ``matrices`` is one (k, k) array of counts or a mapping of panel titles to them (side
    by side, e.g. two models on the same test set). The diagonal is blue by the share of
    its row that is right; mistakes are orange, darker for more frequent ones.
    """
    out = _check_path(path)
    panels = dict(matrices) if isinstance(matrices, Mapping) else {"": matrices}
    if not panels:
        raise ValueError("plot_confusion_matrix needs at least one matrix")
    checked = {}
    for name, m in panels.items():
        counts = np.asarray(m)
        if (
            counts.ndim != 2
            or counts.shape[0] != counts.shape[1]
            or counts.size == 0
            or counts.dtype.kind not in "iu"
            or counts.min() < 0
        ):
            raise ValueError(
                f"a confusion matrix must be a square array of counts (integers >= 0), got "
                f"{counts.dtype} of shape {counts.shape}"
            )
        checked[name] = counts
    k = len(next(iter(checked.values())))
    if any(len(counts) != k for counts in checked.values()):
        raise ValueError("the confusion matrices must all have the same number of classes")
    names = [str(j) for j in range(k)] if labels is None else [str(x) for x in labels]
    if len(names) != k:
        raise ValueError(f"got {len(names)} labels for {k} classes")
    fig, axes = _new_figure(0.42 * k * len(checked) + 1.2, 0.42 * k + 1.3, ncols=len(checked))
    for ax, (name, counts) in zip(axes, checked.items(), strict=True):
        _confusion_panel(ax, counts, names, str(name))
    fig.suptitle(title)
    if out is not None:
        save_figure(fig, out)
    return fig


def plot_misclassified(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    path: str | os.PathLike[str] | None = None,
    *,
    max_images: int = 30,
    shape: tuple[int, int] = DIGIT_IMAGE_SHAPE,
    ncols: int = 10,
    title: str | None = None,
) -> Figure:
    """The images whose predicted label is wrong, each captioned "true t / said p".

    Shows the first ``max_images`` mistakes in the order of the data; the title counts
    them all. With no mistake at all, the figure says so.
    """
    out = _check_path(path)
    A = _images(images, shape, "images")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != (len(A),) or y_pred.shape != (len(A),):
        raise ValueError(
            f"y_true and y_pred must hold one label per image ({len(A)}), got shapes "
            f"{y_true.shape} and {y_pred.shape}"
        )
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"max_images must be a positive integer, got {max_images!r}")
    wrong = np.flatnonzero(y_true != y_pred)
    heading = title or (
        f"Misclassified: {len(wrong)} of {len(A)} images (true / said)"
        + (f", the first {max_images}" if len(wrong) > max_images else "")
    )
    if len(wrong) == 0:
        fig, (ax,) = _new_figure(4.0, 1.2)
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no misclassified image", ha="center", va="center")
        fig.suptitle(heading)
    else:
        shown = wrong[:max_images]
        captions = [f"true {y_true[k]} / said {y_pred[k]}" for k in shown]
        fig = _image_grid(A[shown], captions, _check_grid(ncols), heading, cmap="gray_r", vmin=0.0)
    if out is not None:
        save_figure(fig, out)
    return fig
