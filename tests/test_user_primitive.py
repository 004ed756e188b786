"""A user-defined primitive is a first-class row of the table, end to end.

swish(x) = x sigmoid(x), declared with ``autograd.primitive``: backward, the second
derivative through ``grad(create_graph=True)`` (against the closed form), gradcheck,
the trace's text, the drawing's SVG, the compiled engine (with and without an array
form), pickling, the parser's refusal of an unknown function, and the constructor's
checks of what it is given.
"""

from __future__ import annotations

import math
import pickle
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, compile, fn, grad, gradcheck, primitive, toposort
from autograd.testing import assert_gradcheck
from viz import draw_graph, render_svg, trace


def _rule(x, out):  # type: ignore[no-untyped-def]
    s = fn.sigmoid(x)
    return s * (1 + x * (1 - s))


SWISH = primitive(
    "test_swish",
    lambda x: x * fn.sigmoid(x),
    _rule,
    formula="x * sigmoid(x)",
    local=("sigmoid(x) * (1 + x * (1 - sigmoid(x)))",),
    np_forward=lambda x: x * fn.sigmoid(x),
)


def _sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize("x0", [-2.5, -0.3, 0.0, 0.8, 4.0])
def test_backward_and_the_second_derivative_match_the_closed_forms(x0: float) -> None:
    x = Value(x0, "x")
    y = SWISH(x)
    assert y.op == "test_swish" and y.primitive is SWISH
    assert y.data == pytest.approx(x0 * _sigma(x0), rel=1e-15, abs=1e-300)
    y.backward()
    s = _sigma(x0)
    assert x.grad == pytest.approx(s * (1 + x0 * (1 - s)), rel=1e-14)
    (d1,) = grad(SWISH(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    # s'' = sigma'(x) (2 + x (1 - 2 sigma(x))), by hand
    assert d2 == pytest.approx(s * (1 - s) * (2 + x0 * (1 - 2 * s)), rel=1e-12, abs=1e-15)
    assert gradcheck(lambda a: SWISH(a), [x0], order=2).ok


def test_numbers_and_two_input_primitives_are_accepted() -> None:
    assert SWISH(0.5).data == pytest.approx(0.5 * _sigma(0.5))
    hypot = primitive(
        "test_hypot",
        lambda x, y: math.sqrt(x * x + y * y),
        lambda x, y, out: (x / out, y / out),
        formula="sqrt(x ** 2 + y ** 2)",
        local=("x / out", "y / out"),
        domain=((0.1, 10.0), (0.1, 10.0)),
    )
    a, b = Value(3.0), Value(4.0)
    h = hypot(a, b)
    h.backward()
    assert (h.data, a.grad, b.grad) == (5.0, 0.6, 0.8)
    assert hypot(a, 4.0).parents[1].data == 4.0
    assert_gradcheck(lambda p, q: hypot(p, q), [1.5, 2.5], order=2)


def test_the_trace_prints_the_rule_in_symbols_with_its_numbers() -> None:
    z = Value(0.5, "z")
    h = SWISH(z)
    h.label = "h"
    t = trace(h)
    (step,) = t.steps
    assert step.op == "test_swish"
    assert step.formula == "sigmoid(z)·(1 + z·(1 - sigmoid(z)))"
    s = _sigma(0.5)
    assert step.local == pytest.approx(s * (1 + 0.5 * (1 - s)), rel=1e-15)
    assert "∂h/∂z = 1 · sigmoid(z)·(1 + z·(1 - sigmoid(z))) = 1 · 0.7" in t.text()


@pytest.mark.dot
def test_the_drawing_shows_its_name_and_formula() -> None:
    x = Value(1.0, "x")
    y = SWISH(x)
    y.backward()
    g = draw_graph(y)
    assert "test_swish\\nx·sigmoid(x)" in g.source  # the name, then the formula
    svg = ET.fromstring(render_svg(g))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "test_swish" in texts and "x·sigmoid(x)" in texts


def test_compile_uses_the_array_form_and_equals_the_eager_engine() -> None:
    w = Value(0.7, "w")
    prog = compile(lambda x: SWISH(x * w) * 2.0, [[0.3], [-1.2], [2.0]], [w])
    rows = [[0.3], [-1.2], [2.0], [0.05]]
    outputs, grads = prog.value_and_grad(rows, reduction="sum")
    values = []
    for (x0,) in rows:  # the eager engine, one graph per sample; w's grad accumulates
        out = SWISH(Value(x0) * w) * 2.0
        out.backward()
        values.append(out.data)
    assert outputs[:, 0].tolist() == values  # the same kernels: the same bits
    assert grads[0] == pytest.approx(w.grad, rel=1e-14)


def test_compile_names_a_primitive_without_an_array_form() -> None:
    bare = primitive("test_bare", lambda x: x * x * x, lambda x, out: 3 * x * x)
    with pytest.raises(TypeError, match=r"'test_bare' has no array form.*np_forward"):
        compile(lambda x: bare(x), [[1.0], [2.0]])


def test_graphs_with_it_pickle_and_come_back_with_the_same_row() -> None:
    x = Value(0.4, "x")
    y = SWISH(SWISH(x))
    y.backward()
    clone = pickle.loads(pickle.dumps(y))
    assert clone.primitive is SWISH and clone.data == y.data
    assert [n.op for n in toposort(clone)] == ["", "test_swish", "test_swish"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"name": ""}, ValueError, "short printable str"),
        ({"name": "exp"}, ValueError, "belongs to a built-in"),
        ({"forward": 3}, TypeError, "forward must be callable"),
        ({"deriv": lambda x, out: (1.0, 2.0)}, TypeError, r"one local derivative per input"),
        ({"formula": "x *"}, ValueError, "not a formula"),
        ({"local": ("q",)}, ValueError, "uses 'q'"),
        ({"local": ("1", "2")}, TypeError, "one per input"),
        ({"domain": (2.0, 1.0)}, ValueError, "low < high"),
        ({"arity": 3}, ValueError, "1 or 2 inputs"),
    ],
)
def test_the_constructor_refuses_what_it_cannot_use(kwargs: dict, error: type, match: str) -> None:
    args = {
        "name": "test_bad",
        "forward": lambda x: 2 * x,
        "deriv": lambda x, out: (2.0,),
        **kwargs,
    }
    with pytest.raises(error, match=match):
        primitive(args.pop("name"), args.pop("forward"), args.pop("deriv"), **args)


def test_a_bare_local_derivative_is_accepted_for_one_input() -> None:
    cube = primitive("test_cube", lambda x: x**3, lambda x, out: 3 * x * x)
    x = Value(2.0)
    cube(x).backward()
    assert x.grad == 12.0


def test_a_rule_that_fails_in_its_own_way_is_named_and_rolls_back() -> None:
    broken = primitive("test_broken_rule", lambda x: 2 * x, lambda x, out: ({}["k"],))
    x = Value(1.0)
    x.grad = 5.0
    y = broken(x) * 3.0
    with pytest.raises(KeyError, match="backward through 'test_broken_rule'"):
        y.backward()
    assert x.grad == 5.0  # as it was
    with pytest.raises(KeyError, match="grad through 'test_broken_rule'"):
        grad(y, [x])
    failing = primitive("test_broken_forward", lambda x: {}["k"], lambda x, out: (1.0,))
    with pytest.raises(KeyError, match="'test_broken_forward': forward failed"):
        failing(Value(1.0))
    text = primitive("test_text_forward", lambda x: "two", lambda x, out: (1.0,), arity=1)
    with pytest.raises(TypeError, match=r"forward\(1\.0\) must return a number, got str"):
        text(Value(1.0))
