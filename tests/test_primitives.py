"""The primitive table, row by row: every fact a row states is checked against the others.

* the symbolic ``local`` derivatives (what trace and the explorer print) equal the rule
  ``deriv``, evaluated by the safe formula evaluator at random points of the domain;
* the symbolic ``formula`` equals ``forward``;
* every primitive's first and second derivatives equal central differences;
* the newer primitives (sin, cos, abs, sqrt, maximum, minimum) equal independent closed
  forms, and PyTorch where it is installed (forward, gradient and second derivative).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, ops, parse, primitive, toposort
from autograd.expr import evaluate_formula
from autograd.ops import PRIMITIVES, Primitive, pow_base, pow_const
from autograd.testing import MARGIN, assert_gradcheck, values

TABLE: list[Primitive] = [
    *PRIMITIVES,
    *(pow_const(n) for n in (0, 1, 2, 3, -1, 0.5, -1.5, 2.5)),
    *(pow_base(c) for c in (2.0, 0.5, math.e, 0.0)),
]
IDS = [p.name for p in TABLE]


def points(prim: Primitive) -> st.SearchStrategy[list[float]]:
    """Inputs inside the primitive's domain, within 3 of 0, and away from its kink."""
    draw = st.tuples(*(values(d, bound=3.0) for d in prim.domain)).map(list)
    if prim.kink is None:
        return draw
    return draw.filter(lambda xs: abs(prim.kink(*xs)) > MARGIN)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def formula_mismatches(prim: Primitive, xs: list[float]) -> list[str]:
    """Where the row's symbols disagree with its functions at ``xs`` ([] when they agree)."""
    out = prim.forward(*xs)
    names = dict(zip(prim.inputs, xs, strict=True))
    problems = []
    if prim.formula:
        shown = evaluate_formula(prim.formula, **names)
        if not _close(shown, out):
            problems.append(f"formula {prim.formula!r} = {shown!r}, forward = {out!r}")
    rule = prim.deriv(*xs, out)
    for k, text in enumerate(prim.local or ()):
        shown = evaluate_formula(text, **names, out=out)
        if not _close(shown, float(rule[k])):
            problems.append(f"local[{k}] {text!r} = {shown!r}, deriv = {float(rule[k])!r}")
    return problems


@pytest.mark.parametrize("prim", TABLE, ids=IDS)
def test_every_row_has_symbols_for_its_derivatives(prim: Primitive) -> None:
    assert prim.local is not None and len(prim.local) == prim.arity
    assert prim.formula  # what a node of this operation shows


@pytest.mark.parametrize("prim", TABLE, ids=IDS)
def test_the_symbols_equal_the_rules_at_random_points(prim: Primitive) -> None:
    @given(points(prim))
    def check(xs: list[float]) -> None:
        assert formula_mismatches(prim, xs) == []

    check()


def test_a_wrong_symbolic_derivative_is_caught() -> None:
    # softplus whose printed derivative says tanh(x): the rule is right, the symbol is not
    wrong = primitive(
        "wrong_softplus",
        ops.SOFTPLUS.forward,
        ops.SOFTPLUS.deriv,
        formula="log(1 + exp(x))",
        local=("tanh(x)",),
    )
    assert formula_mismatches(wrong, [0.7])
    swapped = primitive(  # logaddexp with its two partials swapped
        "swapped_logaddexp",
        ops.LOGADDEXP.forward,
        ops.LOGADDEXP.deriv,
        formula="log(exp(x) + exp(y))",
        local=("sigmoid(y - x)", "sigmoid(x - y)"),
    )
    assert len(formula_mismatches(swapped, [0.7, -0.4])) == 2
    assert formula_mismatches(ops.SOFTPLUS, [0.7]) == []


@pytest.mark.parametrize("prim", TABLE, ids=IDS)
def test_first_and_second_derivatives_match_central_differences(prim: Primitive) -> None:
    @given(points(prim))
    def check(xs: list[float]) -> None:
        assert_gradcheck(lambda *v: prim(*v), xs, order=2)

    check()


# ----------------------------------------------------------------- the newer primitives
# Independent closed forms: (f, df/dx, d2f/dx2) written with the math module.
UNARY = {
    "sin": (lambda v: v.sin(), math.sin, math.cos, lambda x: -math.sin(x)),
    "cos": (lambda v: v.cos(), math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    "abs": (lambda v: v.abs(), abs, lambda x: math.copysign(1.0, x), lambda x: 0.0),
    "sqrt": (
        lambda v: v.sqrt(),
        math.sqrt,
        lambda x: 0.5 / math.sqrt(x),
        lambda x: -0.25 * x**-1.5,
    ),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(x=st.floats(0.05, 3.0), sign=st.sampled_from([-1.0, 1.0]))
def test_new_unary_primitives_against_closed_forms(name: str, x: float, sign: float) -> None:
    method, f, df, d2f = UNARY[name]
    if name != "sqrt":
        x *= sign
    v = Value(x)
    out = method(v)
    assert out.op == name and out.data == f(x)
    (d1,) = grad(out, [v], create_graph=True)
    assert math.isclose(d1.data, df(x), rel_tol=1e-14, abs_tol=1e-15)
    (d2,) = grad(d1, [v])
    assert math.isclose(d2, d2f(x), rel_tol=1e-12, abs_tol=1e-14)


@given(a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_maximum_and_minimum_send_the_gradient_to_the_chosen_input(a: float, b: float) -> None:
    x, y = Value(a), Value(b)
    hi, lo = x.maximum(y), x.minimum(y)
    assert (hi.data, lo.data) == (max(a, b), min(a, b))
    gx, gy = grad(hi, [x, y])
    expected = (1.0, 0.0) if a > b else (0.0, 1.0) if b > a else (0.5, 0.5)
    assert (gx, gy) == expected
    gx, gy = grad(lo, [x, y])
    assert (gx, gy) == (expected[1], expected[0])


def test_abs_has_derivative_zero_at_zero_and_sqrt_refuses_negatives() -> None:
    x = Value(0.0)
    x.abs().backward()
    assert x.grad == 0.0  # sign(0) = 0, as PyTorch
    with pytest.raises(ValueError, match=r"sqrt\(-0\.5\) is undefined"):
        Value(-0.5).sqrt()
    z = Value(0.0)
    s = z.sqrt()
    assert s.data == 0.0
    with pytest.raises(ZeroDivisionError, match="infinite at x = 0"):
        s.backward()


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_comparisons_are_refused_with_a_pointer_to_data(op: str) -> None:
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"compare the forward values.*\.data"):
        eval(f"a {op} b", {"a": a, "b": b})  # the test's own fixed text, not user input
    with pytest.raises(TypeError, match=r"\.data"):
        eval(f"a {op} 1.5", {"a": a})


def test_the_parser_accepts_the_new_functions() -> None:
    f = parse("maximum(sin(x), cos(y)) + sqrt(abs(z)) - minimum(x, 0.5)", x=0.3, y=1.2, z=-4.0)
    expected = max(math.sin(0.3), math.cos(1.2)) + 2.0 - min(0.3, 0.5)
    assert f.data == pytest.approx(expected, rel=1e-15)
    assert {n.op for n in toposort(f)} >= {"maximum", "minimum", "sin", "cos", "sqrt", "abs"}
    x, y, z = (next(n for n in toposort(f) if n.label == name) for name in "xyz")
    gx, gy, gz = grad(f, [x, y, z])
    # cos(1.2) > sin(0.3): maximum passes the gradient to cos(y); minimum(x, 0.5) is x
    assert (gx, gy) == (-1.0, -math.sin(1.2))
    assert gz == pytest.approx(-0.25, rel=1e-15)  # d sqrt|z| / dz = sign(z) / (2 sqrt|z|)


def test_the_new_primitives_against_torch(torch: Any) -> None:
    for name, (method, *_rest) in UNARY.items():
        for x0 in (0.37, 1.9) if name == "sqrt" else (-1.3, 0.37, 2.2):
            v = Value(x0)
            (d1,) = grad(method(v), [v], create_graph=True)
            (d2,) = grad(d1, [v])
            t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
            ty = getattr(torch, name)(t)
            (t1,) = torch.autograd.grad(ty, t, create_graph=True)
            (t2,) = torch.autograd.grad(t1, t) if t1.requires_grad else (torch.zeros(()),)
            assert method(Value(x0)).data == pytest.approx(ty.item(), rel=1e-15), name
            assert d1.data == pytest.approx(t1.item(), rel=1e-14), name
            assert d2 == pytest.approx(t2.item(), rel=1e-12, abs=1e-15), name
    for a, b in [(0.4, -1.1), (-2.0, 3.0), (0.7, 0.7)]:
        x, y = Value(a), Value(b)
        for ours, theirs in (("maximum", torch.maximum), ("minimum", torch.minimum)):
            out = getattr(x, ours)(y)
            gx, gy = grad(out, [x, y])
            tx = torch.tensor(a, dtype=torch.float64, requires_grad=True)
            ty = torch.tensor(b, dtype=torch.float64, requires_grad=True)
            tout = theirs(tx, ty)
            tgx, tgy = torch.autograd.grad(tout, (tx, ty))
            assert (out.data, gx, gy) == (tout.item(), tgx.item(), tgy.item()), (ours, a, b)
    z = Value(0.0)
    z.abs().backward()
    tz = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.abs(tz).backward()
    assert z.grad == tz.grad.item()
