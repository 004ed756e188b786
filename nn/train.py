"""Training loops: full-batch and stochastic (mini-batch) gradient descent, with a history.

The lecture trains its second network two ways:

* ``mode="batch"``: full-batch gradient descent -- every epoch is one update, on the
  mean loss over all training samples;
* ``mode="stochastic"``: every epoch reshuffles the samples (with a seeded generator)
  and makes one update per mini-batch of ``batch_size`` samples (the last batch may be
  smaller), on that batch's mean loss: ceil(n / batch_size) updates per epoch.

The work for one batch -- forward, mean loss, backward into every ``p.grad`` -- is done by
an *engine*, picked by name:

* ``"eager"``: one scalar graph per sample, built and backpropagated by ``autograd`` (the
  graph ``viz`` draws);
* ``"compiled"``: the per-sample loss graph is recorded once and replayed over whole
  batches by ``autograd.compile`` -- the same arithmetic, many times faster. Targets
  enter the recording as inputs (class labels as one-hot vectors), so the graph does not
  depend on them;
* ``"fast"``: compiled with ``exact=False``: a layer's weighted sums run as matrix
  products (BLAS) and the transcendental functions with numpy's vector math. The
  numbers agree with the other two to rounding, not to the last bit, so a long run
  drifts apart from them by rounding noise; in exchange a wide network (the digits)
  trains several times faster;
* ``"auto"`` (default): compiled where the recording is the same for every sample,
  eager otherwise (a model or loss that branches on the data).

Evaluation (accuracies and the test loss at the end of each epoch) records no graph: an
``MLP`` is evaluated with numpy from its current weights (``MLP.forward_numpy``, the
same arithmetic as the eager forward; matrix products with ``engine="fast"``), any
other module under ``no_grad``.

Divergence. Gradient descent that works makes the loss fall, or wander near where it
started; one that diverges makes it explode. ``train`` raises ``TrainingDivergedError``
(saying which settings to change) as soon as, after an update,

* the loss, a parameter or the model's outputs on the data stop being finite numbers, or
* a batch's loss exceeds ``DIVERGENCE_FACTOR`` (1000) times the larger of the loss at
  the start (the first batch, before any update) and the loss of the best *constant*
  prediction (the entropy of the class frequencies for cross-entropy, the variance of
  the targets for squared errors). The second term keeps a run that starts from an
  almost perfect fit (a loss near 0) from being called divergent for a small rise:
  a loss three orders of magnitude above what predicting a constant would give means
  the parameters are running away, not noisy progress.

Numbers that are too large from the start are a problem of the data, not of the
training: non-finite inputs are refused before training, and an overflow on the first
batch (before any update, so no learning rate is involved) is a ``ValueError`` naming
the size of the inputs. numpy's overflow warnings are silenced exactly where an overflow
is then detected (``np.errstate`` around each batch and each evaluation).

Stopping early. ``stop`` is a function called after every update; when it returns
True, training ends there -- never inside an update -- and the history, marked
``interrupted``, holds the updates and the epochs completed so far (an epoch whose
updates were cut short is not recorded in the per-epoch lists).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np

from autograd import Value, compile
from autograd.compile import DataDependentGraphError
from autograd.graph import gc_paused
from nn import optim
from nn.evaluate import evaluate, labels, outputs
from nn.losses import LossFn, resolve
from nn.module import Module
from nn.optim import SGD, Optimizer

__all__ = [
    "DEFAULT_LR",
    "DIVERGENCE_FACTOR",
    "ENGINES",
    "MODES",
    "OPTIMIZERS",
    "CompiledLoss",
    "History",
    "TrainingDivergedError",
    "baseline_loss",
    "compile_loss",
    "epoch_batches",
    "train",
]

MODES = ("batch", "stochastic")
"""The training modes."""
OPTIMIZERS = optim.NAMES
"""The optimizers ``train`` builds by name."""
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}
"""The learning rate used when ``lr`` is not given, per optimizer name."""

DIVERGENCE_FACTOR = 1000.0
"""A batch loss this many times above its reference (see the module docstring) is divergence."""


class TrainingDivergedError(FloatingPointError):
    """The loss exploded, or the loss or a parameter stopped being finite, during training."""


@dataclass
class History:
    """What happened during ``train``: losses per epoch and per update, accuracies, time."""

    mode: str
    epochs: int
    loss: list[float] = field(default_factory=list)
    """Per epoch: the mean training loss the optimizer saw (sample-weighted over batches)."""
    step_loss: list[float] = field(default_factory=list)
    """Per update: the mean loss of the batch the update was computed from."""
    train_accuracy: list[float] = field(default_factory=list)
    """Per epoch, after its updates (only for integer class labels)."""
    test_accuracy: list[float] = field(default_factory=list)
    """Per epoch, after its updates (only with a test set with integer class labels)."""
    test_loss: list[float] = field(default_factory=list)
    """Per epoch, after its updates (only with a test set)."""
    steps: int = 0
    seconds: float = 0.0
    batch_size: int | None = None
    optimizer: str = ""
    lr: float = 0.0
    engine: str = "eager"
    """The engine that ran the batches: "eager" or "compiled"."""
    interrupted: bool = False
    """True when ``stop`` ended training early (see ``epochs_done`` and ``steps``)."""

    @property
    def epochs_done(self) -> int:
        """Epochs completed (``epochs`` unless interrupted)."""
        return len(self.loss)

    @property
    def seconds_per_epoch(self) -> float:
        """Wall time per epoch, evaluation included."""
        return self.seconds / max(len(self.loss), 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


# ---------------------------------------------------------------------------- #
# One batch: the eager engine.                                                   #
# ---------------------------------------------------------------------------- #


def _eager_batch(model: Module, loss_fn: LossFn, Xb: np.ndarray, yb: np.ndarray) -> float:
    """Forward every sample, mean loss, backward into each ``p.grad``; returns the loss.

    The caller zeroes the gradients first (``backward`` accumulates).
    """
    rows = Xb.tolist()  # Python floats: cheaper to turn into Values than numpy scalars
    targets = yb.tolist()
    if not rows:
        raise ValueError("a batch needs at least one sample")
    with gc_paused():
        total = None
        for x, t in zip(rows, targets, strict=True):
            sample_loss = loss_fn(model(x), t)
            total = sample_loss if total is None else total + sample_loss
        mean = total * (1.0 / len(rows)) if len(rows) > 1 else total
        mean.backward()
        value = mean.data
        del total, mean, sample_loss  # free the graph now, while the collector sleeps
    return value


BatchFn = Callable[[Module, LossFn, np.ndarray, np.ndarray], float]


def _target_columns(loss_name: str | None, y: np.ndarray, n_outputs: int | None) -> np.ndarray:
    """The targets as an (n, k) float array that a compiled program takes as inputs."""
    if loss_name == "cross_entropy" and y.ndim == 1:
        k = n_outputs if n_outputs is not None else int(y.max()) + 1
        _check_class_labels(y, k, "targets")
        return np.eye(k)[y]  # class index -> one-hot probabilities
    return y.reshape(len(y), -1).astype(np.float64)  # (probabilities, or regression targets)


def _check_class_labels(y: np.ndarray, k: int | None, what: str) -> None:
    """Class labels for a model with k outputs: integers in 0..k-1 (k None: >= 0), else
    a ValueError naming the first bad one."""
    if y.dtype.kind not in "iu":
        raise ValueError(f"{what}: cross_entropy needs integer class labels, got dtype {y.dtype}")
    bad = np.flatnonzero((y < 0) | (y >= k)) if k is not None else np.flatnonzero(y < 0)
    if len(bad):
        raise ValueError(
            f"{what}: labels must be in 0..{(k or 0) - 1} for a model with {k} outputs, "
            f"got {int(y[bad[0]])} (row {int(bad[0])})"
        )


class CompiledLoss:
    """A model's per-sample loss, compiled once: the compiled engine's batch function.

    Made by :func:`compile_loss`. Called like the eager batch function,
    ``(model, loss_fn, X_batch, y_batch)``, it adds the batch's gradients to ``p.grad``
    and returns the mean loss; ``loss_and_grad(X_batch, y_batch)`` returns the mean loss
    and the gradients as one array instead (in the order of ``params``), which ``train``
    hands straight to an optimizer over the same parameters.
    """

    def __init__(self, program: Any, loss_name: str | None, width: int) -> None:
        self.program = program
        self.params = program.params
        self._loss_name = loss_name
        self._width = width
        # class index -> one-hot row, by indexing this identity (made once, not per batch)
        self._one_hot = np.eye(width) if loss_name == "cross_entropy" else None

    def _rows(self, Xb: np.ndarray, yb: np.ndarray, checked: bool = False) -> np.ndarray:
        """The program's input rows, [X | targets]; ``checked``: train has checked its
        data once already, so a batch of it needs no second look."""
        if checked and self._one_hot is not None:
            return np.concatenate((Xb, self._one_hot[yb]), axis=1)
        Xb, yb = np.asarray(Xb), np.asarray(yb)
        if Xb.ndim != 2 or len(yb) != len(Xb):
            raise ValueError(
                f"a batch needs X of shape (n, inputs) and n targets, got X of shape "
                f"{Xb.shape} and {len(yb)} targets"
            )
        if self._one_hot is not None and yb.ndim == 1:
            _check_class_labels(yb, self._width, "batch")
            return np.concatenate((Xb, self._one_hot[yb]), axis=1)
        targets = _target_columns(self._loss_name, yb, self._width)
        if targets.shape[1] != self._width:
            raise ValueError(
                f"the targets have {targets.shape[1]} columns per sample; the compiled loss "
                f"takes {self._width}"
            )
        return np.hstack([Xb, targets])

    def __call__(self, model: Module, loss_fn: LossFn, Xb: np.ndarray, yb: np.ndarray) -> float:
        return self.program.backward(self._rows(Xb, yb))

    def loss_and_grad(
        self, Xb: np.ndarray, yb: np.ndarray, param_values: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """(the batch's mean loss, its gradient for every parameter), no ``p.grad`` touched;
        ``param_values`` stands in for the parameters' ``.data`` (see ``Program``)."""
        return self.program.loss_and_grad(self._rows(Xb, yb), param_values=param_values)

    def _checked_batch(
        self, Xb: np.ndarray, yb: np.ndarray, param_values: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """``loss_and_grad`` for ``train``, which has checked all its data once already."""
        rows = self._rows(Xb, yb, checked=True)
        return self.program.loss_and_grad(rows, param_values=param_values)


def compile_loss(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    loss: str | LossFn = "cross_entropy",
    *,
    exact: bool = True,
) -> CompiledLoss:
    """The per-sample ``loss`` of ``model`` compiled once, for batches of (X, y) rows.

    Targets enter the recording as inputs (class labels as one-hot vectors), so one
    recording serves every sample; ``X`` and ``y`` give the example rows it is recorded
    on. A graph that depends on the data raises ``DataDependentGraphError``.
    ``exact=False``: see ``autograd.compile`` (the engine "fast").
    """
    loss_name, loss_fn = resolve(loss)
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    return _compile_batches(model, loss_fn, loss_name, X, y, exact)


def _compile_batches(
    model: Module,
    loss_fn: LossFn,
    loss_name: str | None,
    X: np.ndarray,
    y: np.ndarray,
    exact: bool = True,
) -> CompiledLoss:
    """A batch function that replays the per-sample loss graph compiled once (see above)."""
    n_inputs = X.shape[1]
    n_outputs = (getattr(model, "sizes", None) or [None])[-1]
    targets = _target_columns(loss_name, y, n_outputs)
    single_target = loss_name != "cross_entropy" and y.ndim == 1

    def sample_loss(*columns: Value) -> Value:
        target = columns[n_inputs] if single_target else list(columns[n_inputs:])
        return loss_fn(model(list(columns[:n_inputs])), target)

    program = compile(sample_loss, np.hstack([X, targets]), model.parameters(), exact=exact)
    return CompiledLoss(program, loss_name, targets.shape[1])


def _engine(
    engine: str, model: Module, loss_fn: LossFn, loss_name: str | None, X: np.ndarray, y: np.ndarray
) -> tuple[BatchFn, str]:
    """(batch function, the engine's name) for ``train(engine=...)``."""
    if engine == "eager":
        return _eager_batch, "eager"
    name = "fast" if engine == "fast" else "compiled"
    try:
        return _compile_batches(model, loss_fn, loss_name, X, y, exact=name == "compiled"), name
    except DataDependentGraphError:
        if engine != "auto":
            raise
    except (TypeError, ValueError) as err:
        # e.g. a custom loss that indexes with its target: it cannot take a placeholder
        if engine != "auto":
            raise ValueError(
                f"the compiled engine cannot record this model and loss ({err}); use engine='eager'"
            ) from err
    return _eager_batch, "eager"


ENGINES = ("auto", "eager", "compiled", "fast")
"""The engine names ``train`` accepts (see the module docstring)."""


# ---------------------------------------------------------------------------- #
# The loop.                                                                      #
# ---------------------------------------------------------------------------- #


def _positive_int(name: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def _data(X: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(
            f"{what}: X must be a non-empty 2-D array (n, features), got shape {X.shape}"
        )
    if len(y) != len(X):
        raise ValueError(f"{what}: X has {len(X)} rows but y has {len(y)} entries")
    finite = np.isfinite(X)
    if not finite.all():
        row, col = (int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{what}: X[{row}, {col}] is {float(X[row, col])!r}: the inputs must be finite numbers "
            f"({int((~finite).sum())} of {X.size} are not)"
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{what}: the targets y must be finite numbers")
    return X, y


def _check_labels(model: Module, y: np.ndarray, loss_name: str | None, what: str) -> None:
    sizes = getattr(model, "sizes", None)
    if loss_name == "cross_entropy":
        _check_class_labels(y, sizes[-1] if sizes else None, what)


def _make_optimizer(
    model: Module, optimizer: str | Optimizer, lr: float | None, momentum: float
) -> tuple[Optimizer, str]:
    if isinstance(optimizer, Optimizer):
        if lr is not None or momentum != 0.0:
            raise ValueError(
                "pass lr and momentum to the optimizer itself, not to train(), when "
                "giving an Optimizer instance"
            )
        return optimizer, type(optimizer).__name__.lower()
    if optimizer not in OPTIMIZERS:
        optim.create(optimizer, model.parameters(), 1.0)  # raises, naming the choices
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    return optim.create(optimizer, model.parameters(), lr, momentum), optimizer


def epoch_batches(n: int, mode: str, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The sample indices of one epoch's batches: all n at once ("batch"), or a fresh
    shuffle cut into mini-batches of ``batch_size`` (the last may be smaller)."""
    if mode == "batch":
        return [np.arange(n)]
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def baseline_loss(loss_name: str | None, y: np.ndarray) -> float:
    """The mean loss of the best constant prediction: the scale a sane loss stays within.

    Cross-entropy: the entropy of the class frequencies (predict the frequencies);
    squared errors: the variance of each target column (predict the mean), halved and
    summed for ``squared_error``, averaged for ``mse``; binary cross-entropy: the entropy
    of the mean target. 0 for a loss function the loop does not know.
    """
    if loss_name == "cross_entropy":
        p = np.bincount(y) / len(y)
        p = p[p > 0]
        return float(-np.sum(p * np.log(p)))
    if loss_name in ("squared_error", "mse"):
        var = np.var(y.reshape(len(y), -1).astype(np.float64), axis=0)
        return float(0.5 * var.sum() if loss_name == "squared_error" else var.mean())
    if loss_name == "binary_cross_entropy":
        m = float(np.mean(y))
        return 0.0 if m in (0.0, 1.0) else -(m * math.log(m) + (1 - m) * math.log(1 - m))
    return 0.0


@dataclass
class _Watch:
    """What the divergence checks need to know, and to say which settings to change."""

    opt: Optimizer
    reference: float  # max(first loss, baseline), set at the first update
    baseline: float
    largest_input: float

    def hint(self) -> str:
        """The settings that tame a divergence, most likely first."""
        tips = []
        if self.largest_input > 1e3:
            # He/Xavier initialisation assumes inputs of about unit size: three orders of
            # magnitude above it, the data are the first suspect
            tips.append(
                f"inputs scaled to about unit size (the largest is {self.largest_input:.3g})"
            )
        tips.append(f"a smaller learning rate than lr={self.opt.lr:g}")
        momentum = getattr(self.opt, "momentum", 0.0)
        if isinstance(self.opt, SGD):
            if momentum:
                tips.append(f"less momentum than {momentum:g}")
            tips.append("optimizer='adam' (its steps do not grow with the gradient)")
        tips.append("a smaller initialisation")
        return "try " + ", ".join(tips[:-1]) + " or " + tips[-1]

    def diverged(self, epoch: int, step: int, why: str) -> TrainingDivergedError:
        return TrainingDivergedError(
            f"training diverged at epoch {epoch}, step {step}: {why}; {self.hint()}"
        )


def _too_large_from_the_start(watch: _Watch, why: str) -> ValueError:
    """The first batch overflowed before any update: the data (or the start), not the lr."""
    largest_param = max(abs(p.data) for p in watch.opt.params)
    return ValueError(
        f"the training data overflow the network on the first batch, before any update "
        f"({why}), so the learning rate is not the cause: the inputs (largest |x| = "
        f"{watch.largest_input:.3g}) or the initial parameters (largest |p| = "
        f"{largest_param:.3g}) are too large; scale the inputs to about unit size"
    )


def _direct(opt: Optimizer, batch_fn: BatchFn) -> bool:
    """Whether the loop may keep the parameters in an array: a compiled batch function
    over the optimizer's own parameters, and a library optimizer's update (SGD, Adam or
    a subclass that changes only ``_update``)."""
    return (
        isinstance(batch_fn, CompiledLoss)
        and type(opt).step is Optimizer.step
        and type(opt).step_values is Optimizer.step_values
        and batch_fn.params == opt.params
    )


def _update(
    opt: Optimizer,
    batch_fn: BatchFn,
    model: Module,
    loss_fn: LossFn,
    Xb: np.ndarray,
    yb: np.ndarray,
    epoch: int,
    step: int,
    watch: _Watch,
    values: np.ndarray | None,
) -> float:
    """One gradient step on one batch; returns the batch's mean loss before the step.

    With ``values`` (see :func:`_direct`) the parameters live in that array: the
    compiled loss reads them from it, hands its gradients back as one array, and the
    optimizer updates the array in place; the loop writes them into the Values
    whenever anyone may look. Otherwise the gradients go through ``p.grad``.
    """
    grads = None
    if values is None:
        opt.zero_grad()
    try:
        # an overflow is detected below (or by the engine): numpy need not warn about it
        with np.errstate(over="ignore", invalid="ignore"):
            if values is not None:
                value, grads = cast(CompiledLoss, batch_fn)._checked_batch(Xb, yb, values)
            else:
                value = batch_fn(model, loss_fn, Xb, yb)
    except OverflowError as err:
        if step == 1:
            raise _too_large_from_the_start(watch, str(err)) from err
        raise watch.diverged(epoch, step, str(err)) from err
    if not math.isfinite(value):
        if step == 1:
            raise _too_large_from_the_start(watch, f"the loss is {value!r}")
        raise watch.diverged(epoch, step, f"the loss is {value!r}")
    if step == 1:
        watch.reference = max(value, watch.baseline)
    elif value > DIVERGENCE_FACTOR * watch.reference:
        raise watch.diverged(
            epoch,
            step,
            f"the loss has grown to {value:.3g}, over {DIVERGENCE_FACTOR:g} times its start "
            f"({watch.reference:.3g})",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        if values is not None:
            opt.step_values(values, grads)
            new = values
        else:
            new = opt.step()
    if new is None:  # an optimizer of the user's own
        new = np.fromiter((p.data for p in opt.params), np.float64, len(opt.params))
    if not np.isfinite(new).all():
        raise watch.diverged(epoch, step, "a parameter overflowed in the update")
    return value


def _checked_outputs(
    model: Module, X: np.ndarray, what: str, watch: _Watch, epoch: int, step: int, exact: bool
) -> np.ndarray:
    """The model's outputs on X after an update; divergence if they are not finite."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            out = outputs(model, X, exact=exact)
    except OverflowError as err:  # a generic module, evaluated by the engine
        raise watch.diverged(epoch, step, f"the network's outputs on the {what}: {err}") from err
    if not np.isfinite(out).all():
        raise watch.diverged(epoch, step, f"the network's outputs on the {what} overflow")
    return out


def train(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: str | LossFn = "cross_entropy",
    mode: str = "stochastic",
    epochs: int = 100,
    lr: float | None = None,
    optimizer: str | Optimizer = "sgd",
    momentum: float = 0.0,
    batch_size: int = 20,
    seed: int | None = 0,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    progress: bool = False,
    engine: str = "auto",
    stop: Callable[[], bool] | None = None,
    progress_desc: str | None = None,
    progress_unit: str = "epoch",
) -> History:
    """Train ``model`` on (X, y) by gradient descent; returns the :class:`History`.

    ``loss`` is a name from ``nn.losses.LOSSES`` or a function ``(outputs, target) ->
    Value``. ``optimizer`` is "sgd" (with ``momentum``) or "adam" with learning rate ``lr``
    (default ``DEFAULT_LR``), or an ``Optimizer`` you built (then leave ``lr`` unset, which
    also lets you train a subset of the parameters). ``seed`` drives the shuffling of
    stochastic mode. Accuracies are recorded when ``y`` holds integer class labels.
    ``engine`` is "auto" (compiled when possible), "eager", "compiled" or "fast" (compiled
    with matrix products: equal to rounding, see the module docstring); the history
    records the one used. ``stop()``, called after every update, ends training early
    when it returns True (the history is then marked ``interrupted``). ``progress``
    shows a tqdm bar on stderr (``progress_desc`` and ``progress_unit`` label it).
    Raises ``TrainingDivergedError`` when the training diverges (see the module
    docstring) and ``ValueError`` for data too large to go through the network.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    if stop is not None and not callable(stop):
        raise TypeError(f"stop must be a function of no arguments (or None), got {stop!r}")
    loss_name, loss_fn = resolve(loss)
    X, y = _data(X, y, "training data")
    _check_labels(model, y, loss_name, "training data")
    has_test = X_test is not None or y_test is not None
    if has_test:
        if X_test is None or y_test is None:
            raise ValueError("give both X_test and y_test, or neither")
        X_test, y_test = _data(X_test, y_test, "test data")
        _check_labels(model, y_test, loss_name, "test data")
    opt, opt_name = _make_optimizer(model, optimizer, lr, momentum)
    baseline = baseline_loss(loss_name, y)
    watch = _Watch(opt, baseline, baseline, float(np.abs(X).max()))
    try:
        batch_fn, engine = _engine(engine, model, loss_fn, loss_name, X, y)
    except OverflowError as err:  # recording the graph runs the first sample through it
        raise _too_large_from_the_start(watch, str(err)) from err
    classify = y.dtype.kind in "iu"
    rng = np.random.default_rng(seed)
    n = len(y)
    history = History(
        mode=mode,
        epochs=epochs,
        batch_size=batch_size if mode == "stochastic" else n,
        optimizer=opt_name,
        lr=opt.lr,
        engine=engine,
    )

    from tqdm import tqdm  # imported here: only training needs it

    bar = tqdm(
        range(epochs),
        desc=progress_desc or f"{mode} {opt_name}",
        unit=progress_unit,
        disable=not progress,
        file=sys.stderr,
        leave=False,
    )
    # With a compiled loss the parameters live in one array during the epoch (reading
    # and writing thousands of Values per update would cost more than the update); they
    # are written back before every stop() call, every evaluation, and at the end.
    values = opt.values() if _direct(opt, batch_fn) else None
    exact = engine != "fast"  # how the epoch's evaluations compute the outputs

    def sync() -> None:
        if values is not None:
            opt.store(values)

    start = time.perf_counter()
    try:
        for epoch in bar:
            batches = epoch_batches(n, mode, batch_size, rng)
            epoch_total = 0.0
            for k, idx in enumerate(batches):
                value = _update(
                    opt,
                    batch_fn,
                    model,
                    loss_fn,
                    X[idx],
                    y[idx],
                    epoch + 1,
                    history.steps + 1,
                    watch,
                    values,
                )
                history.steps += 1
                history.step_loss.append(value)
                epoch_total += value * len(idx)
                # between two updates (never inside one); an epoch's last update is
                # followed by its evaluation first, so a completed epoch is recorded
                if k < len(batches) - 1 and stop is not None:
                    sync()
                    if stop():
                        history.interrupted = True
                        break
            if history.interrupted:
                break
            history.loss.append(epoch_total / n)
            sync()
            if classify:
                out = _checked_outputs(
                    model, X, "training data", watch, epoch + 1, history.steps, exact
                )
                history.train_accuracy.append(float(np.mean(labels(model, out) == y)))
            if has_test:
                out = _checked_outputs(
                    model, X_test, "test data", watch, epoch + 1, history.steps, exact
                )
                with np.errstate(over="ignore", invalid="ignore"):
                    test_loss, test_acc = evaluate(
                        model, X_test, y_test, loss, exact=exact, out=out
                    )
                if not math.isfinite(test_loss):
                    raise watch.diverged(
                        epoch + 1, history.steps, f"the test loss is {test_loss!r}"
                    )
                history.test_loss.append(test_loss)
                if test_acc is not None:
                    history.test_accuracy.append(test_acc)
            if progress:
                postfix = {"loss": f"{history.loss[-1]:.4f}"}
                if history.test_accuracy:
                    postfix["test acc"] = f"{history.test_accuracy[-1]:.3f}"
                bar.set_postfix(postfix, refresh=False)
            if epoch < epochs - 1 and stop is not None and stop():
                history.interrupted = True
                break
    finally:
        sync()
        bar.close()
    history.seconds = time.perf_counter() - start
    return history
