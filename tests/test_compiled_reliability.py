"""The compiled engine, exact and fast, against a careless user: each case here gave a
silently wrong number, a silent inf, a bare traceback or an error where the eager engine
has none, before it was fixed. The eager engine is the reference throughout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value, compile, primitive
from nn import MLP, data, train
from nn.evaluate import evaluate, predict
from nn.train import compile_loss

BOTH = pytest.mark.parametrize("exact", [True, False], ids=["exact", "fast"])


@BOTH
def test_a_parameter_that_is_also_an_output(exact: bool) -> None:
    # fast mode read such a weight only through its matrix product: the output was 0
    net = MLP(3, [4, 2], activation="tanh", seed=0)
    params = net.parameters()
    w = net.layers[0].neurons[0].w[0]
    X = np.random.default_rng(0).normal(size=(4, 3))
    prog = compile(lambda *x: [*net(list(x)), w], X, params, exact=exact)
    out, grads = prog.value_and_grad(X, output=2)
    assert out[:, 2].tolist() == [w.data] * 4
    expected = np.zeros(len(params))
    expected[params.index(w)] = 1.0  # d w / d w, and nothing else
    assert grads.tolist() == expected.tolist()
    only_w = compile(lambda a, b, c: w, X, [w], exact=exact)
    assert only_w.forward(X)[:, 0].tolist() == [w.data] * 4


@BOTH
def test_an_input_gradient_that_overflows_is_an_error(exact: bool) -> None:
    w = Value(1.0)
    prog = compile(lambda x: x.log() + w, [[1.0]], [w], exact=exact)
    with pytest.raises(OverflowError, match=r"'log', batch row 1"):
        prog.value_and_grad([[1.0], [1e-320]], input_grads=True)
    x = Value(1e-320)
    with pytest.raises(OverflowError):  # as the eager engine
        (x.log() + w).backward()
    # the parameter gradients alone are finite: asked only for those, no error
    _, grads = prog.value_and_grad([[1.0], [1e-320]])
    assert grads.tolist() == [1.0]


@BOTH
def test_no_gradient_flowing_is_no_contribution_not_nan(exact: bool) -> None:
    # t = 0 stops the gradient before log(sigmoid(-740)), whose derivative overflows:
    # eager asks no rule there, so the loss's gradient is 0, not nan
    w = Value(1.0)

    def f(x: Value, t: Value) -> Value:
        return -(t * (x * w).sigmoid().log())

    prog = compile(f, [[1.0, 1.0]], [w], exact=exact)
    out, grads = prog.value_and_grad([[-740.0, 0.0], [0.5, 1.0]], reduction="sum")
    w.grad = 0.0
    total = f(Value(-740.0), Value(0.0)) + f(Value(0.5), Value(1.0))
    total.backward()
    assert out[:, 0].sum() == pytest.approx(total.data, rel=1e-12)
    assert grads[0] == pytest.approx(w.grad, rel=1e-12)
    # sigmoid(-740) = 4.2e-322 is tiny but not 0: fast mode keeps it too
    assert prog.forward([[-740.0, 1.0]])[0, 0] == pytest.approx(-math.log(4.2e-322), rel=1e-2)


@BOTH
def test_a_gradient_whose_sum_overflows_is_an_error_not_zero(exact: bool) -> None:
    # y is read twice; each contribution 1e308 is finite, their sum is not. The careful
    # second pass once masked the inf upstream to 0: a silent gradient of 0 for w.
    w = Value(1.0)

    def f(x: Value) -> Value:
        y = x * w
        return y * 1e308 + y * 1e308

    prog = compile(f, [[1e-300]], [w], exact=exact)
    with pytest.raises(OverflowError, match=r"batch row 0: the gradient of '\*' overflows"):
        prog.value_and_grad([[1e-300]])
    with pytest.raises(OverflowError):  # as the eager engine
        f(Value(1e-300)).backward()


@BOTH
def test_a_square_root_at_zero_as_the_eager_engine(exact: bool) -> None:
    w = Value(1.0)
    unused = compile(lambda x: ((x * w) ** 0.5) * 0.0 + w, [[1.0]], [w], exact=exact)
    assert unused.value_and_grad([[0.0]])[1].tolist() == [1.0]  # 0 * (the root's slope)
    used = compile(lambda x: (x * w) ** 0.5, [[1.0]], [w], exact=exact)
    with pytest.raises(ZeroDivisionError, match=r"batch row 1: 0.0 \*\* -0.5"):
        used.value_and_grad([[4.0], [0.0]])
    x = Value(0.0)
    with pytest.raises(ZeroDivisionError, match=r"0.0 \*\* -0.5"):
        ((x * w) ** 0.5).backward()


def test_a_users_array_form_is_checked_against_its_forward() -> None:
    w = Value(0.5)
    rows = [[0.3], [0.7]]

    def with_array_form(np_forward):  # type: ignore[no-untyped-def]
        sq = primitive("sq_checked", lambda x: x * x, lambda x, out: 2 * x, np_forward=np_forward)
        return compile(lambda a: sq(a * w), rows, [w])

    with pytest.raises(ValueError, match=r"'sq_checked' returns shape \(\) .* element by element"):
        with_array_form(lambda x: float(np.sum(x * x)))
    with pytest.raises(ValueError, match=r"'sq_checked' returns shape \(1,\)"):
        with_array_form(lambda x: np.sum(x * x, keepdims=True))
    with pytest.raises(ValueError, match=r"disagrees with its forward at \(0.15\): 0.045 against"):
        with_array_form(lambda x: 2 * x * x)
    with pytest.raises(TypeError, match=r"'sq_checked' fails on numpy arrays"):
        with_array_form(lambda x: math.exp(x))
    prog = with_array_form(lambda x: x * x)
    out, grads = prog.value_and_grad(rows, reduction="sum")
    # sum over the rows of (a w)^2; d/dw = sum 2 a^2 w
    assert out[:, 0].tolist() == pytest.approx([0.15**2, 0.35**2])
    assert grads.tolist() == pytest.approx([2 * (0.3**2 + 0.7**2) * 0.5])


def test_a_rule_that_takes_only_floats_is_named() -> None:
    w = Value(1.0)
    sq = primitive("sq_floats", lambda x: x * x, lambda x, out: math.copysign(2 * abs(x), x),
                   np_forward=lambda x: x * x)  # fmt: skip
    prog = compile(lambda a: sq(a * w), [[1.0]], [w])
    with pytest.raises(TypeError, match=r"rule of primitive 'sq_floats' does not take numpy"):
        prog.value_and_grad([[2.0]])


def test_numpy_evaluation_refuses_what_a_value_refuses() -> None:
    net = MLP(2, [4, 2], activation="relu", seed=0)
    with pytest.raises(ValueError, match=r"X\[0\]\[0\] is nan"):
        net.forward_numpy(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match=r"X\[0\]\[1\] is inf"):
        predict(net, [[1.0, np.inf]])
    with pytest.raises(ValueError, match=r"X\[1\]\[0\] is nan"):
        evaluate(net, [[0.0, 1.0], [np.nan, 1.0]], [0, 1])
    with pytest.raises(ValueError, match=r"X\[0\]\[0\] is nan"):
        net.forward_numpy(np.array([[np.nan, 1.0]]), exact=False)


def test_a_compiled_loss_checks_its_labels() -> None:
    X, y = data.digits()
    net = MLP(64, [10], seed=0)
    loss = compile_loss(net, X[:8], y[:8])
    with pytest.raises(ValueError, match=r"labels must be in 0..9 .* got -1 \(row 0\)"):
        loss.loss_and_grad(X[:8], [-1] + [1] * 7)
    with pytest.raises(ValueError, match=r"got 10 \(row 3\)"):
        loss.loss_and_grad(X[:8], [1, 2, 3, 10, 4, 5, 6, 7])
    with pytest.raises(ValueError, match="integer class labels, got dtype float64"):
        loss.loss_and_grad(X[:8], [3.0] * 8)
    with pytest.raises(ValueError, match=r"X of shape \(8, 64\) and 2 targets"):
        loss.loss_and_grad(X[:8], [1, 2])
    # a list of labels is a batch like an array of them
    value, _ = loss.loss_and_grad(X[:8], list(range(8)))
    assert value == pytest.approx(loss.loss_and_grad(X[:8], np.arange(8))[0], rel=0, abs=0)


def test_train_refuses_a_stop_that_is_not_a_function_before_any_update() -> None:
    X, y = data.moons(40, seed=0)
    net = MLP(2, [4, 2], seed=0)
    before = [p.data for p in net.parameters()]
    with pytest.raises(TypeError, match="stop must be a function"):
        train(net, X, y, epochs=2, stop=5)  # type: ignore[arg-type]
    assert [p.data for p in net.parameters()] == before


@pytest.mark.parametrize("rule", [lambda a, out: None, lambda a, out: "2", lambda a, out: (True,)])
def test_a_rule_must_return_numbers(rule) -> None:  # type: ignore[no-untyped-def]
    # a rule returning None used to give a gradient of 0 in grad, trace and the explorer
    with pytest.raises(TypeError, match=r"primitive 'bad_rule': deriv must return numbers"):
        primitive("bad_rule", lambda a: a * 3, rule)


def test_huge_numbers_are_drawn_in_exponent_form() -> None:
    from viz._dot import fixed4

    assert fixed4(1e300) == "1.0000e+300" and fixed4(-2.5e9) == "-2.5000e+09"
    assert fixed4(-2.0) == "-2.0000" and fixed4(123456789.0) == "123456789.0000"
    assert fixed4(-1e-9) == "0.0000"
