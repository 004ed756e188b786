"""Plots of training: loss curves and Playground-style decision boundaries (matplotlib).

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
    "plot_datasets",
    "plot_decision_boundaries",
    "plot_decision_boundary",
    "plot_losses",
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
