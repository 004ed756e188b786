"""One playground run, epoch by epoch, on the compiled engine.

:class:`Trainer` is ``nn.train`` cut into steps, so that a server can run many of them a
slice at a time: the same data split, initial weights, shuffling, batches, updates and
evaluation, in the same order, so an epoch here gives the numbers ``nn.train`` gives
(``tests/test_playground_training.py`` checks it to the bit). It is built only on the
public APIs of ``autograd`` and ``nn``:

* the per-sample loss ``cross_entropy(net(x), onehot)`` is compiled once, as ``nn.train``
  compiles it (``nn.train.compile_loss``: the class label enters as a one-hot target,
  so one recording serves every sample) and replayed over each batch;
* ``nn.optim.SGD`` (plain or with momentum) or ``nn.optim.Adam`` updates the weights,
  with the L2 penalty as ``weight_decay`` on the weights only (biases are not
  regularised, as in the TensorFlow Playground): two optimizers, one per group;
* ``nn.evaluate`` measures loss and accuracy with numpy, no graph.

A run depends only on its settings: the data come from ``nn.data`` with the seed, the
weights from ``MLP(seed=...)`` and the shuffling from ``numpy.random.default_rng(seed)``.
A trainer holds no global state, so any number of them, in any threads, in any
interleaving, give the same numbers as one alone (one thread at a time per trainer).
"""

from __future__ import annotations

import base64
import math
from array import array
from typing import Any

import numpy as np

from nn import MLP, evaluate, optim
from nn.data import DATASETS, train_test_split
from nn.optim import Optimizer
from nn.train import DIVERGENCE_FACTOR, baseline_loss, compile_loss, epoch_batches
from valuegrad.playground.validation import MOMENTUM, Settings

__all__ = ["GRID", "NEURON_GRID", "DivergedError", "GroupedOptimizer", "Trainer", "make_data"]

GRID = 50
"""The decision boundary is evaluated on a GRID x GRID lattice of the plane."""
NEURON_GRID = 20
"""Each neuron's small heatmap is evaluated on NEURON_GRID x NEURON_GRID points."""


class DivergedError(FloatingPointError):
    """The loss or a weight stopped being a finite number."""


def make_data(settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test) for the settings: the split, then added points.

    The generated (or uploaded) points are split with ``nn.data.train_test_split``
    (``trainPercent`` of them to train, rounded, by the seed); points added by clicking always
    go to the training set, after the others.
    """
    if settings.dataset == "custom":
        rows = np.array(settings.custom, dtype=np.float64).reshape(-1, 3)
        X, y = rows[:, :2].copy(), rows[:, 2].astype(np.int64)
    else:
        X, y = DATASETS[settings.dataset](settings.points, settings.noise, settings.seed)
    # (100 - trainPercent)% of the n points, rounded, to test (at least one, leaving one
    # to train). train_test_split takes ceil(fraction * n) and 0.3 * 100 is 30.000000000000004,
    # so the fraction asked for is half a point less than the count wanted.
    n = len(y)
    n_test = min(max(((100 - settings.trainPercent) * n + 50) // 100, 1), n - 1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, (n_test - 0.5) / n, settings.seed)
    if settings.added:
        added = np.array(settings.added, dtype=np.float64).reshape(-1, 3)
        X_train = np.vstack([X_train, added[:, :2]])
        y_train = np.concatenate([y_train, added[:, 2].astype(np.int64)])
    return X_train, X_test, y_train, y_test


class GroupedOptimizer(Optimizer):
    """Several optimizers stepped as one (PyTorch's parameter groups): e.g. decay weights only."""

    def __init__(self, groups: list[Optimizer]) -> None:
        super().__init__([p for g in groups for p in g.params], groups[0].lr)
        self.groups = groups

    def step(self, grads: np.ndarray | None = None) -> np.ndarray:
        """Step every group (``grads``: all gradients, in the order of ``params``)."""
        start, values = 0, []
        for g in self.groups:
            n = len(g.params)
            values.append(g.step(None if grads is None else grads[start : start + n]))
            start += n
        self.steps += 1
        return np.concatenate(values)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate of every group."""
        self.lr = lr
        for g in self.groups:
            g.lr = lr

    def set_weight_decay(self, l2: float) -> None:
        """Change the L2 coefficient of the first group (the weights)."""
        self.groups[0].weight_decay = l2


def make_optimizer(model: MLP, settings: Settings) -> GroupedOptimizer:
    """The optimizer the settings name, with L2 (``weight_decay``) on the weights only."""
    name = "adam" if settings.optimizer == "adam" else "sgd"
    mu = MOMENTUM if settings.optimizer == "momentum" else 0.0
    return GroupedOptimizer(
        [
            optim.create(name, model.weight_params(), settings.lr, mu, settings.l2),
            optim.create(name, model.bias_params(), settings.lr, mu),
        ]
    )


def _quantise(values: np.ndarray) -> str:
    """Values in [-1, 1] as base64 bytes 0..255 (the page's 256 shades are plenty).

    A diverged network's nan shows as 0 and its infinities as the ends of the scale.
    """
    values = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=-1.0)
    q = np.rint((np.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def _round(x: float) -> float:
    return float(f"{x:.5g}")


class Trainer:
    """A network, its data and its optimizer, trained one epoch at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.X_train, self.X_test, self.y_train, self.y_test = make_data(settings)
        self.model = MLP(2, settings.sizes, settings.activation, seed=settings.seed)
        self.optimizer = make_optimizer(self.model, settings)
        self.rng = np.random.default_rng(settings.seed)
        # the per-sample loss, compiled once; its gradients come as one array, in the
        # order of the model's parameters, which the optimizer's groups reorder
        self._loss = compile_loss(self.model, self.X_train, self.y_train, "cross_entropy")
        where = {p: k for k, p in enumerate(self._loss.params)}
        self._order = np.array([where[p] for p in self.optimizer.params], dtype=np.intp)
        self._reference: float | None = None  # the first batch loss, for divergence
        self.epoch = 0
        self.steps = 0
        self.error: str | None = None
        # One entry per epoch, as float64 arrays (8 bytes each: a long run stays small).
        self.seen_loss = array("d")  # the mean batch loss the optimizer saw (nn.train's loss)
        self.train_loss = array("d")  # after the epoch's updates, over the whole training set
        self.test_loss = array("d")
        self.train_accuracy = array("d")
        self.test_accuracy = array("d")
        self._measure()  # epoch 0: the untrained network

    # ------------------------------------------------------------------ training
    def run_epoch(self) -> None:
        """One epoch: full batch, or shuffled mini-batches, as ``nn.train``; then measure."""
        s = self.settings
        n = len(self.y_train)
        batches = epoch_batches(n, s.mode, s.batchSize, self.rng)
        opt = self.optimizer
        total = 0.0
        for idx in batches:
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    value, grads = self._loss.loss_and_grad(self.X_train[idx], self.y_train[idx])
            except (ArithmeticError, ValueError) as err:
                raise self._diverged(str(err)) from None
            if not math.isfinite(value):
                raise self._diverged(f"the loss is {value!r}")
            # nn.train's rule: a loss DIVERGENCE_FACTOR times its start (or than the best
            # constant guess) is a divergence, even while it is still finite
            if self._reference is None:
                self._reference = max(value, baseline_loss("cross_entropy", self.y_train))
            elif value > DIVERGENCE_FACTOR * self._reference:
                raise self._diverged(
                    f"the loss has grown to {value:.3g}, over {DIVERGENCE_FACTOR:g} times "
                    f"its start ({self._reference:.3g})"
                )
            with np.errstate(over="ignore", invalid="ignore"):
                values = opt.step(grads[self._order])
            self.steps += 1
            if not np.isfinite(values).all():
                raise self._diverged("a weight overflowed in the update")
            total += value * len(idx)
        self.epoch += 1
        self.seen_loss.append(total / n)
        self._measure()

    def _diverged(self, why: str) -> DivergedError:
        self.error = (
            f"training diverged at epoch {self.epoch + 1}: {why}; reset and try a smaller "
            f"learning rate than {self.settings.lr:g}"
        )
        return DivergedError(self.error)

    def _measure(self) -> None:
        with np.errstate(all="ignore"):
            train = evaluate(self.model, self.X_train, self.y_train)
            test = evaluate(self.model, self.X_test, self.y_test)
        if not all(math.isfinite(v) for v in (*train, *test)):
            raise self._diverged("the loss over the data is no longer a finite number")
        self.train_loss.append(train[0])
        self.train_accuracy.append(train[1])
        self.test_loss.append(test[0])
        self.test_accuracy.append(test[1])

    def update(self, settings: Settings) -> None:
        """Apply settings that need no new run: learning rate, L2, mode and batch size."""
        self.settings = settings
        self.optimizer.set_lr(settings.lr)
        self.optimizer.set_weight_decay(settings.l2)

    def add_points(self, settings: Settings, new: list[tuple[float, float, int]]) -> None:
        """Append clicked points to the training set and carry on training (same weights)."""
        self.settings = settings
        pts = np.array(new, dtype=np.float64).reshape(-1, 3)
        self.X_train = np.vstack([self.X_train, pts[:, :2]])
        self.y_train = np.concatenate([self.y_train, pts[:, 2].astype(np.int64)])

    # ------------------------------------------------------------------ reading
    def history(self, start: int = 0) -> dict[str, list[float | None]]:
        """Per epoch from ``start`` on: the losses and accuracies (entry 0 is before training)."""
        return {
            "trainLoss": self.train_loss[start:].tolist(),
            "testLoss": self.test_loss[start:].tolist(),
            "trainAccuracy": self.train_accuracy[start:].tolist(),
            "testAccuracy": self.test_accuracy[start:].tolist(),
            # no update has been seen before epoch 1
            "seenLoss": [None, *self.seen_loss.tolist()][start:],
        }

    def summary(self) -> dict[str, Any]:
        """The readouts: epoch, losses and accuracies after the latest epoch."""
        return {
            "epoch": self.epoch,
            "steps": self.steps,
            "trainLoss": self.train_loss[-1],
            "testLoss": self.test_loss[-1],
            "trainAccuracy": self.train_accuracy[-1],
            "testAccuracy": self.test_accuracy[-1],
            "error": self.error,
        }

    def snapshot_model(self) -> MLP:
        """A copy of the network with its current weights (to draw, save or explain)."""
        m = self.model
        return MLP(m.nin, m.sizes, m.activation, m.output_activation, m.weights, m.biases)

    def domain(self) -> list[float]:
        """The square of the plane shown: [x0, x1, y0, y1], the points' box with a margin."""
        pts = np.vstack([self.X_train, self.X_test])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        centre = (lo + hi) / 2
        half = max(float((hi - lo).max()) / 2 * 1.15, 0.5)
        return [
            float(centre[0] - half),
            float(centre[0] + half),
            float(centre[1] - half),
            float(centre[1] + half),
        ]

    def data(self) -> dict[str, Any]:
        """The points (train and test, ``[x, y, label]``) and the domain, for the page."""

        def pts(X: np.ndarray, y: np.ndarray) -> list[list[float]]:
            return [
                [_round(a), _round(b), int(c)]
                for (a, b), c in zip(X.tolist(), y.tolist(), strict=True)
            ]

        return {
            "train": pts(self.X_train, self.y_train),
            "test": pts(self.X_test, self.y_test),
            "domain": self.domain(),
        }

    @staticmethod
    def _lattice(domain: list[float], k: int) -> np.ndarray:
        # row r (top to bottom: y falls), column c (x grows), at the cell centres
        x0, x1, y0, y1 = domain
        xs = x0 + (np.arange(k) + 0.5) * (x1 - x0) / k
        ys = y1 - (np.arange(k) + 0.5) * (y1 - y0) / k
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def picture(self) -> dict[str, Any]:
        """What the page draws: boundary, every neuron's heatmap, weights, dead ReLUs.

        The boundary is p(class 1) - p(class 0) = tanh((z1 - z0) / 2) on the GRID lattice,
        in [-1, 1] like the Playground's output; each hidden neuron's heatmap is its
        output on the NEURON_GRID lattice, clipped to [-1, 1] as the Playground does, and
        each output neuron's is 2 p - 1 for its class's probability p.
        All are quantised to bytes (base64). A ReLU is *dead* when its output is 0 on
        every training point: no gradient flows back through it, so it cannot recover.
        """
        with np.errstate(all="ignore"):  # a diverged network's overflow is drawn, not warned
            return self._picture()

    def _picture(self) -> dict[str, Any]:
        model = self.model
        dom = self.domain()
        big = self._lattice(dom, GRID)
        z = model.forward_numpy(big, output_activation=False)
        boundary = np.tanh((z[:, 1] - z[:, 0]) / 2.0)  # p1 - p0 of the softmax
        small = self._lattice(dom, NEURON_GRID)
        half = (dom[1] - dom[0]) / 2
        inputs = [
            (small[:, 0] - (dom[0] + dom[1]) / 2) / half,
            (small[:, 1] - (dom[2] + dom[3]) / 2) / half,
        ]
        outs = model.layer_outputs_numpy(small)
        logits = outs[-1]
        small_boundary = np.tanh((logits[:, 1] - logits[:, 0]) / 2.0)
        train_outs = model.layer_outputs_numpy(self.X_train)
        layers = []
        for k, layer in enumerate(model.layers):
            hidden = k < len(model.layers) - 1
            neurons = []
            for j, neuron in enumerate(layer.neurons):
                # an output neuron shows 2 p_j - 1 (its softmax probability, on [-1, 1])
                col = outs[k][:, j] if hidden else (2 * j - 1) * small_boundary
                neurons.append(
                    {
                        "heatmap": _quantise(col),
                        "weights": [_round(w.data) for w in neuron.w],
                        "bias": _round(neuron.b.data),
                        "dead": bool(
                            hidden
                            and layer.activation == "relu"
                            and not np.any(train_outs[k][:, j] != 0.0)
                        ),
                    }
                )
            layers.append({"activation": layer.activation, "neurons": neurons})
        return {
            "domain": dom,
            "grid": GRID,
            "neuronGrid": NEURON_GRID,
            "boundary": _quantise(boundary),
            "inputs": [_quantise(v) for v in inputs],
            "layers": layers,
        }
