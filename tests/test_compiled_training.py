"""The compiled engine inside the training loop: same numbers as eager, to the bit."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Value
from autograd.compile import DataDependentGraphError
from nn import MLP, data, train
from nn.losses import cross_entropy, logsumexp
from valuegrad import lecture


def small_moons():  # type: ignore[no-untyped-def]
    X, y = data.moons(60, 0.1, seed=3)
    return X[:40], y[:40], X[40:], y[40:]


@pytest.mark.parametrize("mode", ["batch", "stochastic"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_compiled_and_eager_training_are_identical(mode: str, optimizer: str) -> None:
    X, y, X_test, y_test = small_moons()
    runs = {}
    for engine in ("eager", "compiled"):
        net = MLP(2, [4, 6, 6, 4, 2], seed=5)
        runs[engine] = (
            train(
                net,
                X,
                y,
                mode=mode,
                optimizer=optimizer,
                epochs=8,
                batch_size=7,
                X_test=X_test,
                y_test=y_test,
                engine=engine,
                seed=1,
            ),
            [p.data for p in net.parameters()],
        )
    (eager, eager_params), (compiled, compiled_params) = runs["eager"], runs["compiled"]
    assert (eager.engine, compiled.engine) == ("eager", "compiled")
    # Adam divides by small gradients, so any rounding difference would show: none does.
    assert compiled.step_loss == eager.step_loss
    assert compiled.loss == eager.loss
    assert compiled.test_accuracy == eager.test_accuracy
    assert compiled_params == eager_params


def test_the_lecture_regression_network_compiles_to_the_same_numbers() -> None:
    x, y = np.array([lecture.X]), np.array([lecture.Y])
    histories = []
    for engine in ("eager", "compiled"):
        net = lecture.first_network()
        histories.append(
            train(
                net,
                x,
                y,
                loss="squared_error",
                mode="batch",
                optimizer="sgd",
                lr=0.5,
                epochs=50,
                engine=engine,
            )
        )
    assert histories[0].loss == histories[1].loss
    assert histories[1].engine == "compiled"


def test_auto_picks_compiled_and_falls_back_to_eager_when_it_cannot_record() -> None:
    X, y, _, _ = small_moons()
    assert train(MLP(2, [3, 2], seed=0), X, y, epochs=1).engine == "compiled"
    # A custom loss receives the target as a Value placeholder: indexing with it fails,
    # so "auto" trains eagerly, and "compiled" says why it cannot.
    custom = train(MLP(2, [3, 2], seed=0), X, y, epochs=1, loss=lambda o, t: cross_entropy(o, t))
    assert custom.engine == "eager"
    with pytest.raises(ValueError, match="compiled engine cannot record"):
        train(
            MLP(2, [3, 2], seed=0),
            X,
            y,
            epochs=1,
            loss=lambda o, t: cross_entropy(o, t),
            engine="compiled",
        )

    def by_data(outputs: list[Value], target: Value) -> Value:
        # a loss whose graph depends on the data
        return outputs[0] * target if outputs[0].data > 0 else outputs[1] * target

    targets = y.astype(float)
    assert train(MLP(2, [3, 2], seed=0), X, targets, epochs=1, loss=by_data).engine == "eager"
    with pytest.raises(DataDependentGraphError):
        train(MLP(2, [3, 2], seed=0), X, targets, epochs=1, loss=by_data, engine="compiled")


def test_cross_entropy_with_probability_targets() -> None:
    z = [Value(0.3), Value(-1.2), Value(2.0)]
    lse = np.log(np.exp(0.3) + np.exp(-1.2) + np.exp(2.0))
    assert logsumexp(z).data == pytest.approx(lse, rel=1e-15)
    # one-hot probabilities give exactly the class-index loss
    assert cross_entropy(z, [0.0, 0.0, 1.0]).data == cross_entropy(z, 2).data
    # soft targets: sum_k t_k (lse - z_k)
    t = [0.2, 0.3, 0.5]
    expected = sum(tk * (lse - zk) for tk, zk in zip(t, [0.3, -1.2, 2.0], strict=True))
    loss = cross_entropy(z, t)
    assert loss.data == pytest.approx(expected, rel=1e-14)
    loss.backward()
    softmax = np.exp(np.array([0.3, -1.2, 2.0]) - lse)
    assert [v.grad for v in z] == pytest.approx(list(softmax - np.array(t)), rel=1e-12)
    with pytest.raises(ValueError, match="3 logits but 2 target"):
        cross_entropy(z, [0.5, 0.5])
