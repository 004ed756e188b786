"""The lecture's two experiments, as functions that return result dataclasses.

* :func:`run_regression` -- the first network (2-3-2, sigmoid, loss 1/2 ||p - y||^2) from
  the lecture's given weights, on its one sample, trained by SGD with eta = 0.5.
* :func:`run_classification` -- the second network (2-4-6-6-4-2, ReLU, softmax
  cross-entropy) on a two-class data set, trained in batch or stochastic mode;
  :func:`run_sweep` repeats it over seeds and modes ("run the code several times to find
  a potential pattern").

The command line (``valuegrad regress`` / ``valuegrad classify``), the demo report and
the notebooks all call these; nothing here prints or draws (except a tqdm progress bar
on stderr when asked for).

Every loop takes ``stop``, a function called between two steps (see ``nn.train``):
when it returns True, the experiment ends after the step in progress and returns what
it has done so far, marked ``interrupted`` (the command line's Ctrl-C).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import Value
from nn import MLP, SGD, History, data, squared_error, train
from nn.evaluate import accuracy
from nn.train import MODES

__all__ = [
    "CLASSIFY_DEFAULTS",
    "HIDDEN_BIAS",
    "HIDDEN_WEIGHTS",
    "OUTPUT_BIAS",
    "OUTPUT_WEIGHTS",
    "SECOND_NETWORK_SIZES",
    "SLIDE",
    "STUCK_ACCURACY",
    "ClassificationResult",
    "ForwardPass",
    "ModeSummary",
    "RegressionResult",
    "SweepResult",
    "X",
    "Y",
    "dead_relus",
    "first_network",
    "forward_pass",
    "parameter_names",
    "run_classification",
    "run_regression",
    "run_sweep",
    "second_network",
    "split_data",
]

# --------------------------------------------------------------------------- #
# The first network.                                                            #
# --------------------------------------------------------------------------- #

X = [0.05, 0.1]
"""The first network's one input."""
Y = [0.01, 0.99]
"""Its target."""
HIDDEN_WEIGHTS = [[0.15, 0.2], [0.25, 0.3], [0.35, 0.4]]
"""W0: row j is hidden neuron j's weight vector w_j."""
HIDDEN_BIAS = 0.45
"""The hidden layer's bias (the same for its three neurons)."""
# The slide prints W1 as [[.5, .6, .7], [.55, .65, .75]], but its numbers (z3 = 1.8245,
# z4 = 2.1038) come out only with the list .5, .55, ..., .75 laid row by row, as the
# lecture's code lays it, and an output bias of .8 (see ARCHITECTURE.md, "The lecture's figures").
OUTPUT_WEIGHTS = [[0.5, 0.55, 0.6], [0.65, 0.7, 0.75]]
"""W1: row j is output neuron j's weight vector w_{3+j}."""
OUTPUT_BIAS = 0.8
"""The output layer's bias."""

SLIDE = {
    "z": [0.4775, 0.4925, 0.5057, 1.8245, 2.1038],  # sic: z2 is .5075 (a typo on the slide)
    "h": [0.6172, 0.6207, 0.6242],
    "p": [0.8611, 0.8913],
    "loss": 0.3671,
    "dl/d[w0]0": 0.0006,  # the quiz's answer as printed; the exact value is 0.000528
}
"""The numbers printed on the slides (four digits; z2 as printed)."""


def first_network() -> MLP:
    """The lecture's 2-3-2 sigmoid network with its given weights and biases."""
    return MLP(
        2,
        [3, 2],
        activation="sigmoid",
        output_activation="sigmoid",
        weights=[HIDDEN_WEIGHTS, OUTPUT_WEIGHTS],
        biases=[HIDDEN_BIAS, OUTPUT_BIAS],
    )


def parameter_names(net: MLP) -> list[tuple[str, Value]]:
    """(lecture name, Value) for every parameter: ``[w_j]_i`` and ``b_j``, neurons numbered 0..4."""
    names = []
    j = 0
    for layer in net.layers:
        for neuron in layer.neurons:
            names.extend((f"[w{j}]{i}", w) for i, w in enumerate(neuron.w))
            names.append((f"b{j}", neuron.b))
            j += 1
    return names


@dataclass(frozen=True)
class ForwardPass:
    """One forward and backward pass of the first network on its sample."""

    z: list[float]
    """Pre-activations z0..z2 (hidden) and z3, z4 (output)."""
    h: list[float]
    """Hidden outputs [h]0..[h]2."""
    output: list[float]
    """The prediction [p]0, [p]1."""
    loss: float
    """1/2 ||p - y||^2."""
    gradients: dict[str, float]
    """d loss / d parameter, by lecture name (``[w0]0``, ..., ``b4``)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "z": self.z,
            "h": self.h,
            "output": self.output,
            "loss": self.loss,
            "gradients": self.gradients,
        }


def forward_pass(net: MLP, x: Sequence[float] = X, y: Sequence[float] = Y) -> ForwardPass:
    """Forward and backward on one sample, reading z, h, p, the loss and every gradient.

    The parameters' ``grad`` fields are left at 0 afterwards.
    """
    net.zero_grad()
    hidden = net.layers[0](list(x))
    p = net.layers[1](hidden)
    loss = squared_error(p, list(y))
    loss.backward()
    # each sigmoid node's parent is its pre-activation z
    z = [v.parents[0].data for v in (*hidden, *p)]
    grads = {name: v.grad for name, v in parameter_names(net)}
    net.zero_grad()
    return ForwardPass(
        z=z,
        h=[v.data for v in hidden],
        output=[v.data for v in p],
        loss=loss.data,
        gradients=grads,
    )


@dataclass
class RegressionResult:
    """The first experiment: the initial pass, the training losses and the final state."""

    steps: int
    lr: float
    train_biases: bool
    initial: ForwardPass
    final: ForwardPass
    losses: list[float]
    """One per iteration: the loss before that iteration's update."""
    model: MLP
    history: History

    @property
    def interrupted(self) -> bool:
        """True when ``stop`` ended the training before ``steps`` iterations."""
        return self.history.interrupted

    @property
    def steps_done(self) -> int:
        """The iterations made (``steps`` unless interrupted); ``final`` is after the last."""
        return self.history.steps

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``valuegrad regress --json`` payload)."""
        return {
            "interrupted": self.interrupted,
            "steps_done": self.steps_done,
            "network": {
                "sizes": [self.model.nin, *self.model.sizes],
                "activation": "sigmoid",
                "loss": "squared_error",
                "x": X,
                "y": Y,
            },
            "settings": {"steps": self.steps, "lr": self.lr, "train_biases": self.train_biases},
            "initial": self.initial.to_dict(),
            "final": {
                **self.final.to_dict(),
                "weights": self.model.weights,
                "biases": self.model.biases,
            },
            "losses": self.losses,
            "seconds": self.history.seconds,
        }


def run_regression(
    steps: int = 1000,
    lr: float = 0.5,
    train_biases: bool = False,
    progress: bool = False,
    stop: Callable[[], bool] | None = None,
) -> RegressionResult:
    """Train the first network with SGD for ``steps`` iterations (weights only by default).

    ``stop()`` is asked after every iteration; when it says True, training ends there.
    """
    net = first_network()
    initial = forward_pass(net)
    params = net.parameters() if train_biases else net.weight_params()
    # One sample, so full-batch descent is the lecture's SGD: one update per iteration,
    # and the history's loss per "epoch" is the loss before that iteration's update.
    history = train(
        net,
        np.array([X]),
        np.array([Y]),
        loss="squared_error",
        mode="batch",
        epochs=steps,
        optimizer=SGD(params, lr),
        progress=progress,
        stop=stop,
        progress_desc="regress: SGD",
        progress_unit="step",
    )
    final = forward_pass(net)  # after the last completed update
    return RegressionResult(
        steps=steps,
        lr=lr,
        train_biases=train_biases,
        initial=initial,
        final=final,
        losses=history.loss,
        model=net,
        history=history,
    )


# --------------------------------------------------------------------------- #
# The second network.                                                           #
# --------------------------------------------------------------------------- #

SECOND_NETWORK_SIZES = [4, 6, 6, 4, 2]
"""Layer widths after the 2 inputs: hidden 4, 6, 6, 4 and 2 outputs (one per class)."""

CLASSIFY_DEFAULTS: dict[str, Any] = {
    "dataset": "moons",
    "n": 300,
    "noise": 0.1,
    "test_fraction": 0.25,
    "data_seed": 0,
    "mode": "stochastic",
    "epochs": 100,
    "lr": 0.02,
    "optimizer": "adam",
    "batch_size": 20,
    "init": "auto",
    "seed": 0,
    "engine": "auto",
}
"""Defaults of ``run_classification`` (and ``valuegrad classify``): chosen so a stochastic
run on moons reaches >= 95% test accuracy for most seeds in a few seconds."""

STUCK_ACCURACY = 0.6
"""A run whose test accuracy is below this is "stuck near 50%" (chance on two classes)."""


def second_network(seed: int | None = 0, init: str = "auto") -> MLP:
    """The lecture's 2-4-6-6-4-2 ReLU network with 2 linear outputs (logits)."""
    return MLP(
        2, SECOND_NETWORK_SIZES, activation="relu", output_activation="linear", seed=seed, init=init
    )


def dead_relus(model: MLP, X: np.ndarray) -> list[int]:
    """Per hidden ReLU layer: how many neurons output 0 for every row of X (dead units).

    A dead unit passes no gradient to its incoming weights (relu' = 0 on all of X): only
    a change in the layers below it (or an optimizer's momentum) can bring it back. A
    layer with every unit dead blocks every gradient to the layers below as well, so
    nothing can: the network's output is constant, and a two-class run sits at about 50%.
    """
    outputs = model.layer_outputs_numpy(np.asarray(X, dtype=np.float64))[:-1]
    return [
        int(np.sum(np.all(A <= 0.0, axis=0)))
        for layer, A in zip(model.layers, outputs, strict=False)
        if layer.activation == "relu"
    ]


@dataclass
class ClassificationResult:
    """One training run of the second network: settings, data, model and history."""

    dataset: str
    n: int
    noise: float
    test_fraction: float
    data_seed: int
    mode: str
    epochs: int
    lr: float
    optimizer: str
    momentum: float
    batch_size: int
    init: str
    seed: int
    engine: str
    model: MLP
    history: History
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    dead: list[int] = field(default_factory=list)
    """Dead ReLU units per hidden layer after training (see ``dead_relus``)."""
    final_accuracy: tuple[float, float] | None = None
    """(train, test) accuracy of the model as it is, when training was interrupted: the
    last update may then lie after the last recorded epoch."""

    @property
    def interrupted(self) -> bool:
        """True when ``stop`` ended the training early."""
        return self.history.interrupted

    @property
    def test_accuracy(self) -> float:
        """Accuracy on the test set after the last update."""
        if self.final_accuracy is not None:
            return self.final_accuracy[1]
        return self.history.test_accuracy[-1]

    @property
    def train_accuracy(self) -> float:
        """Accuracy on the training set after the last update."""
        if self.final_accuracy is not None:
            return self.final_accuracy[0]
        return self.history.train_accuracy[-1]

    @property
    def stuck(self) -> bool:
        """True when the run ended near chance (test accuracy < STUCK_ACCURACY)."""
        return self.test_accuracy < STUCK_ACCURACY

    def summary(self) -> dict[str, Any]:
        """The run's headline numbers, JSON-ready (no per-epoch lists)."""
        return {
            "mode": self.mode,
            "seed": self.seed,
            "test_accuracy": self.test_accuracy,
            "train_accuracy": self.train_accuracy,
            "final_loss": self.history.loss[-1] if self.history.loss else None,
            "dead_relus": self.dead,
            "stuck": self.stuck,
            "steps": self.history.steps,
            "epochs_done": self.history.epochs_done,
            "interrupted": self.interrupted,
            "seconds": self.history.seconds,
        }

    def dataset_dict(self) -> dict[str, Any]:
        """The data set's description, JSON-ready."""
        return {
            "name": self.dataset,
            "n": self.n,
            "noise": self.noise,
            "seed": self.data_seed,
            "test_fraction": self.test_fraction,
            "n_train": len(self.y_train),
            "n_test": len(self.y_test),
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``valuegrad classify --json`` payload)."""
        h = self.history
        return {
            "interrupted": self.interrupted,
            "epochs_done": h.epochs_done,
            "dataset": self.dataset_dict(),
            "network": {
                "sizes": [self.model.nin, *self.model.sizes],
                "activation": self.model.activation,
                "output_activation": self.model.output_activation,
                "init": self.init,
                "loss": "cross_entropy",
            },
            "mode": self.mode,
            "seed": self.seed,
            "optimizer": self.optimizer,
            "momentum": self.momentum,
            "lr": self.lr,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "engine": self.engine,
            "test_accuracy": self.test_accuracy,
            "train_accuracy": self.train_accuracy,
            "losses": h.loss,
            "test_losses": h.test_loss,
            "train_accuracies": h.train_accuracy,
            "test_accuracies": h.test_accuracy,
            "step_losses": h.step_loss,
            "steps": h.steps,
            "dead_relus": self.dead,
            "stuck": self.stuck,
            "seconds": h.seconds,
        }


def split_data(
    dataset: str = CLASSIFY_DEFAULTS["dataset"],
    n: int = CLASSIFY_DEFAULTS["n"],
    noise: float = CLASSIFY_DEFAULTS["noise"],
    data_seed: int = CLASSIFY_DEFAULTS["data_seed"],
    test_fraction: float = CLASSIFY_DEFAULTS["test_fraction"],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test) of a data set, as ``run_classification`` uses it."""
    X_all, y_all = data.load(dataset, n, noise, data_seed)
    return data.train_test_split(X_all, y_all, test_fraction, seed=data_seed)


def run_classification(
    dataset: str = CLASSIFY_DEFAULTS["dataset"],
    n: int = CLASSIFY_DEFAULTS["n"],
    noise: float = CLASSIFY_DEFAULTS["noise"],
    test_fraction: float = CLASSIFY_DEFAULTS["test_fraction"],
    data_seed: int = CLASSIFY_DEFAULTS["data_seed"],
    mode: str = CLASSIFY_DEFAULTS["mode"],
    epochs: int = CLASSIFY_DEFAULTS["epochs"],
    lr: float = CLASSIFY_DEFAULTS["lr"],
    optimizer: str = CLASSIFY_DEFAULTS["optimizer"],
    momentum: float = 0.0,
    batch_size: int = CLASSIFY_DEFAULTS["batch_size"],
    init: str = CLASSIFY_DEFAULTS["init"],
    seed: int = CLASSIFY_DEFAULTS["seed"],
    engine: str = CLASSIFY_DEFAULTS["engine"],
    progress: bool = False,
    split: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    stop: Callable[[], bool] | None = None,
) -> ClassificationResult:
    """Train the second network once: ``seed`` draws the initial weights and the shuffles.

    The data set (``data_seed``) stays fixed across seeds, so runs differ only by their
    initialisation and batch order -- the lecture's "run it several times". ``split``
    passes an already made (X_train, X_test, y_train, y_test). ``stop()`` is asked after
    every update; when it says True, training ends there.
    """
    X_train, X_test, y_train, y_test = split or split_data(
        dataset, n, noise, data_seed, test_fraction
    )
    model = second_network(seed, init)
    history = train(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        mode=mode,
        epochs=epochs,
        lr=lr,
        optimizer=optimizer,
        momentum=momentum,
        batch_size=batch_size,
        seed=seed,
        X_test=X_test,
        y_test=y_test,
        progress=progress,
        engine=engine,
        stop=stop,
    )
    final_accuracy = None
    if history.interrupted:
        # the model after its last update, which may be later than the last full epoch
        final_accuracy = (accuracy(model, X_train, y_train), accuracy(model, X_test, y_test))
    return ClassificationResult(
        dataset=dataset,
        n=n,
        noise=noise,
        test_fraction=test_fraction,
        data_seed=data_seed,
        mode=mode,
        epochs=epochs,
        lr=lr,
        optimizer=optimizer,
        momentum=momentum,
        batch_size=batch_size,
        init=init,
        seed=seed,
        engine=history.engine,  # the engine that ran: "auto" resolves to one of them
        model=model,
        history=history,
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        dead=dead_relus(model, X_train),
        final_accuracy=final_accuracy,
    )


@dataclass(frozen=True)
class ModeSummary:
    """The spread of test accuracy over the runs of one mode."""

    mode: str
    runs: int
    min: float
    median: float
    max: float
    mean: float
    stuck: int
    """Runs that ended near chance (test accuracy < STUCK_ACCURACY)."""
    at_least_95: int
    """Runs with test accuracy >= 0.95."""
    dead_mean: float
    """Mean number of dead ReLU units per run (of the hidden layers' total)."""
    seconds_mean: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


@dataclass
class SweepResult:
    """Many runs of the second network: each mode over seeds S..S+N-1."""

    runs: list[ClassificationResult]
    modes: list[str]
    seeds: list[int]
    interrupted: bool = False
    """True when ``stop`` ended the sweep early: ``runs`` holds the runs made so far, the
    last of which may itself be interrupted (it then counts in no summary)."""

    def by_mode(self, mode: str) -> list[ClassificationResult]:
        """The runs of one mode, in seed order."""
        return [r for r in self.runs if r.mode == mode]

    def completed(self, mode: str) -> list[ClassificationResult]:
        """The runs of one mode that trained for all their epochs."""
        return [r for r in self.by_mode(mode) if not r.interrupted]

    @property
    def summarised_modes(self) -> list[str]:
        """The modes with at least one completed run (all of them unless interrupted)."""
        return [mode for mode in self.modes if self.completed(mode)]

    def summary(self, mode: str) -> ModeSummary:
        """Min / median / max test accuracy and failure counts over a mode's completed runs."""
        runs = self.completed(mode)
        if not runs:
            raise ValueError(f"no {mode} run was completed")
        accs = [r.test_accuracy for r in runs]
        return ModeSummary(
            mode=mode,
            runs=len(runs),
            min=min(accs),
            median=statistics.median(accs),
            max=max(accs),
            mean=statistics.fmean(accs),
            stuck=sum(r.stuck for r in runs),
            at_least_95=sum(a >= 0.95 for a in accs),
            dead_mean=statistics.fmean(sum(r.dead) for r in runs),
            seconds_mean=statistics.fmean(r.history.seconds for r in runs),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``valuegrad classify --runs N --json`` payload)."""
        first = self.runs[0]
        return {
            "interrupted": self.interrupted,
            "runs_done": {mode: len(self.completed(mode)) for mode in self.modes},
            "dataset": first.dataset_dict(),
            "settings": {
                "epochs": first.epochs,
                "lr": first.lr,
                "optimizer": first.optimizer,
                "momentum": first.momentum,
                "batch_size": first.batch_size,
                "init": first.init,
                "engine": first.engine,
            },
            "modes": self.modes,
            "seeds": self.seeds,
            "summary": {mode: self.summary(mode).to_dict() for mode in self.summarised_modes},
            "runs": [{**r.summary(), "losses": r.history.loss} for r in self.runs],
        }


def run_sweep(
    runs: int,
    modes: Sequence[str] = MODES,
    seed: int = CLASSIFY_DEFAULTS["seed"],
    on_run: Callable[[ClassificationResult], object] | None = None,
    stop: Callable[[], bool] | None = None,
    progress: bool = False,
    **settings: Any,
) -> SweepResult:
    """``run_classification`` for seeds seed..seed+runs-1 in each mode (same data set).

    ``on_run(result)`` is called after each run (for progress output); ``settings`` are
    passed to ``run_classification``. ``stop()`` is asked after every update: when it
    says True, the sweep ends with the runs made so far. ``progress`` shows a bar over
    the runs (and each run's own bar) on stderr.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive integer, got {runs!r}")
    merged = {**CLASSIFY_DEFAULTS, **settings}
    split = split_data(
        merged["dataset"],
        merged["n"],
        merged["noise"],
        merged["data_seed"],
        merged["test_fraction"],
    )
    settings = {k: v for k, v in settings.items() if k not in ("mode", "seed")}
    seeds = list(range(seed, seed + runs))
    results: list[ClassificationResult] = []
    from tqdm import tqdm

    bar = tqdm(
        total=len(modes) * runs,
        desc="runs",
        unit="run",
        disable=not progress,
        file=sys.stderr,
        leave=False,
    )
    plan = [(mode, s) for mode in modes for s in seeds]
    interrupted = False
    try:
        for k, (mode, s) in enumerate(plan):
            result = run_classification(
                mode=mode, seed=s, split=split, stop=stop, progress=progress, **settings
            )
            results.append(result)
            bar.update()
            if on_run is not None:
                on_run(result)
            more = k < len(plan) - 1
            interrupted = result.interrupted or (more and stop is not None and stop())
            if interrupted:
                break
    finally:
        bar.close()
    return SweepResult(runs=results, modes=list(modes), seeds=seeds, interrupted=interrupted)
