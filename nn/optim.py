"""Optimizers: update each parameter's ``data`` in place from its ``grad`` (torch semantics).

Usage, as in PyTorch::

    opt = SGD(net.parameters(), lr=0.1)
    opt.zero_grad(); loss.backward(); opt.step()

The per-parameter state (momentum buffers, Adam's moments) lives in plain float lists
aligned with the parameter list.

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

from autograd import Value

__all__ = ["SGD", "Adam", "Optimizer"]


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

    def _grads(self) -> list[float]:
        """Each parameter's gradient plus the L2 term: g + weight_decay * p."""
        wd = self.weight_decay
        if wd == 0.0:
            return [p.grad for p in self.params]
        return [p.grad + wd * p.data for p in self.params]  # d/dp (wd/2) p^2 = wd p

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient."""
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
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """One update: p <- p - lr * g, or with momentum v <- mu v + g, p <- p - lr v."""
        lr, mu = self.lr, self.momentum
        grads = self._grads()
        if mu == 0.0:
            for p, g in zip(self.params, grads, strict=True):
                p.data -= lr * g  # the slide's [W]_ij <- [W]_ij - eta dl/d[W]_ij
        else:
            v = self.velocity
            for k, (p, g) in enumerate(zip(self.params, grads, strict=True)):
                # torch's buffer starts at g on the first step, which is mu * 0 + g
                v[k] = mu * v[k] + g
                p.data -= lr * v[k]
        self.steps += 1


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
        self.m = [0.0] * len(self.params)  # first moment: running mean of g
        self.v = [0.0] * len(self.params)  # second moment: running mean of g^2

    def step(self) -> None:
        """One update: p <- p - lr * m_hat / (sqrt(v_hat) + eps)."""
        self.steps += 1
        t = self.steps
        b1, b2 = self.betas
        # The moments start at 0, so early averages are biased towards 0 by a factor
        # (1 - beta^t); dividing by it removes the bias.
        bias1 = 1.0 - b1**t
        sqrt_bias2 = math.sqrt(1.0 - b2**t)
        step_size = self.lr / bias1
        eps = self.eps
        m, v = self.m, self.v
        for k, (p, g) in enumerate(zip(self.params, self._grads(), strict=True)):
            m[k] = b1 * m[k] + (1.0 - b1) * g
            v[k] = b2 * v[k] + (1.0 - b2) * g * g
            # torch: denom = sqrt(v) / sqrt(1 - b2^t) + eps; p -= lr / (1 - b1^t) * m / denom
            p.data -= step_size * m[k] / (math.sqrt(v[k]) / sqrt_bias2 + eps)

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} parameters, lr={self.lr:g}, betas={self.betas}, "
            f"eps={self.eps:g}"
            + (f", weight_decay={self.weight_decay:g})" if self.weight_decay else ")")
        )
