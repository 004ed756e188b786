"""``compile(exact=False)`` and ``train(engine="fast")``: a layer's weighted sums as matrix
products, numpy's vector math. Equal to the eager engine to rounding, not to the bit:
checked against eager backward, against the exact compiled engine and against PyTorch."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, compile, numerics
from nn import MLP, cross_entropy, data, squared_error, train
from nn.evaluate import evaluate, outputs
from valuegrad import digits


def close(a: np.ndarray, b: np.ndarray) -> bool:
    # The same formulas; only the order of additions (BLAS, numpy's pairwise sums) and
    # an ulp or two of exp/log/tanh differ.
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def eager(net: MLP, loss, rows: np.ndarray, n_in: int):  # type: ignore[no-untyped-def]
    """Mean loss, parameter gradients and input gradients by eager backward."""
    net.zero_grad()
    xs = [[Value(float(v)) for v in row[:n_in]] for row in rows]
    total = None
    for x, row in zip(xs, rows, strict=True):
        out = loss(net(x), [float(t) for t in row[n_in:]])
        total = out if total is None else total + out
    mean = total * (1.0 / len(rows))
    mean.backward()
    grads = np.array([p.grad for p in net.parameters()])
    return mean.data, grads, np.array([[v.grad for v in x] for x in xs])


def program_for(net: MLP, loss, rows: np.ndarray, n_in: int, exact: bool):  # type: ignore[no-untyped-def]
    def fn(*cols: Value) -> Value:
        return loss(net(list(cols[:n_in])), list(cols[n_in:]))

    return compile(fn, rows, net.parameters(), exact=exact)


def digit_rows(n: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = data.digits()
    return X[:n], y[:n], np.hstack([X[:n], np.eye(10)[y[:n]]])


# ------------------------------------------------------------------ matrix products
def test_a_digits_network_runs_as_two_matrix_products() -> None:
    net = MLP(64, [32, 10], seed=0)
    _, _, rows = digit_rows()
    fast = program_for(net, cross_entropy, rows, 64, exact=False)
    exact = program_for(net, cross_entropy, rows, 64, exact=True)
    assert fast.num_dense == 2 and exact.num_dense == 0
    assert "exact=False, dense=2" in repr(fast) and "exact" not in repr(exact)
    loss, grads, in_grads = eager(net, cross_entropy, rows, 64)
    out_f, grads_f, in_f = fast.value_and_grad(rows, input_grads=True)
    assert out_f.mean() == pytest.approx(loss, rel=1e-13)
    assert close(grads_f, grads) and close(in_f[:, :64], in_grads)
    # and against the exact program, which is the eager engine bit for bit
    out_e, grads_e = exact.value_and_grad(rows)
    assert close(out_f, out_e) and close(grads_f, grads_e)


@settings(max_examples=40, deadline=None)
@given(
    nin=st.integers(2, 5),
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "softplus"]),
    batch=st.integers(1, 6),
    seed=st.integers(0, 1000),
    classify=st.booleans(),
)
def test_fast_mlps_match_eager_backward(nin, sizes, activation, batch, seed, classify) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    width = sizes[-1] if not classify else max(sizes[-1], 2)
    net = MLP(nin, [*sizes[:-1], width], activation=activation, seed=seed)
    X = rng.normal(size=(batch, nin))
    if classify:
        targets = np.eye(width)[rng.integers(0, width, size=batch)]
        loss = cross_entropy
    else:
        targets = rng.normal(size=(batch, width))
        loss = squared_error
    rows = np.hstack([X, targets])
    prog = program_for(net, loss, rows, nin, exact=False)
    # every layer of three or more inputs is a matrix product (w0 x0 + w1 x1 is a lone
    # addition, not a chain of sums)
    fan_in = [nin, *sizes[:-1]]
    assert prog.num_dense == sum(n >= 3 for n in fan_in)
    value, grads, in_grads = eager(net, loss, rows, nin)
    out, g, gin = prog.value_and_grad(rows, input_grads=True)
    assert out.mean() == pytest.approx(value, rel=1e-10, abs=1e-12)
    assert close(g, grads)
    assert close(gin[:, :nin], in_grads)


def test_a_single_neuron_layer_and_either_operand_order() -> None:
    # one neuron (a (1, width) sum) and products written x * w instead of w * x
    w = [Value(v) for v in (0.5, -1.5, 2.0)]
    b = Value(0.25)

    def fn(x0: Value, x1: Value, x2: Value) -> Value:
        z = x0 * w[0] + x1 * w[1] + x2 * w[2] + b
        return z.tanh()

    rows = np.array([[0.1, 0.2, -0.3], [1.0, -2.0, 0.5]])
    prog = compile(fn, rows, [*w, b], exact=False)
    assert prog.num_dense == 1
    outs, grads, in_grads = prog.value_and_grad(rows, reduction="sum", input_grads=True)
    for k, row in enumerate(rows):
        x = [Value(float(v)) for v in row]
        z = sum(xi * wi.data for xi, wi in zip(row, w, strict=True)) + b.data
        assert outs[k, 0] == pytest.approx(math.tanh(z), rel=1e-15)
        # d tanh(z)/dx_i = (1 - tanh^2 z) w_i, by hand
        out = fn(*x)
        out.backward()
        assert in_grads[k].tolist() == pytest.approx(
            [(1 - math.tanh(z) ** 2) * wi.data for wi in w]
        )
        assert [v.grad for v in x] == pytest.approx(in_grads[k].tolist(), rel=1e-14)
    # d/dw_i of the batch sum: sum_k (1 - tanh^2 z_k) x_ki; d/db: sum_k (1 - tanh^2 z_k)
    zs = rows @ np.array([p.data for p in w]) + b.data
    slope = 1 - np.tanh(zs) ** 2
    assert grads.tolist() == pytest.approx([*(slope @ rows), slope.sum()], rel=1e-13)


def test_weights_in_any_parameter_order_and_a_strided_parameter_array() -> None:
    # An MLP's parameters come neuron after neuron, so W is a strided view of the
    # parameter vector; in another order the program gathers W instead. Both, and a
    # parameter array that is itself a strided view, give the eager gradients.
    net = MLP(5, [4, 3], activation="tanh", seed=3)
    rng = np.random.default_rng(3)
    rows = np.hstack([rng.normal(size=(6, 5)), rng.normal(size=(6, 3))])
    loss, grads, _ = eager(net, squared_error, rows, 5)
    params = net.parameters()
    order = rng.permutation(len(params))

    def fn(*cols: Value) -> Value:
        return squared_error(net(list(cols[:5])), list(cols[5:]))

    shuffled = compile(fn, rows, [params[k] for k in order], exact=False)
    assert shuffled.num_dense == 2
    out, g = shuffled.value_and_grad(rows)
    assert out.mean() == pytest.approx(loss, rel=1e-13) and close(g, grads[order])
    in_order = compile(fn, rows, params, exact=False)
    values = np.array([p.data for p in params])
    spaced = np.zeros(2 * len(values))
    spaced[::2] = values  # a view with a stride of two floats
    out2, g2 = in_order.value_and_grad(rows, param_values=spaced[::2])
    assert out2.mean() == pytest.approx(loss, rel=1e-13) and close(g2, grads)
    # and a changed parameter array is read, not a stale copy
    out3, _ = in_order.value_and_grad(rows, param_values=values * 0.5)
    net_half = MLP(5, [4, 3], activation="tanh", seed=3)
    for p in net_half.parameters():
        p.data *= 0.5
    assert out3.mean() == pytest.approx(eager(net_half, squared_error, rows, 5)[0], rel=1e-13)


def test_a_product_used_twice_or_a_shared_weight_stays_elementwise() -> None:
    w = [Value(v) for v in (0.5, -1.5, 2.0)]

    def reuse(x0: Value, x1: Value, x2: Value) -> Value:
        first = x0 * w[0]
        return (first + x1 * w[1] + x2 * w[2]) * first  # the product is used again

    def shared(x0: Value, x1: Value, x2: Value) -> list[Value]:
        # two neurons, the same weight w0 in both: not a matrix of distinct parameters
        return [x0 * w[0] + x1 * w[1] + x2 * w[2], x0 * w[0] + x1 * w[2] + x2 * w[1]]

    rows = np.array([[0.1, 0.2, -0.3], [1.0, -2.0, 0.5], [0.3, 0.3, 0.3]])
    for fn in (reuse, shared):
        prog = compile(fn, rows, w, exact=False)
        assert prog.num_dense == 0, fn.__name__
        _, grads = prog.value_and_grad(rows, reduction="sum")
        for p in w:
            p.grad = 0.0
        for row in rows:
            out = fn(*[Value(float(v)) for v in row])
            (out[0] if isinstance(out, list) else out).backward()
        assert close(grads, np.array([p.grad for p in w])), fn.__name__


def test_fast_gradients_match_torch(torch) -> None:  # type: ignore[no-untyped-def]
    net = MLP(64, [32, 10], seed=1)
    X, y, rows = digit_rows(48)
    prog = program_for(net, cross_entropy, rows, 64, exact=False)
    loss, grads = prog.loss_and_grad(rows)
    model = net.to_torch()
    out = torch.nn.functional.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y))
    out.backward()
    expected = []
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            for j in range(layer.out_features):
                expected += [*layer.weight.grad[j].tolist(), float(layer.bias.grad[j])]
    assert loss == pytest.approx(float(out.detach()), rel=1e-13)
    assert np.allclose(grads, expected, rtol=1e-10, atol=1e-13)


# ------------------------------------------------------------------ errors
def test_fast_errors_name_the_culprit() -> None:
    prog = compile(lambda x: (x * 1000.0).exp(), [[0.1]], exact=False)
    assert prog.forward([[0.5]])[0, 0] == pytest.approx(math.exp(500.0), rel=1e-14)
    with pytest.raises(OverflowError, match=r"batch row 1: exp\(1000\.0\) overflows a float"):
        prog.forward([[0.5], [1.0]])
    w = [Value(1.0), Value(1.0), Value(1.0)]
    net = compile(lambda a, b, c: a * w[0] + b * w[1] + c * w[2], [[1.0, 1.0, 1.0]], w, exact=False)
    assert net.num_dense == 1
    for p in w:
        p.data = 1e308
    with pytest.raises(OverflowError, match="batch row 0: a sum overflows a float"):
        net.forward([[10.0, 10.0, 10.0]])
    w[0].data = math.nan
    with pytest.raises(ValueError, match="parameter 0 is nan"):
        net.value_and_grad([[1.0, 1.0, 1.0]])
    with pytest.raises(TypeError, match="exact must be True or False, got 'no'"):
        compile(lambda a: a * 2.0, [[1.0]], exact="no")  # type: ignore[arg-type]


def test_vector_math_is_a_mode_of_the_running_thread_only() -> None:
    x = np.linspace(-3.0, 3.0, 7)
    assert not numerics.vector_math_on()
    seen = []
    with numerics.vector_math():
        assert numerics.vector_math_on()
        assert numerics.np_exp(x).tolist() == np.exp(x).tolist()
        thread = threading.Thread(target=lambda: seen.append(numerics.vector_math_on()))
        thread.start()
        thread.join()
    assert seen == [False] and not numerics.vector_math_on()
    # outside, the C library's exp element by element: the eager engine's numbers
    assert numerics.np_exp(x).tolist() == [math.exp(v) for v in x.tolist()]


# ------------------------------------------------------------------ training
def test_fast_training_follows_the_exact_run_to_rounding() -> None:
    X, _, y, _ = digits.split_digits(0.25, 0)
    X, y = X[:256], y[:256]
    runs = {}
    for engine in ("compiled", "fast"):
        net = MLP(64, [16, 10], seed=3)
        h = train(net, X, y, epochs=3, optimizer="adam", lr=0.02, batch_size=32, engine=engine)
        runs[engine] = (h, np.array([p.data for p in net.parameters()]))
    (exact, exact_params), (fast, fast_params) = runs["compiled"], runs["fast"]
    assert (exact.engine, fast.engine) == ("compiled", "fast")
    # the first loss is computed before any update: equal to rounding of one forward
    assert fast.step_loss[0] == pytest.approx(exact.step_loss[0], rel=1e-14)
    # 24 Adam updates later the runs still agree far beyond what the accuracy can see
    assert np.allclose(fast.step_loss, exact.step_loss, rtol=1e-9)
    assert np.allclose(fast_params, exact_params, rtol=1e-8, atol=1e-10)
    assert fast.train_accuracy == exact.train_accuracy


def test_fast_evaluation_is_the_exact_one_to_rounding() -> None:
    net = MLP(64, [32, 10], seed=0)
    X, y = data.digits()
    a, b = outputs(net, X), outputs(net, X, exact=False)
    assert np.allclose(a, b, rtol=1e-12, atol=1e-13)
    loss, acc = evaluate(net, X, y)
    loss_f, acc_f = evaluate(net, X, y, exact=False)
    assert loss_f == pytest.approx(loss, rel=1e-13) and acc_f == acc
    # given the outputs, evaluate does not compute them again
    assert evaluate(net, X, y, out=a) == (loss, acc)


def test_classify_runs_the_fast_engine(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from valuegrad.cli import main

    assert main(["classify", "--engine", "fast", "--epochs", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["engine"] == "fast"
    args = ["classify", "--dataset", "digits", "--engine", "fast", "--epochs", "2", "--json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["engine"] == "fast" and doc["test_accuracy"] > 0.8
