"""The compiled engine replays the eager graph: same values, same gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value, compile
from autograd.compile import DataDependentGraphError, Program
from autograd.testing import conditions, graphs


class _Split:
    """A random graph with its first inputs taken as parameters: build(params + xs)."""

    def __init__(self, fn) -> None:  # type: ignore[no-untyped-def]
        self.fn = fn

    def build(self, leaves: list[Value]) -> Value:
        return self.fn(*leaves)


@st.composite
def batched_programs(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """A random graph, a split of its leaves into parameters and per-sample inputs, the
    parameters' values, and a batch of input rows near the drawn point (every sample
    inside every operation's domain and away from its kinks)."""
    fn, point = draw(graphs())
    n_params = draw(st.integers(0, fn.n_inputs - 1))
    batch = draw(st.integers(1, 5))
    rows = [point[n_params:]]
    for _ in range(batch - 1):
        shifts = st.floats(-0.01, 0.01)
        rows.append([v + draw(shifts) for v in rows[0]])
    for row in rows:
        assume(conditions(fn, point[:n_params] + row) == [])
    return _Split(fn), point[:n_params], rows


def close(a: np.ndarray, b: np.ndarray) -> bool:
    # Same formulas on the same numbers; only the order in which gradient contributions
    # from different consumers are added can differ (by an ulp or so).
    return bool(np.allclose(a, b, rtol=1e-12, atol=1e-12))


def eager_batch(program: _Split, params: list[Value], rows: list[list[float]]) -> tuple:
    """Eager: one graph per sample, the parameters' gradients accumulating over the batch;
    returns each sample's output and its inputs' gradients."""
    values, input_grads = [], []
    for row in rows:
        xs = [Value(v) for v in row]
        out = program.build(params + xs)
        out.backward()
        values.append(out.data)
        input_grads.append([x.grad for x in xs])
    return values, input_grads


@given(batched_programs())
def test_compiled_matches_eager_on_random_graphs(case) -> None:  # type: ignore[no-untyped-def]
    program, param_values, rows = case
    params = [Value(v, f"p{i}") for i, v in enumerate(param_values)]
    prog = compile(lambda *xs: program.build(params + list(xs)), rows, params, check=1)

    values, input_grads = eager_batch(program, params, rows)
    outputs, grads, in_grads = prog.value_and_grad(rows, reduction="sum", input_grads=True)
    # Forward: every node applies the eager kernel to the same numbers: bit for bit.
    assert outputs[:, 0].tolist() == values
    assert close(grads, np.array([p.grad for p in params]))
    assert close(in_grads, np.array(input_grads).reshape(in_grads.shape))


@given(batched_programs())
def test_batch_gradient_is_the_sum_of_per_sample_gradients(case) -> None:  # type: ignore[no-untyped-def]
    program, param_values, rows = case
    params = [Value(v) for v in param_values]
    prog = compile(lambda *xs: program.build(params + list(xs)), rows, params, check=1)
    _, total = prog.value_and_grad(rows, reduction="sum")
    per_sample = sum(prog.value_and_grad([row], reduction="sum")[1] for row in rows)
    assert close(total, per_sample)
    _, mean = prog.value_and_grad(rows, reduction="mean")
    assert close(mean * len(rows), total)


def small_net(params: list[Value]):  # type: ignore[no-untyped-def]
    """A 2-3-1 tanh network with a squared loss on (x0, x1, target)."""
    w = params

    def fn(x0: Value, x1: Value, t: Value) -> Value:
        h = [(x0 * w[3 * j] + x1 * w[3 * j + 1] + w[3 * j + 2]).tanh() for j in range(3)]
        out = h[0] * w[9] + h[1] * w[10] + h[2] * w[11] + w[12]
        return 0.5 * (out - t) ** 2

    return fn


def test_backward_accumulates_like_eager() -> None:
    rng = np.random.default_rng(0)
    params = [Value(float(v)) for v in rng.normal(size=13)]
    fn = small_net(params)
    X = np.column_stack([rng.normal(size=(8, 2)), rng.normal(size=8)])
    prog = compile(fn, X, params)
    loss = prog.backward(X)
    compiled = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    total = None
    for row in X:
        out = fn(*[Value(float(v)) for v in row])
        total = out if total is None else total + out
    mean = total / len(X)
    mean.backward()
    assert loss == pytest.approx(mean.data, rel=1e-14)
    assert compiled == pytest.approx([p.grad for p in params], rel=1e-12, abs=1e-15)
    # a second call accumulates, as backward does
    prog.backward(X)
    assert [p.grad for p in params] == pytest.approx([2 * g for g in compiled], rel=1e-12)


def test_parameters_are_read_at_every_call() -> None:
    w = Value(2.0)
    prog = compile(lambda x: x * w, [[1.0], [3.0]], [w])
    assert prog.forward([[1.0], [3.0]]).tolist() == [[2.0], [6.0]]
    w.data = -1.0
    assert prog.forward([[1.0], [3.0]]).tolist() == [[-1.0], [-3.0]]
    assert prog.forward([5.0]).tolist() == [-5.0]  # a single sample


def test_param_values_stand_in_for_the_parameters_data() -> None:
    rng = np.random.default_rng(1)
    params = [Value(float(v)) for v in rng.normal(size=13)]
    fn = small_net(params)
    X = np.column_stack([rng.normal(size=(6, 2)), rng.normal(size=6)])
    prog = compile(fn, X, params)
    other = rng.normal(size=13)
    loss, grads = prog.loss_and_grad(X, param_values=other)
    assert [p.data for p in params] != other.tolist()  # the Values were not touched
    for p, v in zip(params, other.tolist(), strict=True):
        p.data = v
    loss_from_data, grads_from_data = prog.loss_and_grad(X)
    assert loss_from_data == loss and grads_from_data.tolist() == grads.tolist()
    with pytest.raises(ValueError, match=r"param_values must have shape \(13,\), got \(12,\)"):
        prog.value_and_grad(X, param_values=other[:12])


def test_several_outputs() -> None:
    prog = compile(lambda a, b: [a + b, a * b, a.exp()], [[1.0, 2.0], [0.5, -1.0]])
    out = prog.forward([[1.0, 2.0], [0.5, -1.0]])
    assert out.shape == (2, 3)
    assert out[1].tolist() == pytest.approx([-0.5, -0.5, np.exp(0.5)], rel=1e-15)


def test_fused_sums_add_in_the_eager_order() -> None:
    # Terms of wildly different magnitudes: any other order would round differently.
    # (more than 8 terms: numpy would add them pairwise in another memory order)
    terms = [1e16, 1.0, -1e16, 3.0, 1e-3, 7.0, -2.5e15, 1e-8, 5.0, 2.5e15, 0.1, -7.0, 1e16]
    ws = [Value(t) for t in terms]

    def fn(x: Value) -> Value:
        acc = ws[0] * x
        for w in ws[1:]:
            acc = acc + w * x
        return acc

    prog = compile(fn, [[1.0], [0.5]], ws)
    assert prog.num_groups < len(terms)  # the chain of additions became one sum
    for x in (1.0, 0.5):
        assert prog.forward([x])[0] == fn(Value(x)).data


def test_data_dependent_branch_is_refused() -> None:
    def fn(x: Value) -> Value:
        return x * 2 if x.data > 0 else x + 1

    with pytest.raises(DataDependentGraphError, match="depends on the input data"):
        compile(fn, [[1.0], [-1.0], [2.0]])


def test_data_dependent_constant_is_refused() -> None:
    with pytest.raises(DataDependentGraphError, match="constant computed from the data"):
        compile(lambda x: x * x.data, [[1.0], [2.0]])


def test_same_structure_on_the_examples_is_accepted() -> None:
    prog = compile(lambda x: x.relu() * 3, [[1.0], [-1.0]])
    assert prog.forward([[2.0], [-2.0]]).tolist() == [[6.0], [0.0]]


@pytest.mark.parametrize(
    ("fn", "x", "error", "message"),
    [
        (lambda x: x.log(), -1.0, ValueError, r"log\(-1\.0\)"),
        (lambda x: 1.0 / x, 0.0, ZeroDivisionError, "division by zero"),
        (lambda x: x**0.5, -4.0, ValueError, "not a real number"),
        (lambda x: x.exp(), 800.0, OverflowError, "exp"),
        (lambda x: x * 1e200 * 1e100, 1e10, OverflowError, "overflows"),
    ],
)
def test_domain_errors_match_the_eager_engine(fn, x, error, message) -> None:  # type: ignore[no-untyped-def]
    prog = compile(fn, [[2.0]])
    with pytest.raises(error, match=message):
        prog.forward([[2.0], [x]])
    with pytest.raises(error):
        fn(Value(x))


def test_bad_arguments() -> None:
    w = Value(1.0)
    prog = compile(lambda a, b: a * b * w, [[1.0, 2.0]], [w])
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        prog.forward([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"inputs\[0\]\[1\] is nan"):
        prog.forward([[1.0, float("nan")]])
    with pytest.raises(ValueError, match=r"inputs\[1\]\[0\] is inf"):
        prog.forward([[1.0, 2.0], [float("inf"), 2.0]])
    # only real numbers, as Value takes them: no strings, bools or complex numbers
    for bad in ([["1", "2"]], [[True, False]], [[1 + 2j, 2.0]], [[None, 2.0]]):
        with pytest.raises(TypeError, match="inputs must hold"):
            prog.forward(bad)
    with pytest.raises(TypeError, match="param_values must hold"):
        prog.value_and_grad([[1.0, 2.0]], param_values=["1"])
    assert prog.forward(np.array([[1, 2]], dtype=np.int32)).tolist() == [[2.0]]
    with pytest.raises(TypeError, match="output must be an int"):
        prog.value_and_grad([[1.0, 2.0]], output=True)
    assert prog.value_and_grad([[1.0, 2.0]], output=np.int64(0))[1].tolist() == [2.0]
    with pytest.raises(TypeError, match="input_grads must be True or False"):
        prog.value_and_grad([[1.0, 2.0]], input_grads="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        prog.forward(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="reduction"):
        prog.value_and_grad([[1.0, 2.0]], reduction="max")
    with pytest.raises(ValueError, match="output"):
        prog.value_and_grad([[1.0, 2.0]], output=3)
    with pytest.raises(ValueError, match="non-empty 2-D"):
        compile(lambda a: a, [])
    with pytest.raises(TypeError, match="must return a Value"):
        compile(lambda a: 3.0, [[1.0]])  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="leaf"):
        Program(w * 2, [w * 3])
    with pytest.raises(ValueError, match="both an input and a parameter"):
        Program(w * 2, [w], [w])


def test_repr_counts_nodes_and_groups() -> None:
    prog = compile(lambda a, b: (a * b + a).tanh(), [[1.0, 2.0]])
    assert repr(prog) == "Program(inputs=2, outputs=1, params=0, nodes=5, groups=3, depth=3)"


def test_a_rule_undefined_where_no_gradient_flows_is_not_asked_as_in_eager() -> None:
    # d sqrt(u)/du is infinite at u = 0, but its upstream gradient is 0 (times 0 below),
    # so backward never asks for it; the compiled engine must not either
    w = Value(2.0, "w")

    def f(a: Value) -> Value:
        return (w * a).sqrt() * 0.0 + w * a

    prog = compile(f, [[0.0], [1.0], [4.0]], [w])
    rows = [[0.0], [1.0], [4.0]]
    _, grads = prog.value_and_grad(rows, reduction="sum")
    w.grad = 0.0
    for (a0,) in rows:
        f(Value(a0)).backward()
    assert grads[0] == w.grad == 5.0  # d/dw (w a) summed: 0 + 1 + 4

    def g(a: Value) -> Value:  # the same, but the infinite partial is needed
        return (w * a).sqrt() + w * a

    prog2 = compile(g, [[0.0], [1.0], [4.0]], [w])
    with pytest.raises(ZeroDivisionError, match=r"'sqrt', batch row 0.*infinite"):
        prog2.value_and_grad(rows, reduction="sum")
    with pytest.raises(ZeroDivisionError, match="infinite"):
        g(Value(0.0)).backward()


@given(batched_programs())
def test_fast_program_matches_eager_on_random_graphs_to_rounding(case) -> None:  # type: ignore[no-untyped-def]
    # exact=False: every primitive's vector form (numpy's exp, log, logaddexp, tanh, sin,
    # cos, sqrt, power, the four-pass sigmoid ...) against the eager floats
    program, param_values, rows = case
    params = [Value(v) for v in param_values]
    prog = compile(lambda *xs: program.build(params + list(xs)), rows, params, exact=False)
    values, input_grads = eager_batch(program, params, rows)
    outputs, grads, in_grads = prog.value_and_grad(rows, reduction="sum", input_grads=True)

    def near(a, b) -> bool:  # type: ignore[no-untyped-def]
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-9))

    assert near(outputs[:, 0], values)
    assert near(grads, [p.grad for p in params])
    assert near(in_grads, np.array(input_grads).reshape(in_grads.shape))


@pytest.mark.parametrize("exact", [True, False])
def test_threads_sharing_a_program_each_get_their_own_numbers(exact: bool) -> None:
    # A replay writes the program's buffers; without turns, two threads replaying one
    # program at once got each other's values (hundreds of wrong results in this loop).
    import threading

    from nn import MLP, data
    from nn.train import compile_loss

    X, y = data.digits()
    net = MLP(64, [16, 10], seed=0)
    prog = compile_loss(net, X[:16], y[:16], exact=exact).program
    batches = [np.hstack([X[i : i + 8], np.eye(10)[y[i : i + 8]]]) for i in range(0, 160, 8)]
    expected = [prog.value_and_grad(b) for b in batches]
    wrong: list[int] = []

    def work(offset: int) -> None:
        for _ in range(10):
            for i in range(offset, len(batches), 2):
                out, grads = prog.value_and_grad(batches[i])
                want_out, want_grads = expected[i]
                if not (np.array_equal(out, want_out) and np.array_equal(grads, want_grads)):
                    wrong.append(i)
                if not np.array_equal(prog.forward(batches[i]), expected[i][0]):
                    wrong.append(i)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_a_program_copies_and_pickles() -> None:
    import copy
    import pickle

    w = [Value(0.5), Value(-1.5), Value(0.25)]

    def fn(x0: Value, x1: Value) -> Value:
        return (x0 * w[0] + x1 * w[1] + w[2]).tanh()

    rows = np.array([[0.1, 0.2], [1.0, -2.0]])
    prog = compile(fn, rows, w)
    out, grads = prog.value_and_grad(rows)
    for clone in (copy.deepcopy(prog), pickle.loads(pickle.dumps(prog))):
        out2, grads2 = clone.value_and_grad(rows)
        assert np.array_equal(out2, out) and np.array_equal(grads2, grads)
        assert clone.params[0] is not w[0]  # its own parameters, copied with it
