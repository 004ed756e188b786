"""trace: the backward pass step by step, against the lecture's slide and the engine."""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from autograd import Value, toposort
from autograd.testing import RandomGraph, graphs
from viz import draw_graph, trace
from viz.trace import Trace


def slide() -> tuple[Value, dict[str, Value]]:
    """f = (x + y) * z at x=-2, y=5, z=-4, with q = x + y (slide "a simple example")."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f, {"x": x, "y": y, "z": z, "q": q}


def test_the_slide_example_reads_like_the_slide() -> None:
    f, _ = slide()
    lines = trace(f).text().splitlines()
    assert lines[1:] == [
        "df/df = 1",
        "df/dq = df/df · ∂f/∂q = 1 · z = 1 · (-4) = -4",
        "df/dz = df/df · ∂f/∂z = 1 · q = 1 · 3 = 3",
        "df/dx = df/dq · ∂q/∂x = -4 · 1 = -4",
        "df/dy = df/dq · ∂q/∂y = -4 · 1 = -4",
    ]
    assert lines[0].startswith("backward pass of f = -12:")
    assert str(trace(f)) == trace(f).text()


def test_the_slide_example_as_data() -> None:
    f, _ = slide()
    t = trace(f)
    assert t.output == "f" and t.value == -12.0
    assert t.grads == {"x": -4.0, "y": -4.0, "q": -4.0, "z": 3.0, "f": 1.0}
    first = t.steps[0]
    assert (first.node, first.op, first.parent, first.position) == ("f", "*", "q", 0)
    assert (first.upstream, first.local, first.formula, first.contribution) == (
        1.0,
        -4.0,
        "z",
        -4.0,
    )
    assert [(s.node, s.parent, s.contribution) for s in t.steps] == [
        ("f", "q", -4.0),
        ("f", "z", 3.0),
        ("q", "x", -4.0),
        ("q", "y", -4.0),
    ]
    doc = json.loads(t.to_json())
    assert doc == t.to_dict()
    assert doc["grads"] == t.grads
    assert [n["name"] for n in doc["nodes"]] == ["x", "y", "q", "z", "f"]
    assert [n["kind"] for n in doc["nodes"]] == ["input", "input", "interior", "input", "output"]
    assert doc["steps"][1]["formula"] == "q"
    assert doc["steps"][2]["local"] == 1.0


def test_trace_leaves_every_grad_untouched() -> None:
    f, v = slide()
    for node in v.values():
        node.grad = 0.25
    trace(f)
    assert all(node.grad == 0.25 for node in v.values())
    assert f.grad == 0.0


def test_a_shared_node_shows_each_contribution_and_the_total() -> None:
    x = Value(3.0, "x")
    y = x * x + x  # dy/dx = 2x + 1 = 7
    y.label = "y"
    lines = trace(y).text().splitlines()
    adds = [line for line in lines if line.startswith("dy/dx +=")]
    assert len(adds) == 3
    assert adds[0].endswith("= 1   (1 of 3)")  # through + x
    assert "· ∂n1/∂x = 1 · x = 1 · 3 = 3   (2 of 3)" in adds[1]
    assert adds[2].endswith("(3 of 3)")
    assert "dy/dx = 1 + 3 + 3 = 7" in lines
    assert trace(y).grads["x"] == 7.0


def test_step_formulas_come_from_the_primitive_table() -> None:
    def formulas(f: Value) -> list[str]:
        return [s.formula for s in trace(f).steps if not s.constant]

    q, z = Value(3.0, "q"), Value(-4.0, "z")
    f = q * z
    f.label = "f"
    assert formulas(f) == ["z", "q"]  # Primitive.local of * is ("y", "x")
    a, b = Value(2.0, "a"), Value(0.5, "b")
    for out, expected in [
        (a + b, ["1", "1"]),
        (a - b, ["1", "-1"]),
        (a / b, ["1/b", "-a/b^2"]),
        (a**2, ["2·a"]),
        (a**3, ["3·a^2"]),
        (a**-1, ["-1·a^-2"]),
        (a**b, ["b·a^(b - 1)", "s·log(a)"]),
        (a.sigmoid(), ["s·(1 - s)"]),
        (a.tanh(), ["1 - s^2"]),
        (a.relu(), ["1[a > 0]"]),
        (a.step(), ["0"]),
        (a.logaddexp(b), ["sigmoid(a - b)", "sigmoid(b - a)"]),
        (a.sin(), ["cos(a)"]),
        (a.abs(), ["sign(a)"]),
    ]:
        out.label = "s"
        assert formulas(out) == expected, out.op


def test_the_lecture_sigmoid_neuron_chain() -> None:
    # Slide "Backpropagation": z = x.w + b, y_hat = sigma(z), l = 1/2 (y_hat - y)^2.
    x0, x1 = 0.05, 0.1
    w0, w1, b = Value(0.15, "w0"), Value(0.2, "w1"), Value(0.45, "b")
    z = w0 * x0 + w1 * x1 + b
    z.label = "z"
    p = z.sigmoid()
    p.label = "p"
    loss = 0.5 * (p - 0.01) ** 2
    loss.label = "l"
    t = trace(loss)
    text = t.text()
    assert "dl/dz = dl/dp · ∂p/∂z = " in text
    assert "p·(1 - p)" in text
    loss.backward()
    assert t.grads["w0"] == w0.grad and t.grads["b"] == b.grad


@given(graphs())
def test_trace_equals_backward_bit_for_bit(case: tuple[RandomGraph, list[float]]) -> None:
    fn, point = case
    xs = [Value(v, f"x{i}") for i, v in enumerate(point)]
    out = fn(*xs)
    t = trace(out)
    out.backward()
    for x in xs:
        assert t.grads.get(x.label, 0.0) == x.grad  # an unused input has gradient 0
    # every step's contribution is the upstream gradient times the local derivative
    for s in t.steps:
        assert s.contribution == (0.0 if s.local is None else s.upstream * s.local)


def test_unlabelled_nodes_are_named_as_in_the_drawing() -> None:
    a = Value(2.0, "a")
    out = (a * 3.0).tanh()
    t = trace(out)
    assert t.names == ("a", "n1", "n2", "n3")
    src = draw_graph(out).source
    assert "{n2|data 6.0000" in src and "{n3|" in src


def test_constants_are_numbers_in_formulas_and_left_out_of_the_text() -> None:
    a = Value(2.0, "a")
    out = a * 3.0
    out.label = "f"
    t = trace(out)
    lines = t.text().splitlines()
    assert lines[2:] == ["df/da = df/df · ∂f/∂a = 1 · 3 = 3"]
    assert [s.constant for s in t.steps] == [False, True]


def test_duplicate_labels_are_made_unique() -> None:
    x = Value(1.0, "x")
    h1 = x.exp()
    h1.label = "h"
    h2 = x.exp()
    h2.label = "h"
    t = trace(h1 + h2)
    assert "h[n1]" in t.names and "h[n2]" in t.names
    assert len(set(t.grads)) == len(t.names)


def test_module_parameter_names() -> None:
    class Net:
        def __init__(self) -> None:
            self.w = Value(0.5, "w0")

        def named_parameters(self) -> list[tuple[str, Value]]:
            return [("layer.w.0", self.w)]

    net = Net()
    t = trace(net.w * Value(2.0, "x"), module=net)
    assert "layer.w.0" in t.grads
    assert t.kinds[t.names.index("layer.w.0")] == "param"


def test_ascii_text_for_plain_terminals() -> None:
    f, _ = slide()
    text = trace(f).text(unicode=False)
    assert "∂" not in text and "·" not in text
    assert "df/dq = df/df * del f/del q = 1 * z = 1 * (-4) = -4" in text


def test_a_leaf_output_has_no_steps() -> None:
    x = Value(4.0, "x")
    t = trace(x)
    assert t.steps == () and t.grads == {"x": 1.0}
    assert t.text().splitlines()[1:] == ["dx/dx = 1"]


def test_errors_are_those_of_backward() -> None:
    # d(x**y)/dy needs x >= 0: backward refuses, and so does the trace
    x, y = Value(-2.0, "x"), Value(2.0, "y")
    out = x**y
    with pytest.raises(ValueError, match="exponent"):
        out.backward()
    with pytest.raises(ValueError, match=r"trace through 'pow'.*exponent"):
        trace(out)
    # ... unless nothing flows through that node: then its local derivative is not needed
    t = trace(out * 0.0)
    assert any(s.local is None and s.contribution == 0.0 for s in t.steps)
    # a gradient that overflows: d log(x)/dx = 1/x at a subnormal x
    tiny = Value(1e-320, "tiny")
    with pytest.raises(OverflowError, match="tiny"):
        trace(tiny.log())


def test_trace_needs_a_value() -> None:
    with pytest.raises(TypeError, match="must be a Value"):
        trace(1.0)  # type: ignore[arg-type]


def test_trace_of_a_long_chain_is_iterative() -> None:
    x = Value(1.0, "x")
    y = x
    for _ in range(20_000):
        y = y + 0.0
    t = trace(y)
    assert isinstance(t, Trace) and t.grads["x"] == 1.0
    assert len(t.steps) == 40_000
    assert len(toposort(y)) == 40_001
