"""viz.plots: files are written, SVGs parse and are deterministic, bad arguments are clear."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from nn import MLP, History, data, train
from viz.plots import plot_batch_vs_stochastic, plot_decision_boundary, plot_losses


@pytest.fixture(scope="module")
def trained() -> dict:
    X, y = data.moons(60, 0.1, seed=0)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, 0.25, seed=0)
    models, histories = {}, {}
    for mode in ("batch", "stochastic"):
        models[mode] = MLP(2, [6, 2], seed=1)
        histories[mode] = train(
            models[mode],
            X_tr,
            y_tr,
            mode=mode,
            epochs=3,
            lr=0.05,
            optimizer="adam",
            X_test=X_te,
            y_test=y_te,
        )
    return {"models": models, "histories": histories, "data": (X_tr, X_te, y_tr, y_te)}


def svg_root(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def test_loss_curves_from_histories_and_lists(tmp_path: Path, trained: dict) -> None:
    fig = plot_losses(trained["histories"]["stochastic"], tmp_path / "one.svg")
    assert isinstance(fig, Figure)
    svg_root(tmp_path / "one.svg")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["stochastic", "stochastic (test)"]
    fig = plot_losses(trained["histories"], tmp_path / "steps.png", per="step")
    assert (tmp_path / "steps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lengths = [len(line.get_ydata()) for line in fig.axes[0].get_lines()]
    assert lengths == [3, 3 * 3]  # batch: 1 update per epoch; stochastic: ceil(45 / 20)
    fig = plot_losses([[1.0, 0.5, 0.25], [2.0, 1.0]], labels=["a", "b"])
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["a", "b"]
    fig = plot_losses([0.3, 0.2, 0.1])
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == [0.3, 0.2, 0.1]


def test_svg_output_is_deterministic(tmp_path: Path) -> None:
    plot_losses({"run": [1.0, 0.5, 0.2]}, tmp_path / "a.svg")
    plot_losses({"run": [1.0, 0.5, 0.2]}, tmp_path / "b.svg")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_decision_boundary(tmp_path: Path, trained: dict) -> None:
    X_tr, X_te, y_tr, y_te = trained["data"]
    model = trained["models"]["stochastic"]
    fig = plot_decision_boundary(
        model, X_tr, y_tr, tmp_path / "b.svg", X_test=X_te, y_test=y_te, resolution=40
    )
    root = svg_root(tmp_path / "b.svg")
    assert any(el.tag.endswith("image") for el in root.iter())  # the heat map
    image = fig.axes[0].get_images()[0].get_array()
    assert image.shape == (40, 40)
    assert image.min() >= 0.0 and image.max() <= 1.0
    plot_decision_boundary(model, X_tr, y_tr, tmp_path / "b.png")
    assert (tmp_path / "b.png").stat().st_size > 1000


def test_batch_vs_stochastic(tmp_path: Path, trained: dict) -> None:
    X_tr, X_te, y_tr, y_te = trained["data"]
    fig = plot_batch_vs_stochastic(
        trained["models"],
        trained["histories"],
        X_tr,
        y_tr,
        tmp_path / "both.svg",
        X_test=X_te,
        y_test=y_te,
        resolution=30,
    )
    svg_root(tmp_path / "both.svg")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "Loss per epoch"
    assert titles[1].startswith("batch (3 updates") and titles[2].startswith("stochastic (9")


def test_plots_never_print(
    tmp_path: Path, trained: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    plot_losses(trained["histories"], tmp_path / "x.svg")
    assert capsys.readouterr() == ("", "")


def test_bad_arguments(tmp_path: Path, trained: dict) -> None:
    X_tr, _, y_tr, _ = trained["data"]
    model = trained["models"]["batch"]
    with pytest.raises(ValueError, match=r"must end in one of \.svg, \.png"):
        plot_losses([1.0, 0.5], tmp_path / "loss.jpg")
    with pytest.raises(ValueError, match="per must be 'epoch' or 'step', got 'batch'"):
        plot_losses([1.0], per="batch")
    with pytest.raises(ValueError, match="at least one"):
        plot_losses([])
    with pytest.raises(ValueError, match="got 1 labels for 2 curves"):
        plot_losses([[1.0], [2.0]], labels=["a"])
    with pytest.raises(TypeError, match="History or a sequence of numbers"):
        plot_losses(["abc"])
    with pytest.raises(ValueError, match=r"\(n, 2\) array of points"):
        plot_decision_boundary(model, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="one label per point"):
        plot_decision_boundary(model, X_tr, y_tr[:3])
    with pytest.raises(ValueError, match="2 inputs, got 3"):
        plot_decision_boundary(MLP(3, [2]), X_tr, y_tr)
    with pytest.raises(ValueError, match="two-class"):
        plot_decision_boundary(MLP(2, [3]), X_tr, y_tr)
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(model, X_tr, y_tr, resolution=1)
    with pytest.raises(ValueError, match="both X_test and y_test"):
        plot_decision_boundary(model, X_tr, y_tr, X_test=X_tr)
    with pytest.raises(TypeError, match="nn Module"):
        plot_decision_boundary("model", X_tr, y_tr)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same modes"):
        plot_batch_vs_stochastic(trained["models"], {"batch": History("batch", 1)}, X_tr, y_tr)
    assert list(tmp_path.iterdir()) == []  # nothing written on error
