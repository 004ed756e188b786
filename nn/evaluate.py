"""Evaluation without a graph: predictions, probabilities, accuracy, the mean loss.

An ``MLP`` is evaluated with numpy from its current weights (``MLP.forward_numpy``, the
same arithmetic as the eager forward), any other module by running it under
``no_grad`` (no graph is recorded). The named losses of :mod:`nn.losses` have numpy
forms here (:func:`numpy_loss`), so a data set's loss costs a few array operations.
"""

from __future__ import annotations

import numpy as np

from autograd import Value, no_grad
from nn.losses import LossFn, resolve
from nn.module import Module

__all__ = ["accuracy", "evaluate", "labels", "numpy_loss", "outputs", "predict", "predict_proba"]


def outputs(
    model: Module, X: np.ndarray, *, output_activation: bool = True, exact: bool = True
) -> np.ndarray:
    """The model's outputs for every row of X as an (n, k) float array (no graph).

    ``output_activation=False`` asks an MLP for its logits; other modules ignore it.
    ``exact=False`` lets an MLP use matrix products (equal to rounding, see
    ``MLP.layer_outputs_numpy``).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (one row per sample), got shape {X.shape}")
    forward_numpy = getattr(model, "forward_numpy", None)
    if forward_numpy is not None:
        if exact:
            return forward_numpy(X, output_activation=output_activation)
        return forward_numpy(X, output_activation=output_activation, exact=False)
    with no_grad():
        rows = []
        for x in X.tolist():
            out = model(x)
            out = [out] if isinstance(out, Value) else out
            rows.append([float(v) for v in out])
    return np.array(rows, dtype=np.float64).reshape(len(X), -1)


def _sigmoid_output(model: Module) -> bool:
    return getattr(model, "output_activation", None) == "sigmoid"


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    # log softmax(z)_k = z_k - m - log sum_j e^{z_j - m}, with m = max_j z_j (stable)
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def predict_proba(model: Module, X: np.ndarray) -> np.ndarray:
    """Class probabilities, (n, classes): softmax of the outputs, or [1-p, p] for one output."""
    out = outputs(model, X)
    if out.shape[1] >= 2:
        return np.exp(_log_softmax(out))
    # One output: a probability if it comes from a sigmoid, otherwise a logit.
    p = (
        out[:, 0]
        if _sigmoid_output(model)
        else 1.0 / (1.0 + np.exp(-np.clip(out[:, 0], -700, 700)))
    )
    return np.column_stack([1.0 - p, p])


def labels(model: Module, out: np.ndarray) -> np.ndarray:
    """Class labels from outputs: the argmax, or for one output a threshold (0.5 or 0)."""
    if out.shape[1] >= 2:
        return out.argmax(axis=1).astype(np.int64)
    # One output: class 1 when p > 1/2 (a sigmoid output) or the logit is > 0.
    threshold = 0.5 if _sigmoid_output(model) else 0.0
    return (out[:, 0] > threshold).astype(np.int64)


def predict(model: Module, X: np.ndarray) -> np.ndarray:
    """Predicted class labels (int64): argmax of the outputs, or a threshold for one output."""
    return labels(model, outputs(model, X))


def accuracy(model: Module, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of X whose predicted label equals y."""
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    return float(np.mean(predict(model, X) == y))


def numpy_loss(
    name: str, model: Module, out: np.ndarray, X: np.ndarray, y: np.ndarray, exact: bool = True
) -> float:
    """The mean of a named loss of ``nn.losses`` over a data set, from the outputs (numpy).

    The same formulas as the scalar losses, vectorised; ``tests/test_nn_evaluate.py``
    checks each against its ``nn.losses`` function on random outputs and targets.
    (``exact``: as for :func:`outputs`, when the loss needs the logits.)
    """
    if name == "cross_entropy":
        return float(-np.mean(_log_softmax(out)[np.arange(len(y)), y]))
    if name == "squared_error":
        return float(np.mean(0.5 * np.sum((out - y.reshape(out.shape)) ** 2, axis=1)))
    if name == "mse":
        return float(np.mean(np.mean((out - y.reshape(out.shape)) ** 2, axis=1)))
    if name == "binary_cross_entropy":
        t = y.reshape(-1).astype(np.float64)
        if _sigmoid_output(model) and hasattr(model, "forward_numpy"):
            z = outputs(model, X, output_activation=False, exact=exact)[:, 0]
            # softplus(z) - t z, stably
            return float(np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - t * z))
        p = np.clip(out[:, 0], 1e-15, 1 - 1e-15)  # evaluation only: report, don't fail
        return float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
    raise ValueError(f"no numpy form for the loss {name!r}")


def evaluate(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    loss: str | LossFn = "cross_entropy",
    *,
    exact: bool = True,
    out: np.ndarray | None = None,
) -> tuple[float, float | None]:
    """(mean loss, accuracy) over a data set, no graph; accuracy is None for non-integer y.

    ``exact``: as for :func:`outputs`; ``out``, the model's outputs on X when the caller
    has them already.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if out is None:
        out = outputs(model, X, exact=exact)
    name, loss_fn = resolve(loss)
    if name is not None:
        mean_loss = numpy_loss(name, model, out, X, y, exact)
    else:
        with no_grad():
            losses = [
                loss_fn([Value(o) for o in row], t)
                for row, t in zip(out.tolist(), y.tolist(), strict=True)
            ]
        mean_loss = float(np.mean([v.data for v in losses]))
    acc = float(np.mean(labels(model, out) == y)) if y.dtype.kind in "iu" else None
    return mean_loss, acc
