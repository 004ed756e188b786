"""Regression tests for the engine's reliability: each case once misbehaved.

* ``grad`` returned ``-inf`` silently where ``backward`` raised;
* ``no_grad``/``enable_grad``/``scope`` were process-wide, so threads corrupted each other;
* a zero base with a Value exponent failed in backward where PyTorch's result is finite;
* ``copy.deepcopy`` and ``pickle`` of a deep graph hit the recursion limit;
* ``Value.label`` accepted a non-str and broke drawing later.
"""

from __future__ import annotations

import asyncio
import copy
import math
import pickle
import threading
from typing import Any

import pytest

from autograd import Value, enable_grad, grad, is_grad_enabled, no_grad, scope, toposort

# --------------------------------------------------------------------------- grad: non-finite


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_refuses_an_overflowing_gradient_like_backward(create_graph: bool) -> None:
    x = Value(1e-200, "x")
    f = 1 / x  # d/dx = -1/x^2 = -1e400: not a float
    with pytest.raises(OverflowError) as grad_err:
        grad(f, [x], create_graph=create_graph)
    with pytest.raises(OverflowError):
        f.backward()
    message = str(grad_err.value)
    assert "overflow" in message and ("x" in message or "/" in message)
    assert x.grad == 0.0  # backward rolled back, grad touched nothing


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_of_log_at_a_subnormal_input_raises(create_graph: bool) -> None:
    x = Value(1e-320, "x")
    y = x.log()  # d/dx = 1/x = 1e320: inf
    with pytest.raises(OverflowError, match=r"log|overflow"):
        grad(y, [x], create_graph=create_graph)


def test_grad_still_returns_large_finite_gradients() -> None:
    x = Value(1e-150)
    (g,) = grad(1 / x, [x])
    assert g == pytest.approx(-1e300, rel=1e-12)


# --------------------------------------------------------------------------- modes per thread


def test_no_grad_in_one_thread_does_not_switch_off_another() -> None:
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, object] = {}

    def quiet() -> None:
        with no_grad():
            inside.set()
            release.wait(5)
            seen["quiet"] = is_grad_enabled()

    t = threading.Thread(target=quiet)
    t.start()
    assert inside.wait(5)
    # while the other thread sits inside no_grad, this one still records
    x = Value(3.0)
    y = x * x
    seen["main"] = is_grad_enabled()
    release.set()
    t.join(5)
    y.backward()
    assert seen == {"quiet": False, "main": True}
    assert y.parents == (x, x) and x.grad == 6.0


def test_interleaved_no_grad_in_two_threads_leaves_recording_on() -> None:
    # The failure this guards against: A enters, B enters (saving "off"), A leaves,
    # B leaves and restores "off" for everybody.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:
        with no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with no_grad():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert is_grad_enabled()
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0


def test_threads_building_graphs_at_once_all_get_exact_gradients() -> None:
    errors: list[str] = []
    start = threading.Barrier(8)

    def work(k: int) -> None:
        start.wait(5)
        for i in range(300):
            x = Value(1.0 + k + i * 1e-3)
            if k % 2:
                with no_grad():
                    junk = x * x  # other threads keep recording meanwhile
                    if junk.parents:
                        errors.append("no_grad recorded parents")
            with scope(f"thread{k}"):
                y = x * x * x
            y.backward()
            if y.scope != (f"thread{k}",):
                errors.append(f"scope {y.scope!r}")
            if x.grad != 3 * x.data**2:
                errors.append(f"thread {k}: grad {x.grad} != {3 * x.data**2}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert is_grad_enabled() and Value(1.0).scope == ()


def test_no_grad_is_per_asyncio_task() -> None:
    async def quiet(entered: asyncio.Event, done: asyncio.Event) -> bool:
        with no_grad():
            entered.set()
            await done.wait()
            return is_grad_enabled()

    async def loud(entered: asyncio.Event, done: asyncio.Event) -> float:
        await entered.wait()
        x = Value(5.0)
        y = x * x  # the other task is inside no_grad right now
        done.set()
        y.backward()
        return x.grad

    async def main() -> tuple[bool, float]:
        entered, done = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(quiet(entered, done), loud(entered, done))

    quiet_enabled, grad_x = asyncio.run(main())
    assert quiet_enabled is False and grad_x == 10.0


def test_enable_grad_and_scope_nest_and_restore() -> None:
    with no_grad():
        assert not is_grad_enabled()
        with scope("outer"), enable_grad():
            assert is_grad_enabled()
            x = Value(1.0)
            y = x + 1
            with scope("inner"):
                z = y * 2
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.parents[0] is x and z.scope == ("outer", "inner") and y.scope == ("outer",)
    assert z.call.parent is y.call and z.call.tag == "inner" and z.call.depth == 2


# --------------------------------------------------------------------------- pow at a zero base


def test_a_number_base_gets_no_gradient_so_zero_base_works() -> None:
    # d/dy 0 ** y = 0 ** y ln 0: PyTorch masks it to 0 where y >= 0; the base, a number,
    # needs no gradient at all (its would be y 0^(y-1), infinite at y = 0.14)
    y = Value(0.14)
    f = 0.0**y
    f.backward()
    assert f.data == 0.0 and y.grad == 0.0
    y2 = Value(1.5)
    (2.0**y2).backward()
    assert y2.grad == pytest.approx(2.0**1.5 * math.log(2.0), rel=1e-15)


def test_zero_to_the_zero_with_both_values_follows_pytorch() -> None:
    x, y = Value(0.0), Value(0.0)
    f = x**y
    f.backward()
    assert f.data == 1.0
    assert (x.grad, y.grad) == (0.0, 0.0)  # exponent 0: flat in x; base 0: masked in y


def test_a_truly_infinite_partial_still_raises() -> None:
    x, y = Value(0.0), Value(0.5)  # d/dx x ** 0.5 at 0 is infinite, and x needs it
    f = x**y
    with pytest.raises(ZeroDivisionError, match="infinite"):
        f.backward()
    assert (x.grad, y.grad) == (0.0, 0.0)


def test_zero_base_cases_against_torch(torch: Any) -> None:
    for base, exponent in [(0.0, 0.0), (0.0, 2.0), (0.0, 1.0), (2.0, 0.0), (0.5, 3.0)]:
        x, y = Value(base), Value(exponent)
        (x**y).backward()
        tx = torch.tensor(base, dtype=torch.float64, requires_grad=True)
        ty = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
        (tx**ty).backward()
        assert (x.grad, y.grad) == (tx.grad.item(), ty.grad.item()), (base, exponent)
    for exponent in (0.14, 0.0, 3.0):
        y = Value(exponent)
        (0.0**y).backward()
        ty = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
        torch.pow(0.0, ty).backward()
        assert y.grad == ty.grad.item(), exponent


# --------------------------------------------------------------------------- copy and pickle


def _chain(depth: int) -> tuple[Value, Value]:
    x = Value(0.5, "x")
    y = x
    for i in range(depth):
        y = y * 1.0000001 + 0.001 if i % 2 else (y + 0.5).tanh()
    y.label = "y"
    return x, y


def _shape(root: Value) -> list[tuple]:
    order = toposort(root)
    index = {node: i for i, node in enumerate(order)}
    return [
        (n.data, n.grad, n.label, n.op, tuple(index[p] for p in n.parents), n.scope) for n in order
    ]


@pytest.mark.parametrize(
    "roundtrip",
    [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
    ids=["deepcopy", "pickle"],
)
def test_a_100000_deep_graph_round_trips(roundtrip: object) -> None:
    x, y = _chain(100_000)
    y.backward()
    clone = roundtrip(y)  # type: ignore[operator]
    assert clone is not y
    assert _shape(clone) == _shape(y)
    clone_x = toposort(clone)[0]
    assert clone_x is not x and clone_x.label == "x" and clone_x.grad == x.grad


def test_pickle_keeps_shared_nodes_shared_across_objects() -> None:
    x = Value(2.0, "x")
    q = x * x + x  # x used three times
    f = q * q
    f.backward()
    a, b, c = pickle.loads(pickle.dumps([x, q, f]))
    assert b.parents[0].parents == (a, a) and b.parents[1] is a
    assert c.parents == (b, b)
    assert (a.grad, b.grad, c.data) == (x.grad, q.grad, f.data)
    c2 = copy.deepcopy([x, f])
    assert c2[1].parents[0].parents[1] is c2[0]


def test_pickle_keeps_module_calls_and_operations() -> None:
    from nn import MLP

    net = MLP(2, [3, 1], seed=0)
    out = net([0.5, -1.0])[0]
    out.backward()
    clone = pickle.loads(pickle.dumps(out))
    assert [n.op for n in toposort(clone)] == [n.op for n in toposort(out)]
    assert clone.primitive is out.primitive  # operations are rows of the one table
    assert len(clone.scope) == len(out.scope) == 3
    assert type(clone.scope[-1]).__name__ == "Neuron"


def test_copy_is_shallow() -> None:
    x = Value(1.0)
    y = x * 3
    z = copy.copy(y)
    assert z is not y and z.parents == y.parents and z.parents[0] is x
    assert z.data == 3.0 and z.op == "*"


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize("bad", [12345, None, b"x", 1.5, ["x"]])
def test_label_assignment_is_validated(bad: object) -> None:
    v = Value(1.0, "ok")
    with pytest.raises(TypeError, match="label must be a str"):
        v.label = bad  # type: ignore[assignment]
    assert v.label == "ok"
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, bad)  # type: ignore[arg-type]


def test_gc_pauses_from_threads_never_leave_the_collector_off() -> None:
    import gc

    from autograd.graph import gc_paused

    assert gc.isenabled()
    inside = threading.Barrier(4)

    def work() -> None:
        with gc_paused():
            inside.wait(5)  # all four threads inside at once
            assert not gc.isenabled()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()


def test_a_walk_left_half_iterated_leaks_no_mode() -> None:
    from autograd import Walk

    x = Value(0.5)
    f = (x * x).tanh() * x
    with no_grad():
        steps = iter(Walk(f, create_graph=True))
        next(steps)  # start walking, then stop
        y = x * 2.0
        assert y.parents == () and not is_grad_enabled()  # still inside no_grad here
    del steps
    assert is_grad_enabled()
    assert (x * 3.0).parents != ()


def test_a_failed_pickling_leaves_no_state_behind() -> None:
    _, y = _chain(20_000)
    with scope(lambda: None):  # a tag pickle cannot save: the pickling fails half-way
        z = y * 2.0
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(z)
    clone = pickle.loads(pickle.dumps(y))  # the same graph again, deep: still works
    assert _shape(clone) == _shape(y)
