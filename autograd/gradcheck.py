"""``gradcheck``: compare ``backward`` with central finite differences.

For each input x_i the numerical derivative is the central difference

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),

whose error is O(eps^2) from truncation plus O(ulp(f) / eps) from rounding; with
float64 and eps = 1e-6 both are around 1e-10 for well-scaled functions, so the default
tolerances (atol = 1e-5, rtol = 1e-3, those of torch.autograd.gradcheck) leave a wide
margin. Near a kink (relu at 0) or a jump (step at 0) the difference quotient straddles
the non-differentiable point and means nothing; the report says so for that input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd.graph import toposort
from autograd.value import Value

__all__ = ["GradcheckReport", "GradcheckRow", "gradcheck"]


@dataclass(frozen=True)
class GradcheckRow:
    """The comparison for one input."""

    index: int
    label: str
    value: float
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    ok: bool
    kink: bool

    @property
    def note(self) -> str:
        """Why this row can be misleading, or ""."""
        if self.kink:
            return (
                "straddles a kink (relu, step, abs, maximum, ... at the point where it is not "
                "differentiable): the finite difference is meaningless"
            )
        return ""


@dataclass(frozen=True)
class GradcheckReport:
    """Per-input results of :func:`gradcheck`; truthy when every input agrees."""

    rows: tuple[GradcheckRow, ...]
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        """True when every input's analytic and numeric derivatives agree."""
        return all(row.ok for row in self.rows)

    @property
    def kinks(self) -> tuple[int, ...]:
        """Indices of the inputs whose finite difference straddles a kink."""
        return tuple(row.index for row in self.rows if row.kink)

    def __bool__(self) -> bool:
        return self.ok

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> GradcheckRow:
        return self.rows[i]

    def __str__(self) -> str:
        head = (
            f"{'input':>10} {'value':>12} {'analytic':>14} {'numeric':>14} "
            f"{'abs err':>9} {'rel err':>9}  ok"
        )
        lines = [head]
        for r in self.rows:
            name = r.label or f"x{r.index}"
            lines.append(
                f"{name:>10} {r.value:>12.6g} {r.analytic:>14.8g} {r.numeric:>14.8g} "
                f"{r.abs_err:>9.2e} {r.rel_err:>9.2e}  {'yes' if r.ok else 'NO'}"
                + (f"  <- {r.note}" if r.note else "")
            )
        verdict = "all inputs agree" if self.ok else "MISMATCH"
        lines.append(
            f"gradcheck (eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}): {verdict}"
        )
        return "\n".join(lines)


def _kink_signs(out: Value) -> tuple[int, ...]:
    """On which side of its kink each node with one lies (the sign of ``Primitive.kink``).

    ``kink`` is zero where an operation is not differentiable (relu: its input; maximum:
    x - y); when a shifted input changes one of these signs, the difference quotient
    straddles the kink.
    """
    signs = []
    for node in toposort(out):
        prim = node.primitive
        if prim is not None and prim.kink is not None:
            k = prim.kink(*(p.data for p in node.parents))
            signs.append((k > 0.0) - (k < 0.0))
    return tuple(signs)


def _evaluate(
    fn: Callable[..., Value], data: Sequence[float], labels: Sequence[str]
) -> tuple[Value, list[Value]]:
    xs = [Value(d, label) for d, label in zip(data, labels, strict=True)]
    out = fn(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}: {out!r}")
    return out, xs


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradcheckReport:
    """Check ``backward`` of ``fn(*inputs)`` against central differences, input by input.

    ``fn`` receives one fresh leaf Value per input and must return a Value. The inputs
    themselves are not modified. Returns a :class:`GradcheckReport`.
    """
    if not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f"gradcheck: eps must be a positive finite number, got {eps!r}")
    if atol < 0 or rtol < 0:
        raise ValueError(f"gradcheck: tolerances must be >= 0, got atol={atol!r}, rtol={rtol!r}")
    data, labels = [], []
    for x in inputs:
        if isinstance(x, Value):
            data.append(x.data)
            labels.append(x.label)
        else:
            data.append(Value(x).data)  # validates: a clear TypeError for non-numbers
            labels.append("")

    out, xs = _evaluate(fn, data, labels)
    base_signs = _kink_signs(out)
    out.backward()

    rows = []
    for i, x in enumerate(xs):
        shifted = list(data)
        shifted[i] = data[i] + eps
        plus, _ = _evaluate(fn, shifted, labels)
        shifted[i] = data[i] - eps
        minus, _ = _evaluate(fn, shifted, labels)
        numeric = (plus.data - minus.data) / (2.0 * eps)
        analytic = x.grad
        abs_err = abs(analytic - numeric)
        scale = max(abs(analytic), abs(numeric))
        rel_err = abs_err / scale if scale > 0.0 else 0.0
        kink = not (_kink_signs(plus) == base_signs == _kink_signs(minus))
        rows.append(
            GradcheckRow(
                index=i,
                label=labels[i],
                value=data[i],
                analytic=analytic,
                numeric=numeric,
                abs_err=abs_err,
                rel_err=rel_err,
                ok=abs_err <= atol + rtol * abs(numeric),
                kink=kink,
            )
        )
    return GradcheckReport(rows=tuple(rows), eps=eps, atol=atol, rtol=rtol)
