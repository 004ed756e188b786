"""Independent reference computations used by the tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd import Value, no_grad


def evaluate(fn: Callable[..., Value], point: Sequence[float]) -> float:
    """fn at a point, as a float (no graph recorded)."""
    with no_grad():
        return fn(*[Value(x) for x in point]).data


def central_difference(
    fn: Callable[..., Value], point: Sequence[float], eps: float = 1e-6
) -> list[float]:
    """(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each coordinate i."""
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += eps
        down[i] -= eps
        out.append((evaluate(fn, up) - evaluate(fn, down)) / (2 * eps))
    return out


def backward_grads(fn: Callable[..., Value], point: Sequence[float]) -> list[float]:
    """The gradient of fn at a point by ``backward`` on fresh leaves."""
    xs = [Value(x) for x in point]
    fn(*xs).backward()
    return [x.grad for x in xs]


# Central differences in float64 with eps = 1e-6 err by about eps^2 |f'''| / 6
# (truncation) plus ulp(f) / eps ~ 2e-10 |f| (rounding). On the strategies' domains
# that is below 1e-6 in absolute terms for O(1) derivatives and below 1e-6 relative
# for large ones, so this tolerance is ~100x looser than the expected error yet far
# tighter than any wrong derivative (which is off by O(1) relative).
FD_ATOL = 1e-5
FD_RTOL = 1e-5


def close(analytic: float, numeric: float, atol: float = FD_ATOL, rtol: float = FD_RTOL) -> bool:
    """|analytic - numeric| <= atol + rtol * |numeric| (numpy.isclose's rule)."""
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)
