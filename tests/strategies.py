"""Hypothesis strategies: inputs for each primitive, and random expression graphs.

Inputs are kept off kinks and out of domain errors by construction (shifted and
bounded ranges, as minitorch does), so the strategies rarely need to reject a draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import assume
from hypothesis import strategies as st

from autograd import Value, toposort


# A magnitude drawn away from 0, with either sign: never on the relu/step kink.
def off_zero(lo: float = 1e-3, hi: float = 5.0) -> st.SearchStrategy[float]:
    """Floats with lo <= |x| <= hi."""
    return st.builds(lambda m, s: m * s, st.floats(lo, hi), st.sampled_from([-1.0, 1.0]))


moderate = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)
positive = st.floats(1e-2, 50.0)


@dataclass(frozen=True)
class Case:
    """A unary or binary function of Values and a strategy for its inputs."""

    name: str
    fn: Callable[..., Value]
    inputs: st.SearchStrategy[tuple[float, ...]]


def _t(*strategies: st.SearchStrategy[float]) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*strategies)


# One case per primitive (and per operator spelling), each on a domain where the
# function is smooth and finite differences are well conditioned.
PRIMITIVE_CASES: list[Case] = [
    Case("add", lambda a, b: a + b, _t(moderate, moderate)),
    Case("sub", lambda a, b: a - b, _t(moderate, moderate)),
    Case("mul", lambda a, b: a * b, _t(moderate, moderate)),
    Case("div", lambda a, b: a / b, _t(moderate, off_zero(0.1, 5.0))),
    Case("neg", lambda a: -a, _t(moderate)),
    Case("radd", lambda a: 3.5 + a, _t(moderate)),
    Case("rsub", lambda a: 3.5 - a, _t(moderate)),
    Case("rmul", lambda a: -1.5 * a, _t(moderate)),
    Case("rdiv", lambda a: 2.0 / a, _t(off_zero(0.1, 5.0))),
    Case("pow2", lambda a: a**2, _t(moderate)),
    Case("pow3", lambda a: a**3, _t(moderate)),
    Case("pow-1", lambda a: a**-1, _t(off_zero(0.1, 5.0))),
    Case("pow0.5", lambda a: a**0.5, _t(positive)),
    Case("pow-1.5", lambda a: a**-1.5, _t(positive)),
    Case("pow0", lambda a: a**0, _t(moderate)),
    Case("powvalue", lambda a, b: a**b, _t(st.floats(0.1, 5.0), st.floats(-3.0, 3.0))),
    Case("rpow", lambda a: 2.0**a, _t(moderate)),
    Case("exp", lambda a: a.exp(), _t(st.floats(-20.0, 20.0))),
    Case("log", lambda a: a.log(), _t(positive)),
    Case("tanh", lambda a: a.tanh(), _t(st.floats(-20.0, 20.0))),
    Case("sigmoid", lambda a: a.sigmoid(), _t(st.floats(-30.0, 30.0))),
    Case("relu", lambda a: a.relu(), _t(off_zero())),
    Case("softplus", lambda a: a.softplus(), _t(st.floats(-30.0, 30.0))),
    Case("step", lambda a: a.step(), _t(off_zero())),
    Case(
        "logaddexp", lambda a, b: a.logaddexp(b), _t(st.floats(-30.0, 30.0), st.floats(-30.0, 30.0))
    ),
]


# ------------------------------------------------------------------------------ #
# Random expression graphs.                                                       #
# Each template is a small composition of primitives that is defined and smooth    #
# for every input (denominators >= 1, log and fractional powers of 1 + a^2, ...),  #
# with a constant c on one side or the other.                                      #
# ------------------------------------------------------------------------------ #

TEMPLATES: list[tuple[str, int, Callable[..., Value]]] = [
    ("a+b", 2, lambda a, b, c: a + b),
    ("a-b", 2, lambda a, b, c: a - b),
    ("a*b", 2, lambda a, b, c: a * b),
    ("a/(1+b^2)", 2, lambda a, b, c: a / (1 + b * b)),
    ("c-a", 1, lambda a, b, c: c - a),
    ("c*a", 1, lambda a, b, c: c * a),
    ("a+c", 1, lambda a, b, c: a + c),
    ("c/(1+a^2)", 1, lambda a, b, c: c / (1.0 + a**2)),
    ("-a", 1, lambda a, b, c: -a),
    ("tanh", 1, lambda a, b, c: a.tanh()),
    ("sigmoid", 1, lambda a, b, c: a.sigmoid()),
    ("softplus", 1, lambda a, b, c: a.softplus()),
    ("exp(tanh)", 1, lambda a, b, c: (a.tanh() * 2).exp()),
    ("log(1+a^2)", 1, lambda a, b, c: (1 + a * a).log()),
    ("relu(a+c)", 1, lambda a, b, c: (a + c).relu()),
    ("step(a+c)*a", 1, lambda a, b, c: (a + c).step() * a),
    ("a^2", 1, lambda a, b, c: a**2),
    ("a^3", 1, lambda a, b, c: a**3),
    ("(1+a^2)^0.5", 1, lambda a, b, c: (1 + a * a) ** 0.5),
    ("(1+a^2)^tanh(b)", 2, lambda a, b, c: (1 + a * a) ** b.tanh()),
    ("2^tanh(a)", 1, lambda a, b, c: 2.0 ** a.tanh()),
    ("logaddexp(a,b)", 2, lambda a, b, c: a.logaddexp(b)),
]

MAX_MAGNITUDE = 1e4  # keep values (and finite-difference rounding) moderate
KINK_MARGIN = 1e-3  # relu/step inputs stay this far from 0 (>> the 1e-6 FD step)


@dataclass(frozen=True)
class Program:
    """A random expression: inputs, then steps (template, operand indices, constant)."""

    n_inputs: int
    steps: tuple[tuple[int, int, int, float], ...]

    def build(self, xs: list[Value]) -> Value:
        """Evaluate on the given input Values; returns the output node."""
        pool = list(xs)
        for t, i, j, c in self.steps:
            pool.append(TEMPLATES[t][2](pool[i], pool[j], c))
        return pool[-1] if len(pool) == len(xs) + 1 else pool[-1] + pool[-2]

    def describe(self) -> str:
        """A readable listing, for failure messages."""
        names = [f"x{k}" for k in range(self.n_inputs)]
        lines = []
        for t, i, j, c in self.steps:
            lines.append(
                f"v{len(names)} = {TEMPLATES[t][0]} with a={names[i]}, b={names[j]}, c={c:g}"
            )
            names.append(f"v{len(names)}")
        return "\n".join(lines)


@st.composite
def programs(draw: st.DrawFn, max_steps: int = 10) -> tuple[Program, list[float]]:
    """A random expression graph (sharing nodes freely) and a valid input point."""
    n_inputs = draw(st.integers(1, 4))
    n_steps = draw(st.integers(1, max_steps))
    steps = []
    for k in range(n_steps):
        size = n_inputs + k
        # favour recent nodes so graphs get deep, but reuse any node (shared subexpressions)
        i = draw(st.one_of(st.integers(max(0, size - 2), size - 1), st.integers(0, size - 1)))
        j = draw(st.integers(0, size - 1))
        t = draw(st.integers(0, len(TEMPLATES) - 1))
        c = draw(st.sampled_from([-2.0, -0.5, 0.3, 1.0, 1.7, 3.0]))
        steps.append((t, i, j, c))
    program = Program(n_inputs, tuple(steps))
    point = draw(st.lists(st.floats(-2.0, 2.0), min_size=n_inputs, max_size=n_inputs))
    assume(is_well_conditioned(program, point))
    return program, point


def is_well_conditioned(program: Program, point: list[float]) -> bool:
    """No overflow, no huge values, every relu/step input clear of its kink."""
    try:
        out = program.build([Value(x) for x in point])
    except (ArithmeticError, ValueError):
        return False
    for node in toposort(out):
        if not math.isfinite(node.data) or abs(node.data) > MAX_MAGNITUDE:
            return False
        if node.op in ("relu", "step") and abs(node.parents[0].data) < KINK_MARGIN:
            return False
    return True
