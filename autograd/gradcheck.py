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
    # A second-order row compares d2 f / (dx_index dx_other); first-order rows have None.
    other: int | None = None

    @property
    def name(self) -> str:
        """How the table names the row: ``x0`` (its label if it has one), or ``x0,x1``."""
        if self.other is None:
            return self.label or f"x{self.index}"
        return f"x{self.index},x{self.other}"

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
        header_done = False
        for r in self.rows:
            if r.other is not None and not header_done:
                lines.append("second derivatives d2f/(dxi dxj), by grad(create_graph=True):")
                header_done = True
            lines.append(
                f"{r.name:>10} {r.value:>12.6g} {r.analytic:>14.8g} {r.numeric:>14.8g} "
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


def _row(
    index: int,
    label: str,
    value: float,
    analytic: float,
    numeric: float,
    kink: bool,
    atol: float,
    rtol: float,
    other: int | None = None,
) -> GradcheckRow:
    abs_err = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    return GradcheckRow(
        index=index,
        label=label,
        value=value,
        analytic=analytic,
        numeric=numeric,
        abs_err=abs_err,
        rel_err=abs_err / scale if scale > 0.0 else 0.0,
        # torch.autograd.gradcheck's rule (numpy.isclose's): |a - n| <= atol + rtol |n|
        ok=abs_err <= atol + rtol * abs(numeric),
        kink=kink,
        other=other,
    )


def _first_derivatives(
    fn: Callable[..., Value], data: Sequence[float], labels: Sequence[str]
) -> tuple[list[float], tuple[int, ...]]:
    """Every d fn / d x_i at ``data`` by ``backward``, and the kink signs there."""
    out, xs = _evaluate(fn, data, labels)
    signs = _kink_signs(out)
    out.backward()
    return [x.grad for x in xs], signs


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    order: int = 1,
) -> GradcheckReport:
    """Check ``backward`` of ``fn(*inputs)`` against central differences, input by input.

    ``fn`` receives one fresh leaf Value per input and must return a Value. The inputs
    themselves are not modified. Returns a :class:`GradcheckReport`. With ``order=2`` it
    also checks every second derivative d2f/(dx_i dx_j), computed by
    ``grad(..., create_graph=True)`` twice, against central differences of the first
    derivatives (what ``torch.autograd.gradgradcheck`` does).
    """
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
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

    first, base_signs = _first_derivatives(fn, data, labels)
    rows = []
    shifted_first: list[tuple[list[float], list[float], bool]] = []
    for i in range(len(data)):
        shifted = list(data)
        shifted[i] = data[i] + eps
        plus, _ = _evaluate(fn, shifted, labels)
        plus_signs = _kink_signs(plus)
        shifted[i] = data[i] - eps
        minus, _ = _evaluate(fn, shifted, labels)
        kink = not (plus_signs == base_signs == _kink_signs(minus))
        numeric = (plus.data - minus.data) / (2.0 * eps)
        rows.append(_row(i, labels[i], data[i], first[i], numeric, kink, atol, rtol))
        if order == 2:
            shifted[i] = data[i] + eps
            g_plus, _ = _first_derivatives(fn, shifted, labels)
            shifted[i] = data[i] - eps
            g_minus, _ = _first_derivatives(fn, shifted, labels)
            shifted_first.append((g_plus, g_minus, kink))
    if order == 2:
        rows.extend(_second_order_rows(fn, data, labels, shifted_first, eps, atol, rtol))
    return GradcheckReport(rows=tuple(rows), eps=eps, atol=atol, rtol=rtol)


def _second_order_rows(
    fn: Callable[..., Value],
    data: Sequence[float],
    labels: Sequence[str],
    shifted_first: list[tuple[list[float], list[float], bool]],
    eps: float,
    atol: float,
    rtol: float,
) -> list[GradcheckRow]:
    from autograd.graph import grad

    out, xs = _evaluate(fn, data, labels)
    first = grad(out, xs, create_graph=True)  # Values: differentiable again
    rows = []
    for i, g_i in enumerate(first):
        hessian_row = grad(g_i, xs)  # d2 f / (dx_i dx_j) for every j
        for j, analytic in enumerate(hessian_row):
            g_plus, g_minus, kink = shifted_first[j]
            # the derivative of d f/d x_i along x_j, by central differences
            numeric = (g_plus[i] - g_minus[i]) / (2.0 * eps)
            rows.append(_row(i, labels[i], data[j], analytic, numeric, kink, atol, rtol, j))
    return rows
