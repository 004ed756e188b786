"""The safe expression parser: a whitelist over ``ast``, hostile inputs refused cleanly."""

from __future__ import annotations

import ast
import builtins
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, ops, toposort
from valuegrad.cli import main
from viz.expr import FUNCTIONS, ExprError, build, parse_bindings, parse_expr

# (expression, a phrase the one-line message must contain)
HOSTILE = [
    ("__import__('os')", "'call of __import__' at column 1"),
    ("__import__('os').system('ls')", "unsupported syntax"),
    ("x.__class__", "'attribute access' at column 1: x.__class__"),
    ("().__class__.__bases__", "'attribute access'"),
    ("lambda: 1", "'lambda'"),
    ("(lambda: 0)()", "'call of lambda: 0'"),
    ("[x for x in y]", "'comprehension'"),
    ("{x: 1 for x in y}", "'comprehension'"),
    ("(x for x in y)", "'comprehension'"),
    ("x[0]", "'subscript' at column 1: x[0]"),
    ("exp(x, y)", "'exp with 2 arguments'"),
    ("exp()", "'exp with 0 arguments'"),
    ("exp(x=1)", "'keyword argument' at column 5: x=1"),
    ("exp(*x)", "'starred argument' at column 5: *x"),
    ("exp(**x)", "'keyword argument'"),
    ("open('f')", "'call of open'"),
    ("print(x)", "'call of print'"),
    ("x.exp()", "'call of x.exp'"),
    ("exp", "'function exp without a call'"),
    ("exp(x)(1)", "'call of exp(x)'"),
    ("x if y else z", "'conditional expression'"),
    ("x == y", "'comparison'"),
    ("x < y < z", "'comparison'"),
    ("x and y", "'and/or'"),
    ("(x := 1)", "'assignment expression :=' at column 2"),
    ('"a"', "'string'"),
    ("b'a'", "'bytes'"),
    ("True", "'boolean'"),
    ("None", "'None'"),
    ("...", "'ellipsis'"),
    ("1j", "'complex number'"),
    ("x + 2j", "'complex number' at column 5: 2j"),
    ("x @ y", "'operator @'"),
    ("x // y", "'operator //'"),
    ("x % y", "'operator %'"),
    ("x & y", "'operator &'"),
    ("x | y", "'operator |'"),
    ("x ^ y", "'operator ^'"),
    ("x << 2", "'operator <<'"),
    ("~x", "'operator ~'"),
    ("not x", "'operator not'"),
    ("*x", "syntax error"),
    ("f'{x}'", "'f-string'"),
    ("[1, 2]", "'list'"),
    ("(1, 2)", "'tuple'"),
    ("{1}", "'set'"),
    ("{}", "'dict'"),
    ("await x", "'await'"),
    ("yield x", "syntax error"),
    ("x" * 10_000, "10,000 characters long; the limit is 2,000"),
    ("(" * 200 + "x" + ")" * 200, "nested more than 100 brackets deep"),
    ("-" * 150 + "x", "more than 100 unary operators in a row"),
    ("", "empty expression"),
    ("   ", "empty expression"),
    ("\t", "empty expression"),
    ("x +", "syntax error"),
    ("x y", "syntax error at column 3"),
    ("(x", "syntax error"),
    ("x)", "syntax error"),
    ("1" * 400, "number too large for a float"),
    ("x\ny", "control character '\\n' at column 2"),
    ("x\x00", "control character"),
    ("import os", "syntax error"),
    ("x = 1", "syntax error"),
]


@pytest.mark.parametrize(("text", "phrase"), HOSTILE)
def test_hostile_input_is_refused_with_a_pointed_message(text: str, phrase: str) -> None:
    with pytest.raises(ExprError) as info:
        parse_expr(text)
    message = str(info.value)
    assert phrase in message
    assert "\n" not in message and len(message) < 300


@pytest.mark.parametrize(("text", "phrase"), HOSTILE)
def test_hostile_input_exits_2_through_the_cli(
    text: str, phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["graph", "--no-svg", "--", text, "x=1", "y=2", "z=3"])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.startswith("valuegrad graph: error: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert phrase in err


@pytest.mark.parametrize(
    ("text", "bindings", "phrase"),
    [
        ("9**9**9", [], "9.0 ** 387420489.0 overflows a float"),
        ("x**99999", ["x=2"], "2.0 ** 99999 overflows a float"),
        ("exp(x)", ["x=1000"], "exp(1000.0) overflows"),
        ("log(x)", ["x=-1"], "log(-1.0) is undefined"),
        ("x / (y - y)", ["x=1", "y=2"], "division by zero"),
        ("1/0", [], "division by zero"),
        ("x ** 0.5", ["x=-4"], "not a real number"),
    ],
)
def test_math_errors_exit_1_with_the_engine_message(
    text: str, bindings: list[str], phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["graph", "--no-svg", text, *bindings])
    _, err = capsys.readouterr()
    assert status == 1
    assert phrase in err and err.count("\n") == 1 and "Traceback" not in err


def test_every_error_points_at_its_column() -> None:
    with pytest.raises(ExprError) as info:
        parse_expr("  x + y.z")
    assert info.value.column == 7  # leading spaces count
    assert "at column 7: y.z" in str(info.value)
    with pytest.raises(ExprError) as info:
        parse_expr("éé + x.y")  # columns in characters, not UTF-8 bytes
    assert info.value.column == 6


def test_the_parser_never_evaluates_or_compiles_user_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_compile = builtins.compile

    def only_ast(source: Any, filename: Any, mode: str, flags: int = 0, *a: Any, **k: Any) -> Any:
        assert flags & ast.PyCF_ONLY_AST, "compiled to code"
        return real_compile(source, filename, mode, flags, *a, **k)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "compile", only_ast)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    built = build("tanh(w*x + b) ** 2 - exp(-x)", {"w": 0.5, "x": 2.0, "b": -1.0})
    assert built.output.data == pytest.approx(math.tanh(0.0) ** 2 - math.exp(-2.0))


def test_the_lecture_expression() -> None:
    built = build(parse_expr("(x+y)*z"), {"x": -2, "y": 5, "z": -4})
    f = built.output
    f.backward()
    assert f.data == -12.0 and f.label == "f"
    assert {n: v.grad for n, v in built.leaves.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert [node.label for node in toposort(f)] == ["x", "y", "x + y", "z", "f"]


def test_names_are_listed_left_to_right() -> None:
    assert parse_expr("z * exp(y) + x * z").names == ("z", "y", "x")


def test_every_allowed_function_and_operator() -> None:
    for name in FUNCTIONS:
        two = ops.FUNCTIONS[name].arity == 2
        built = build(
            f"{name}(x, y)" if two else f"{name}(x)", {"x": 0.5, "y": 0.25} if two else {"x": 0.5}
        )
        assert built.output.op == name
    values = {"x": 1.5, "y": -0.5}
    for text, expected in [
        ("x + y", 1.0),
        ("x - y", 2.0),
        ("x * y", -0.75),
        ("x / y", -3.0),
        ("x ** 2", 2.25),
        ("-x + +y", -2.0),
        ("2 ** x", 2**1.5),
        ("x ** y", 1.5**-0.5),
    ]:
        used = {n: v for n, v in values.items() if n in parse_expr(text).names}
        assert build(text, used).output.data == pytest.approx(expected), text


def test_a_literal_exponent_is_the_constant_power_primitive() -> None:
    # x ** 2 at x = -3: the primitive **2 (derivative 2x), not pow with a gradient for 2
    built = build("x ** 2", {"x": -3})
    built.output.backward()
    assert built.output.op == "**2"
    assert built.leaves["x"].grad == -6.0
    assert build("x ** -1", {"x": 2}).output.op == "**-1"
    assert build("x ** 2 ** 3", {"x": -1}).output.op == "**8"  # 2 ** 3 is folded first


def test_constant_sub_expressions_are_folded() -> None:
    built = build("x * (2 * 3 + exp(0))", {"x": 1.0})
    assert built.output.data == 7.0
    assert [n.op for n in toposort(built.output)] == ["", "", "*"]
    lone = build("2 * 3", {})
    assert lone.output.data == 6.0 and lone.output.label == "f" and lone.leaves == {}


def test_a_bare_name_is_its_own_output() -> None:
    built = build("x", {"x": 3.0})
    assert built.output is built.leaves["x"] and built.output.label == "x"


def test_output_label_avoids_a_variable_called_f() -> None:
    built = build("f * 2", {"f": 3.0})
    assert built.output.label == "out"


def test_long_labels_are_dropped_but_long_sums_work() -> None:
    text = "+".join(["x"] * 999)  # 1,997 characters, a 998-deep tree
    built = build(text, {"x": 1.0})
    built.output.backward()
    assert built.output.data == 999.0 and built.leaves["x"].grad == 999.0
    labels = [n.label for n in toposort(built.output)]
    assert "x + x" in labels and all(len(label) <= 40 for label in labels)


# Random expressions: the label of every node is source text that evaluates to its data.
_leaf = st.sampled_from(["x", "y", "z", "2", "0.5", "3"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children)
    return st.one_of(
        binary.map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        children.map(lambda c: f"-({c})"),
        st.tuples(st.sampled_from(["tanh", "sigmoid", "softplus"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
    )


@given(st.recursive(_leaf, _combine, max_leaves=8))
def test_labels_are_faithful_source_text(text: str) -> None:
    values = {"x": 0.7, "y": 1.3, "z": 2.1}
    used = {n: v for n, v in values.items() if n in parse_expr(text).names}
    try:
        built = build(text, used, label_limit=10_000)
    except (ArithmeticError, ValueError):
        return  # a math error (0 ** -1, overflow, ...) is not what this test is about
    for node in toposort(built.output):
        if node.primitive is None or node is built.output:
            continue
        names = parse_expr(node.label).names
        again = build(node.label, {n: v for n, v in used.items() if n in names})
        assert again.output.data == pytest.approx(node.data, rel=1e-12, abs=1e-12), node.label


# ------------------------------------------------------------------ bindings
def test_bindings_are_parsed() -> None:
    assert parse_bindings(["x=-2", " y = 5 ", "z=1e-3", "w=1_000"]) == {
        "x": -2.0,
        "y": 5.0,
        "z": 0.001,
        "w": 1000.0,
    }


@pytest.mark.parametrize(
    ("items", "phrase"),
    [
        (["x"], "expected NAME=VALUE, got 'x'"),
        (["=1"], "'' is not a valid name"),
        (["1x=2"], "'1x' is not a valid name"),
        (["x-y=2"], "'x-y' is not a valid name"),
        (["for=1"], "'for' is a Python keyword"),
        (["exp=1"], "'exp' is a function name"),
        (["x=1", "x=2"], "x is given twice"),
        (["x=abc"], "x='abc': the value is not a number"),
        (["x="], "the value is not a number"),
        (["x=nan"], "must be a finite number"),
        (["x=inf"], "must be a finite number"),
        (["x=-inf"], "must be a finite number"),
        (["x=1e999"], "must be a finite number"),
        (["x=1j"], "not a number"),
    ],
)
def test_bad_bindings(items: list[str], phrase: str) -> None:
    with pytest.raises(ExprError, match=None) as info:
        parse_bindings(items)
    assert phrase in str(info.value)


def test_a_missing_or_unused_binding_is_an_error() -> None:
    expr = parse_expr("x * q")
    with pytest.raises(ExprError, match=r"no value for 'q' \(column 5\): add q=VALUE"):
        build(expr, {"x": 1.0})
    with pytest.raises(ExprError, match=r"y=2 is not used by the expression \(its names: x, q\)"):
        build(expr, {"x": 1.0, "q": 1.0, "y": 2.0})


def test_unicode_names_match_their_normal_form() -> None:
    # Python reads the ligature "ﬁ" in source as "fi"; a binding must match it
    built = build(parse_expr("ﬁ * 2"), parse_bindings(["ﬁ=3"]))
    assert built.output.data == 6.0 and list(built.leaves) == ["fi"]


def test_values_of_other_types_are_refused() -> None:
    with pytest.raises(TypeError):
        parse_expr(b"x")  # type: ignore[arg-type]
    assert isinstance(build("x", {"x": 1}).output, Value)
