"""Loss functions: plain functions of a prediction and a target, each one Value out.

Every sum starts from its first term (never from a 0 constant), so the graph holds only
the nodes the formula needs.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value

__all__ = [
    "LOSSES",
    "LossFn",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "logsumexp",
    "mse",
    "resolve",
    "squared_error",
]

Number = int | float
Target = Value | Number | Sequence[Value | Number]
LossFn = Callable[[list[Value], Any], Value]
"""A loss as training calls it: (the model's outputs, one target) -> a Value."""


def _vector(x: Value | Number | Sequence[Value | Number], what: str) -> list[Value | float]:
    """A prediction or target as a non-empty list (a single scalar becomes a list of one)."""
    if isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool):
        return [x]
    try:
        out = list(x)
    except TypeError:
        raise TypeError(
            f"{what} must be a Value, a number or a sequence of them, got {x!r}"
        ) from None
    if not out:
        raise ValueError(f"{what} is empty")
    return out


def _values(xs: list[Value | float]) -> list[Value]:
    return [x if isinstance(x, Value) else Value(x) for x in xs]


def _pairs(
    pred: Value | Sequence[Value | Number], target: Target
) -> list[tuple[Value, Value | float]]:
    """(prediction, target) pairs; a target may be a number or a Value (a placeholder
    of the compiled engine, which feeds targets in as inputs)."""
    p, y = _values(_vector(pred, "pred")), _vector(target, "target")
    if len(p) != len(y):
        raise ValueError(f"pred has {len(p)} entries but target has {len(y)}")
    return list(zip(p, (t if isinstance(t, Value) else float(t) for t in y), strict=True))


def _total(terms: list[Value]) -> Value:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def squared_error(pred: Value | Sequence[Value | Number], target: Target) -> Value:
    """l = 1/2 * sum_k (p_k - y_k)^2 (the lecture's loss; its gradient is p - y)."""
    terms = [(p - y) ** 2 for p, y in _pairs(pred, target)]
    return 0.5 * _total(terms)


def mse(pred: Value | Sequence[Value | Number], target: Target) -> Value:
    """l = 1/K * sum_k (p_k - y_k)^2 (the mean of the squared errors)."""
    pairs = _pairs(pred, target)
    terms = [(p - y) ** 2 for p, y in pairs]
    return _total(terms) * (1.0 / len(pairs))


def _label(label: object, k: int) -> int:
    if isinstance(label, bool) or not isinstance(label, numbers.Integral):
        raise ValueError(f"label must be an integer class index, got {label!r}")
    if not 0 <= label < k:
        raise ValueError(f"label {label!r} is out of range for {k} logits (0..{k - 1})")
    return int(label)


def logsumexp(z: Sequence[Value]) -> Value:
    """log sum_k exp(z_k), combined two terms at a time with ``logaddexp`` (never overflows).

    The terms are paired up level by level, a balanced tree: ceil(log2 k) operations deep
    instead of k - 1, which the compiled engine runs as that many vectorised steps.
    """
    level = list(z)
    while len(level) > 1:
        # logaddexp(a, b) = max(a, b) + log1p(exp(-|a - b|)): finite for any a, b, and its
        # partials are the softmax weights of a and b, so no max needs subtracting.
        paired = [a.logaddexp(b) for a, b in zip(level[::2], level[1::2], strict=False)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def cross_entropy(logits: Sequence[Value | Number], label: int | Sequence[Value | Number]) -> Value:
    """l = log sum_k exp(z_k) - z_label (softmax, then the negative log-likelihood).

    ``label`` is a class index, or a vector of class probabilities t (e.g. one-hot), for
    which l = sum_k t_k (log sum_j exp(z_j) - z_k). The gradient is softmax(z) - t.
    """
    z = _values(_vector(logits, "logits"))
    lse = logsumexp(z)
    if isinstance(label, Sequence) and not isinstance(label, str):
        # Probabilities as targets. For a one-hot t this is exactly lse - z_y: the
        # zero terms are 0 * (a finite number) = 0, and adding 0 changes nothing.
        t = _vector(label, "target probabilities")
        if len(t) != len(z):
            raise ValueError(f"{len(z)} logits but {len(t)} target probabilities")
        return _total([tk * (lse - zk) for tk, zk in zip(t, z, strict=True)])
    return lse - z[_label(label, len(z))]


def binary_cross_entropy_with_logits(z: Value | Number, y: Value | Number) -> Value:
    """l = softplus(z) - y*z, i.e. -[y log s(z) + (1-y) log(1-s(z))] with s the sigmoid."""
    y = _target01(y)
    if not isinstance(z, Value):
        z = Value(z)
    # -log s(z) = softplus(-z) and -log(1 - s(z)) = softplus(z); softplus(-z) = softplus(z) - z
    # gives the combination below, finite for every z. Its gradient is s(z) - y.
    if isinstance(y, float) and y == 0.0:
        return z.softplus()
    return z.softplus() - y * z


def binary_cross_entropy(p: Value | Number, y: Value | Number) -> Value:
    """l = -[y log p + (1-y) log(1-p)] for one probability p (from a sigmoid) and y in [0, 1]."""
    y = _target01(y)
    if isinstance(p, Value) and p.op == "sigmoid":
        # p = s(z): compute from the logit z, stably (see binary_cross_entropy_with_logits).
        return binary_cross_entropy_with_logits(p.parents[0], y)
    if not isinstance(p, Value):
        p = Value(p)
    if not 0.0 < p.data < 1.0:
        raise ValueError(
            f"binary_cross_entropy needs a probability strictly between 0 and 1, got p = "
            f"{p.data!r} (pass the output of .sigmoid() while recording the graph, or use "
            "binary_cross_entropy_with_logits)"
        )
    if isinstance(y, float) and y == 1.0:
        return -p.log()
    if isinstance(y, float) and y == 0.0:
        return -(1.0 - p).log()
    return -(y * p.log() + (1.0 - y) * (1.0 - p).log())


def _target01(y: object) -> Value | float:
    """A target in [0, 1]: a number, or a Value (the compiled engine's placeholder)."""
    value = y.data if isinstance(y, Value) else y
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"target must be a number in [0, 1], got {value!r}")
    return y if isinstance(y, Value) else float(y)


LOSSES = {
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "squared_error": squared_error,
    "mse": mse,
}
"""The losses by name (``train(loss=...)``)."""


def _bce_on_outputs(outputs: list[Value], target: Any) -> Value:
    if len(outputs) != 1:
        raise ValueError(f"binary_cross_entropy needs a model with 1 output, got {len(outputs)}")
    return binary_cross_entropy(outputs[0], target)


def resolve(loss: str | LossFn) -> tuple[str | None, LossFn]:
    """(name or None, the function of (outputs, target)) for a loss name or a function."""
    if callable(loss):
        return None, loss
    if loss not in LOSSES:
        raise ValueError(
            f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)} or pass a function"
        )
    return loss, (_bce_on_outputs if loss == "binary_cross_entropy" else LOSSES[loss])
