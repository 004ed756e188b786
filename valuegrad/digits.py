"""The lecture's digit slides, computed: p = Wx and one hidden layer on handwritten digits.

The slides "A simple neural network for classification" classify images of digits:
"instead of a single vector w, we want 10 weight vectors (one for each digit)", stacked
as the rows of W, so that p = Wx and the prediction is the j with the largest [p]_j.
"Hidden layers" then adds one: p = W2 h(W1 x + b0) + b1. Both run here on the 1,797
handwritten 8x8 digits of :func:`nn.data.digits` (the slides' MNIST images are 28x28;
these are the small UCI ones that scikit-learn ships, so no download):

* :func:`linear_classifier` -- p = Wx: 64 inputs, 10 outputs, no bias, exactly the
  slide, trained from W = 0. Row j of W is the weight vector w_j of digit j, itself an
  8x8 image;
* :func:`hidden_network` -- p = W2 relu(W1 x + b0) + b1, 64-32-10 by default;
* :func:`run_digits` trains either with softmax cross-entropy on a split stratified by
  class, and returns a :class:`DigitsResult` (history, predictions, confusion matrix);
* :func:`run_cli` is ``valuegrad classify --dataset digits`` (its hook in
  :mod:`valuegrad.commands.classify` is two calls: :func:`add_arguments` and
  :func:`handles`).

Defaults (:data:`DIGITS_DEFAULTS`): Adam with lr 0.02, mini-batches of 32, 20 epochs,
a quarter of the images held out, on the compiled engine where it applies. Measured
over seeds 0-9 they reach a test accuracy of about 0.96 (p = Wx) and 0.97 (64-32-10);
see the README's "Handwritten digits" section. Only the command line (:func:`run_cli`)
prints and draws.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from nn import MLP, History, Optimizer, accuracy, data, optim, predict, train

__all__ = [
    "DIGITS_DEFAULTS",
    "HIDDEN_SIZES",
    "DigitsResult",
    "add_arguments",
    "confusion_matrix",
    "handles",
    "hidden_network",
    "linear_classifier",
    "most_confused",
    "network_name",
    "run_cli",
    "run_digits",
    "split_digits",
]

N_CLASSES = 10
HIDDEN_SIZES = [32]
"""Hidden layer widths of the default digits network: 64-32-10."""
MAX_LAYERS = 8
"""The most hidden layers ``--hidden`` may ask for."""
MAX_WIDTH = 4096
"""The widest hidden layer ``--hidden`` may ask for."""
MAX_WEIGHTS = 600_000
"""The most weights a ``--hidden`` network may have: about the lecture's 784-512-256-10
(535,040). One sample's compiled graph holds three nodes per weight, and the replay a
value and a gradient per node and sample: beyond this, a batch needs gigabytes."""

DIGITS_DEFAULTS: dict[str, Any] = {
    "hidden": HIDDEN_SIZES,
    "test_fraction": 0.25,
    "data_seed": 0,
    "mode": "stochastic",
    "epochs": 20,
    "lr": 0.02,
    "optimizer": "adam",
    "momentum": 0.0,
    "batch_size": 32,
    "init": "auto",
    "seed": 0,
    "engine": "auto",
}
"""Defaults of :func:`run_digits` and ``classify --dataset digits``: about 3 s for the
64-32-10 network on two cores (compiled engine), 1 s for p = Wx."""


def split_digits(
    test_fraction: float = DIGITS_DEFAULTS["test_fraction"],
    data_seed: int = DIGITS_DEFAULTS["data_seed"],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test) of the digits, stratified by class."""
    X, y = data.digits()
    return data.train_test_split(X, y, test_fraction, seed=data_seed, stratify=True)


def linear_classifier() -> MLP:
    """p = Wx: one linear layer, 64 -> 10, from W = 0 (train only its weights: no bias).

    Why start at 0: the softmax cross-entropy of p = Wx is convex in W (no symmetry to
    break, one minimum), and a pixel that no training image inks gets no gradient
    (dl/d[W]_ji = x_i ([softmax(p)]_j - [t]_j) = 0), so it keeps its starting weight.
    From 0, those pixels stay blank in the weight images instead of showing random noise.
    """
    zeros = [np.zeros((N_CLASSES, 64))]
    # (activation names the hidden layers' function: there are none, so linear)
    return MLP(64, [N_CLASSES], activation="linear", output_activation="linear", weights=zeros)


def hidden_network(
    hidden: list[int] | None = None, seed: int | None = 0, init: str = "auto"
) -> MLP:
    """p = W2 relu(W1 x + b0) + b1 with the given hidden widths (default 64-32-10)."""
    sizes = list(HIDDEN_SIZES if hidden is None else hidden)
    return MLP(64, [*sizes, N_CLASSES], activation="relu", seed=seed, init=init)


def network_name(hidden: list[int]) -> str:
    """ "p = Wx (64-10)" or "64-32-10" -- how the results name a network."""
    return "p = Wx (64-10)" if not hidden else "-".join(map(str, [64, *hidden, N_CLASSES]))


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, classes: int = N_CLASSES
) -> np.ndarray:
    """(classes, classes) counts: entry [i, j] is how many images of class i were called j."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be two label vectors of one length, got shapes "
            f"{y_true.shape} and {y_pred.shape}"
        )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= classes):
            raise ValueError(f"{name} must hold integer labels in 0..{classes - 1}")
    # each (true, predicted) pair is one cell of the flattened matrix
    flat = np.bincount(y_true * classes + y_pred, minlength=classes * classes)
    return flat.reshape(classes, classes)


def most_confused(matrix: np.ndarray, top: int = 3) -> list[tuple[int, int, int]]:
    """The largest off-diagonal cells as (true, predicted, count), largest first."""
    off = np.array(matrix, dtype=np.int64)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    rows, cols = np.unravel_index(order, off.shape)
    cells = [(int(i), int(j), int(off[i, j])) for i, j in zip(rows, cols, strict=True)]
    return [c for c in cells if c[2] > 0]


@dataclass
class DigitsResult:
    """One training run on the digits: settings, model, history and test predictions."""

    hidden: list[int]
    """Hidden widths; [] for the linear classifier p = Wx."""
    settings: dict[str, Any]
    model: MLP
    history: History
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    predicted: np.ndarray
    """The model's label for every test image."""

    @property
    def name(self) -> str:
        """The network's name, e.g. "p = Wx (64-10)" or "64-32-10"."""
        return network_name(self.hidden)

    @property
    def test_accuracy(self) -> float:
        """Accuracy on the test images after the last update (of an interrupted run too)."""
        return float(np.mean(self.predicted == self.y_test))

    @property
    def train_accuracy(self) -> float:
        """Accuracy on the training images after the last update."""
        return accuracy(self.model, self.X_train, self.y_train)

    @property
    def confusion(self) -> np.ndarray:
        """The test set's confusion matrix: [i, j] counts digit i predicted as j."""
        return confusion_matrix(self.y_test, self.predicted)

    @property
    def trained_parameters(self) -> int:
        """How many numbers the optimizer trained (the linear classifier: weights only)."""
        weights = sum(layer.nin * layer.nout for layer in self.model.layers)
        return weights if not self.hidden else self.model.num_parameters()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``classify --dataset digits --json`` payload)."""
        h = self.history
        return {
            "dataset": {
                "name": "digits",
                "n": len(self.y_train) + len(self.y_test),
                "noise": None,
                "seed": self.settings["data_seed"],
                "test_fraction": self.settings["test_fraction"],
                "n_train": len(self.y_train),
                "n_test": len(self.y_test),
                "stratified": True,
            },
            "network": {
                "name": self.name,
                "sizes": [self.model.nin, *self.model.sizes],
                "activation": "relu" if self.hidden else None,
                "output_activation": "linear",
                "bias": bool(self.hidden),
                "trained_parameters": self.trained_parameters,
                "init": self.settings["init"] if self.hidden else "zeros",
                "loss": "cross_entropy",
            },
            **{k: self.settings[k] for k in ("mode", "seed", "optimizer", "momentum", "lr")},
            "epochs": self.settings["epochs"],
            "batch_size": self.settings["batch_size"],
            "engine": h.engine,
            "test_accuracy": self.test_accuracy,
            "train_accuracy": self.train_accuracy,
            "confusion": self.confusion.tolist(),
            "losses": h.loss,
            "test_losses": h.test_loss,
            "train_accuracies": h.train_accuracy,
            "test_accuracies": h.test_accuracy,
            "steps": h.steps,
            "epochs_done": h.epochs_done,
            "interrupted": h.interrupted,
            "seconds": h.seconds,
        }


def _optimizer(model: MLP, linear: bool, settings: dict[str, Any]) -> Optimizer:
    # p = Wx has no bias: its biases (0) are left out of the optimizer and stay 0
    params = model.weight_params() if linear else model.parameters()
    return optim.create(settings["optimizer"], params, settings["lr"], settings["momentum"])


def run_digits(
    hidden: list[int] | None = None,
    *,
    split: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    progress: bool = False,
    stop: Callable[[], bool] | None = None,
    **settings: Any,
) -> DigitsResult:
    """Train a digits network once: ``hidden=[]`` is p = Wx, the default 64-32-10.

    ``settings`` override :data:`DIGITS_DEFAULTS` (test_fraction, data_seed, mode,
    epochs, lr, optimizer, momentum, batch_size, init, seed, engine); ``split`` passes an
    already made (X_train, X_test, y_train, y_test); ``stop`` is ``nn.train``'s hook,
    asked after every update (the history then says ``interrupted``).
    """
    unknown = set(settings) - set(DIGITS_DEFAULTS)
    if unknown:
        raise TypeError(f"run_digits got unknown settings {sorted(unknown)}")
    s = {**DIGITS_DEFAULTS, **settings}
    hidden = list(HIDDEN_SIZES if hidden is None else hidden)
    s["hidden"] = hidden
    X_train, X_test, y_train, y_test = split or split_digits(s["test_fraction"], s["data_seed"])
    linear = not hidden
    # (p = Wx starts from W = 0, so ``init`` and ``seed`` do not apply to its weights;
    # the seed still orders the mini-batches)
    model = linear_classifier() if linear else hidden_network(hidden, s["seed"], s["init"])
    history = train(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        mode=s["mode"],
        epochs=s["epochs"],
        optimizer=_optimizer(model, linear, s),
        batch_size=s["batch_size"],
        seed=s["seed"],
        X_test=X_test,
        y_test=y_test,
        progress=progress,
        engine=s["engine"],
        stop=stop,
    )
    return DigitsResult(
        hidden=hidden,
        settings=s,
        model=model,
        history=history,
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        predicted=predict(model, X_test),
    )


# --------------------------------------------------------------------------- #
# valuegrad classify --dataset digits                                           #
# --------------------------------------------------------------------------- #


class _Default(str):
    """An option's default text, told apart from the same text typed by the user."""

    __slots__ = ()


# classify's options whose digits default differs (or which do not apply to the digits)
_OWN_DEFAULTS = ("epochs", "batch_size", "n", "noise")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--hidden`` to the classify parser, and mark the defaults the digits replace."""
    parser.add_argument(
        "--hidden",
        default=None,
        metavar="W[,W...]",
        help="digits only: hidden layer widths, e.g. 32 or 64,32, or 'none' for the "
        "slide's linear classifier p = Wx (default 32: 64-32-10). The digits' own defaults: "
        f"{DIGITS_DEFAULTS['epochs']} epochs, --batch-size {DIGITS_DEFAULTS['batch_size']}",
    )
    parser.set_defaults(**{dest: _Default(parser.get_default(dest)) for dest in _OWN_DEFAULTS})


def _given(value: Any) -> bool:
    return value is not None and not isinstance(value, _Default)


def handles(args: argparse.Namespace) -> bool:
    """True for ``--dataset digits`` (then call :func:`run_cli`); refuses digits-only options."""
    from valuegrad.cli import UsageError

    if args.dataset == "digits":
        return True
    if getattr(args, "hidden", None) is not None:
        raise UsageError("--hidden applies to --dataset digits only")
    return False


def _hidden(text: str | None) -> list[int]:
    from valuegrad.cli import UsageError

    if text is None:
        return list(HIDDEN_SIZES)
    if text.strip().lower() in ("none", "0", ""):
        return []
    try:
        widths = [int(part) for part in text.split(",")]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1 or max(widths) > MAX_WIDTH or len(widths) > MAX_LAYERS:
        raise UsageError(
            f"--hidden must be up to {MAX_LAYERS} positive widths of at most {MAX_WIDTH} "
            f"separated by commas (e.g. 32 or 64,32) or 'none', got {text!r}"
        )
    sizes = [64, *widths, N_CLASSES]
    weights = sum(a * b for a, b in pairwise(sizes))
    if weights > MAX_WEIGHTS:
        raise UsageError(
            f"--hidden {text} makes a network of {weights:,} weights, more than the "
            f"{MAX_WEIGHTS:,} this command trains"
        )
    return widths


def _cli_settings(args: argparse.Namespace) -> tuple[dict[str, Any], list[int], int]:
    from nn.layers import INITS
    from nn.train import ENGINES, MODES, OPTIMIZERS
    from valuegrad.cli import UsageError
    from valuegrad.commands.classify import MAX_EPOCHS, MAX_POINTS, MAX_RUNS, MAX_SEED
    from valuegrad.options import parse_float, parse_int

    for option, dest in (("--n", "n"), ("--noise", "noise")):
        if _given(getattr(args, dest)):
            raise UsageError(
                f"{option} does not apply to --dataset digits (a fixed set of 1,797 images)"
            )

    def text(dest: str) -> str:
        value = getattr(args, dest)
        return value if _given(value) else str(DIGITS_DEFAULTS[dest])

    def choice(option: str, value: str, choices: Any) -> str:
        if value not in choices:
            raise UsageError(f"{option} must be one of {', '.join(choices)}, got {value!r}")
        return value

    settings: dict[str, Any] = {
        "test_fraction": parse_float("--test-fraction", args.test_fraction, low=0.0, high=1.0),
        "data_seed": parse_int("--data-seed", args.data_seed, 0, MAX_SEED),
        "mode": choice("--mode", args.mode or DIGITS_DEFAULTS["mode"], MODES),
        "epochs": parse_int("--epochs", text("epochs"), 1, MAX_EPOCHS),
        "lr": parse_float("--lr", args.lr, low=0.0),
        "optimizer": choice("--optimizer", args.optimizer, OPTIMIZERS),
        "momentum": parse_float("--momentum", args.momentum, low=0.0, high=1.0, low_open=False),
        "batch_size": parse_int("--batch-size", text("batch_size"), 1, MAX_POINTS),
        "init": choice("--init", args.init, INITS),
        "seed": parse_int("--seed", args.seed, 0, MAX_SEED),
        "engine": choice("--engine", args.engine, ENGINES),
    }
    if settings["momentum"] and settings["optimizer"] != "sgd":
        raise UsageError("--momentum applies to --optimizer sgd only")
    runs = parse_int("--runs", args.runs, 1, MAX_RUNS)
    if settings["seed"] + runs - 1 > MAX_SEED:
        raise UsageError(
            f"--seed {settings['seed']} with --runs {runs} goes past the largest seed, {MAX_SEED:,}"
        )
    return settings, _hidden(args.hidden), runs


def _header(result_settings: dict[str, Any], hidden: list[int], seeds: str) -> str:
    s = result_settings
    how = (
        "full batch, one update per epoch"
        if s["mode"] == "batch"
        else f"shuffled mini-batches of {s['batch_size']}"
    )
    network = (
        "the slide's linear classifier p = Wx (10 weight vectors, no bias, from W = 0)"
        if not hidden
        else f"{network_name(hidden)}, ReLU hidden layer{'s' if len(hidden) > 1 else ''}"
    )
    optimizer = s["optimizer"] + (f" momentum {s['momentum']:g}" if s["momentum"] else "")
    return "\n".join(
        [
            f"Handwritten digits (8x8 images, 10 classes): {network}, softmax cross-entropy",
            f"  data: 1797 images, a {s['test_fraction']:g} share of each digit held out for "
            f"testing, data seed {s['data_seed']}",
            f"  training: {s['mode']} ({how}), {optimizer} lr {s['lr']:g}, {s['epochs']} epochs, "
            f"init {s['init']}, {seeds}, {s['engine']} engine",
        ]
    )


def _confusion_text(matrix: np.ndarray) -> str:
    lines = ["confusion matrix of the test set (rows: true digit, columns: predicted):"]
    lines.append("       " + "".join(f"{j:>5}" for j in range(len(matrix))))
    for i, row in enumerate(matrix):
        lines.append(f"  {i:>3}  " + "".join(f"{int(c):>5}" for c in row))
    worst = most_confused(matrix)
    if worst:
        lines.append(
            "most confused: " + ", ".join(f"{i} taken for {j} ({n}x)" for i, j, n in worst)
        )
    return "\n".join(lines)


def _epoch_lines(h: History) -> str:
    every = max(1, h.epochs // 10)
    return "\n".join(
        f"  epoch {e + 1:>5}  loss {h.loss[e]:.4f}  test loss {h.test_loss[e]:.4f}  "
        f"train acc {h.train_accuracy[e]:.3f}  test acc {h.test_accuracy[e]:.3f}"
        for e in range(h.epochs)
        if e % every == 0 or e == h.epochs - 1
    )


def _write_files(result: DigitsResult, out_dir: Path, payload: dict[str, Any]) -> None:
    from valuegrad.options import write_json
    from viz.plots import (
        plot_confusion_matrix,
        plot_digit_weights,
        plot_losses,
        plot_misclassified,
    )

    stem = "digits_linear" if not result.hidden else "digits_" + "_".join(map(str, result.hidden))
    write_json(out_dir / f"{stem}.json", payload)
    written = []
    path = out_dir / f"{stem}_loss.svg"
    plot_losses({result.name: result.history}, path, title=f"digits, {result.name}: loss")
    written.append(path)
    path = out_dir / f"{stem}_confusion.svg"
    plot_confusion_matrix(
        result.confusion, path, title=f"{result.name}: test accuracy {result.test_accuracy:.3f}"
    )
    written.append(path)
    path = out_dir / f"{stem}_weights.svg"
    first = result.model.layers[0]
    plot_digit_weights(
        first.weights,
        path,
        titles=[f"w{j}" for j in range(first.nout)] if not result.hidden else None,
        title="the 10 weight vectors of p = Wx, as images"
        if not result.hidden
        else f"the {first.nout} weight vectors of the first layer, as images",
    )
    written.append(path)
    path = out_dir / f"{stem}_misclassified.svg"
    plot_misclassified(result.X_test, result.y_test, result.predicted, path)
    written.append(path)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)


def run_cli(args: argparse.Namespace) -> int:
    """``valuegrad classify --dataset digits``: train, print the accuracies and confusion."""
    from valuegrad.options import interrupt_of, output_dir

    settings, hidden, runs = _cli_settings(args)
    out_dir = output_dir(args.output)
    progress = sys.stderr.isatty()  # on stderr: the --json document stays clean
    interrupt = interrupt_of(args)
    split = split_digits(settings["test_fraction"], settings["data_seed"])
    first_seed = settings["seed"]
    seeds = list(range(first_seed, first_seed + runs))
    if not args.json:
        shown = f"seed {first_seed}" if runs == 1 else f"seeds {seeds[0]}..{seeds[-1]}"
        print(_header(settings, hidden, shown))
    results = []
    for seed in seeds:
        if results and interrupt():
            break  # Ctrl-C between two runs: report the runs made
        result = run_digits(
            hidden, split=split, progress=progress, stop=interrupt, **{**settings, "seed": seed}
        )
        results.append(result)
        if result.history.interrupted:
            break
        if not args.json and runs > 1:
            print(
                f"  seed {seed:>4}: test acc {result.test_accuracy:.3f}  train acc "
                f"{result.train_accuracy:.3f}  loss {result.history.loss[-1]:.4f}  "
                f"{result.history.seconds:.1f} s",
                flush=True,
            )
    first = results[0]
    if runs == 1:
        payload = first.to_dict()
    else:
        accs = [r.test_accuracy for r in results]
        payload = {
            **{k: v for k, v in first.to_dict().items() if k in ("dataset", "network")},
            "seeds": seeds,
            "summary": {
                "min": min(accs),
                "median": statistics.median(accs),
                "max": max(accs),
                "mean": statistics.fmean(accs),
            },
            "runs": [r.to_dict() for r in results],
            "runs_done": len(results),
            "interrupted": interrupt.requested,
        }
    if args.json:
        print(json.dumps(payload))
    else:
        h = first.history
        if runs == 1:
            print(_epoch_lines(h))
        else:
            s = payload["summary"]
            print(
                f"test accuracy over {runs} seeds: min {s['min']:.3f}  median "
                f"{s['median']:.3f}  max {s['max']:.3f}   (seed {first.settings['seed']} below)"
            )
        print(
            f"test accuracy {first.test_accuracy:.3f}, train accuracy {first.train_accuracy:.3f}"
            f"  ({h.steps} updates, {h.seconds:.1f} s, {1e3 * h.seconds_per_epoch:.0f} ms per "
            f"epoch, {h.engine} engine)"
        )
        print(_confusion_text(first.confusion))
    if out_dir is not None:
        _write_files(first, out_dir, payload)
    return 0
