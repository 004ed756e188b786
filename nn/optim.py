"""Optimizers: update each parameter's ``data`` in place from its ``grad`` (torch semantics).

Usage, as in PyTorch::

    opt = SGD(net.parameters(), lr=0.1)
    opt.zero_grad(); loss.backward(); opt.step()

The per-parameter state (momentum buffers, Adam's moments) lives in numpy arrays aligned
with the parameter list, and a step is one vectorised update of all the parameters at
once: the same IEEE operations, element by element, as a loop over Python floats would
make (numpy rounds each operation separately), so the numbers are those of the scalar
formulas in the docstrings, for a fraction of the time on big networks.

``weight_decay`` (L2 regularisation, as in PyTorch) adds ``weight_decay * p`` to each
gradient before the update: the gradient of the penalty (weight_decay / 2) * sum p^2,
so the optimizer minimises loss + (weight_decay / 2) * ||p||^2. It changes only the step,
never ``p.grad``. To leave the biases undecayed, give them an optimizer of their own
with ``weight_decay=0`` (every state here is per parameter, so two optimizers are
the same as PyTorch's two parameter groups).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from autograd import Value

__all__ = ["NAMES", "SGD", "Adam", "Optimizer", "create"]


def _check(name: str, value: float, low: float, high: float, *, low_open: bool) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and value < high
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low:g}, {high:g}), got {value!r}")
    return float(value)


class Optimizer:
    """Base class: holds the parameter list; subclasses define ``step``."""

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float = 0.0) -> None:
        unique: list[Value] = []
        seen: set[Value] = set()
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__}: {p!r}")
            if p not in seen:  # a parameter listed twice is still updated once
                seen.add(p)
                unique.append(p)
        if not unique:
            raise ValueError("the optimizer got an empty parameter list")
        self.params = unique
        self.lr = _check("lr", lr, 0.0, math.inf, low_open=True)
        self.weight_decay = _check("weight_decay", weight_decay, 0.0, math.inf, low_open=False)
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self, grads: np.ndarray | None = None) -> np.ndarray:
        """Update every parameter from its gradient; returns the new values, as an array.

        ``grads``, if given, are the gradients as one array in the order of ``params``
        (what a compiled program returns); otherwise each ``p.grad`` is read.
        """
        values = self.values()
        if grads is None:
            grads = np.fromiter((p.grad for p in self.params), np.float64, len(self.params))
        self.step_values(values, grads)
        self.store(values)
        return values

    def values(self) -> np.ndarray:
        """The parameters' current values, as one array in the order of ``params``."""
        return np.fromiter((p.data for p in self.params), np.float64, len(self.params))

    def store(self, values: np.ndarray) -> None:
        """Write ``values`` (one array in the order of ``params``) into the parameters."""
        for p, v in zip(self.params, values.tolist(), strict=True):
            p.data = v

    def step_values(self, values: np.ndarray, grads: np.ndarray) -> None:
        """The update of :meth:`step` on an array of values, in place, with no Value touched.

        For a loop that keeps the parameters in an array between updates (``nn.train``
        with a compiled loss) and writes them back with :meth:`store` when anyone may
        look at them; ``step()`` is ``values()``, this, then ``store()``.
        """
        n = len(self.params)
        g = np.asarray(grads, dtype=np.float64)
        if g.shape != (n,):
            raise ValueError(f"grads must have shape ({n},), got {g.shape}")
        if values.shape != (n,) or values.dtype != np.float64:
            raise ValueError(f"values must be a float64 array of shape ({n},), got {values.shape}")
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * values  # d/dp (wd/2) p^2 = wd p
        self.steps += 1
        self._update(values, g)

    def _update(self, values: np.ndarray, grads: np.ndarray) -> None:
        """Subclasses: change ``values`` in place from ``grads`` (``self.steps`` counts)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        decay = f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g}{decay})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum: v <- mu v + g; p <- p - lr v."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = _check("momentum", momentum, 0.0, 1.0, low_open=False)
        self.velocity = np.zeros(len(self.params))

    def _update(self, values: np.ndarray, grads: np.ndarray) -> None:
        """p <- p - lr * g, or with momentum v <- mu v + g, p <- p - lr v."""
        if self.momentum == 0.0:
            values -= self.lr * grads  # the slide's [W]_ij <- [W]_ij - eta dl/d[W]_ij
        else:
            # torch's buffer starts at g on the first step, which is mu * 0 + g
            self.velocity = self.momentum * self.velocity + grads
            values -= self.lr * self.velocity


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, computed in torch's order of operations."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair of numbers, got {betas!r}") from None
        self.betas = (
            _check("betas[0]", b1, 0.0, 1.0, low_open=False),
            _check("betas[1]", b2, 0.0, 1.0, low_open=False),
        )
        self.eps = _check("eps", eps, 0.0, math.inf, low_open=False)
        self.m = np.zeros(len(self.params))  # first moment: running mean of g
        self.v = np.zeros(len(self.params))  # second moment: running mean of g^2

    def _update(self, values: np.ndarray, grads: np.ndarray) -> None:
        """p <- p - lr * m_hat / (sqrt(v_hat) + eps)."""
        t = self.steps
        b1, b2 = self.betas
        # The moments start at 0, so early averages are biased towards 0 by a factor
        # (1 - beta^t); dividing by it removes the bias.
        bias1 = 1.0 - b1**t
        sqrt_bias2 = math.sqrt(1.0 - b2**t)
        step_size = self.lr / bias1
        self.m = b1 * self.m + (1.0 - b1) * grads
        self.v = b2 * self.v + (1.0 - b2) * grads * grads
        # torch: denom = sqrt(v) / sqrt(1 - b2^t) + eps; p -= lr / (1 - b1^t) * m / denom
        values -= step_size * self.m / (np.sqrt(self.v) / sqrt_bias2 + self.eps)

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} parameters, lr={self.lr:g}, betas={self.betas}, "
            f"eps={self.eps:g}"
            + (f", weight_decay={self.weight_decay:g})" if self.weight_decay else ")")
        )


NAMES = ("sgd", "adam")
"""The optimizers :func:`create` builds by name."""


def create(
    name: str,
    params: Iterable[Value],
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> Optimizer:
    """The optimizer called ``name`` ("sgd", with ``momentum``, or "adam") over ``params``."""
    if name == "sgd":
        return SGD(params, lr, momentum, weight_decay=weight_decay)
    if name == "adam":
        if momentum != 0.0:
            raise ValueError("momentum applies to optimizer='sgd' only (Adam has betas)")
        return Adam(params, lr, weight_decay=weight_decay)
    raise ValueError(
        f"unknown optimizer {name!r}: choose one of {', '.join(NAMES)} or pass an Optimizer"
    )
