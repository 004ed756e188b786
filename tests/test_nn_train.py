"""The training loop: both modes, the history, evaluation, divergence and bad arguments."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autograd import Value
from nn import MLP, SGD, Adam, Module, accuracy, cross_entropy, data, predict, predict_proba, train
from nn.train import TrainingDivergedError, _eager_batch, evaluate


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, ...]:
    X, y = data.moons(60, 0.1, seed=0)
    return data.train_test_split(X, y, 0.25, seed=0)


def net(seed: int = 0) -> MLP:
    return MLP(2, [8, 2], seed=seed)


@pytest.mark.parametrize("mode", ["batch", "stochastic"])
def test_both_modes_reduce_the_loss(moons, mode: str) -> None:
    X_tr, X_te, y_tr, y_te = moons
    h = train(
        net(), X_tr, y_tr, mode=mode, epochs=15, lr=0.05, optimizer="adam", X_test=X_te, y_test=y_te
    )
    assert h.mode == mode and h.epochs == 15
    assert len(h.loss) == len(h.train_accuracy) == len(h.test_accuracy) == len(h.test_loss) == 15
    assert h.loss[-1] < 0.8 * h.loss[0]
    assert h.train_accuracy[-1] > 0.75
    assert h.seconds > 0 and h.seconds_per_epoch == h.seconds / 15
    assert json.loads(json.dumps(h.to_dict()))["loss"] == h.loss


def test_stochastic_does_ceil_n_over_batch_updates_per_epoch(moons) -> None:
    X_tr, _, y_tr, _ = moons  # 45 training points
    h = train(net(), X_tr, y_tr, mode="stochastic", epochs=3, batch_size=20, lr=0.01)
    assert h.steps == len(h.step_loss) == 3 * math.ceil(45 / 20)
    # the epoch loss is the sample-weighted mean of its batches' losses (20, 20, 5)
    first = h.step_loss[:3]
    assert h.loss[0] == pytest.approx((20 * first[0] + 20 * first[1] + 5 * first[2]) / 45)
    h = train(net(), X_tr, y_tr, mode="stochastic", epochs=2, batch_size=1, lr=0.01)
    assert h.steps == 90


def test_batch_mode_is_full_batch_gradient_descent(moons) -> None:
    X_tr, _, y_tr, _ = moons
    model = net(1)
    reference = net(1)
    h = train(model, X_tr, y_tr, mode="batch", epochs=2, lr=0.1)
    assert h.steps == 2 and h.step_loss == h.loss
    # by hand: mean cross-entropy over all samples, one SGD step per epoch
    opt = SGD(reference.parameters(), lr=0.1)
    for epoch in range(2):
        opt.zero_grad()
        losses = [cross_entropy(reference(x), int(t)) for x, t in zip(X_tr, y_tr, strict=True)]
        mean = sum(losses[1:], losses[0]) * (1 / len(losses))
        mean.backward()
        assert h.loss[epoch] == pytest.approx(mean.data, rel=1e-12)
        opt.step()
    np.testing.assert_allclose(model.weights[0], reference.weights[0], rtol=1e-12)


def test_shuffling_is_seeded(moons) -> None:
    X_tr, _, y_tr, _ = moons
    a = train(net(), X_tr, y_tr, epochs=2, lr=0.05, seed=3)
    b = train(net(), X_tr, y_tr, epochs=2, lr=0.05, seed=3)
    c = train(net(), X_tr, y_tr, epochs=2, lr=0.05, seed=4)
    assert a.step_loss == b.step_loss
    assert a.step_loss != c.step_loss


def test_eager_batch_returns_the_mean_loss_and_fills_the_gradients(moons) -> None:
    X_tr, _, y_tr, _ = moons
    model = net()
    value = _eager_batch(model, cross_entropy, X_tr[:5], y_tr[:5])
    expected = np.mean(
        [cross_entropy(model(x), int(t)).data for x, t in zip(X_tr[:5], y_tr[:5], strict=True)]
    )
    assert value == pytest.approx(expected, rel=1e-12)
    assert any(p.grad != 0 for p in model.parameters())


def test_evaluation_matches_the_eager_loss(moons) -> None:
    X_tr, _, y_tr, _ = moons
    model = net(2)
    loss, acc = evaluate(model, X_tr, y_tr)
    eager = [cross_entropy(model(x), int(t)).data for x, t in zip(X_tr, y_tr, strict=True)]
    assert loss == pytest.approx(np.mean(eager), rel=1e-12)
    labels = [int(np.argmax([v.data for v in model(x)])) for x in X_tr]
    assert np.array_equal(predict(model, X_tr), labels)
    assert acc == accuracy(model, X_tr, y_tr) == np.mean(np.array(labels) == y_tr)
    proba = predict_proba(model, X_tr)
    assert proba.shape == (len(X_tr), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # a custom loss function is evaluated by the engine
    custom, _ = evaluate(model, X_tr, y_tr, loss=lambda out, t: cross_entropy(out, t))
    assert custom == pytest.approx(loss, rel=1e-12)


def test_a_generic_module_is_evaluated_through_the_engine() -> None:
    class Logit(Module):
        def __init__(self) -> None:
            self.w = Value(2.0)

        def forward(self, x: list[float]) -> list[Value]:
            return [self.w * x[0] - 1.0]

    class Probability(Logit):
        output_activation = "sigmoid"  # declares: the one output is a probability

        def forward(self, x: list[float]) -> list[Value]:
            return [(self.w * x[0] - 1.0).sigmoid()]

    X = np.array([[0.0], [1.0], [0.2]])
    y = np.array([0, 1, 0])
    assert predict(Logit(), X).tolist() == [0, 1, 0]  # one logit: class 1 when > 0
    assert predict(Probability(), X).tolist() == [0, 1, 0]  # one probability: when > 1/2
    np.testing.assert_allclose(predict_proba(Logit(), X), predict_proba(Probability(), X))
    h = train(
        Probability(),
        X,
        y,
        loss="binary_cross_entropy",
        mode="batch",
        epochs=3,
        lr=0.1,
        X_test=X,
        y_test=y,
    )
    assert len(h.test_loss) == 3 and h.test_accuracy[-1] == 1.0
    assert h.test_loss[-1] < h.loss[0]


def test_binary_cross_entropy_with_one_sigmoid_output() -> None:
    X, y = data.gaussians(40, 0.1, seed=1)
    model = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    h = train(
        model,
        X,
        y,
        loss="binary_cross_entropy",
        mode="batch",
        epochs=30,
        lr=0.1,
        optimizer="adam",
        X_test=X,
        y_test=y,
    )
    assert h.loss[-1] < h.loss[0]
    # after the updates the test loss (numpy, from the logits) is the engine's
    eager = np.mean(
        [
            (lambda p, t: -math.log(p) if t else -math.log(1 - p))(model(x)[0].data, t)
            for x, t in zip(X.tolist(), y.tolist(), strict=True)
        ]
    )
    assert h.test_loss[-1] == pytest.approx(eager, rel=1e-9)
    assert h.test_accuracy[-1] == accuracy(model, X, y) > 0.9


def test_regression_targets_record_no_accuracy() -> None:
    X = np.array([[0.05, 0.1]])
    y = np.array([[0.01, 0.99]])
    model = MLP(2, [3, 2], "sigmoid", "sigmoid", seed=0)
    h = train(model, X, y, loss="squared_error", mode="batch", epochs=5, lr=0.5)
    assert h.train_accuracy == [] and len(h.loss) == 5
    assert all(b < a for a, b in zip(h.loss, h.loss[1:], strict=False))


def test_an_optimizer_instance_can_train_a_subset() -> None:
    X, y = data.moons(20)
    model = net()
    first_layer = model.layers[0].parameters()
    before = model.layers[1].weights
    train(model, X, y, epochs=2, optimizer=SGD(first_layer, 0.1))
    assert model.layers[1].weights == before
    with pytest.raises(ValueError, match="pass lr and momentum to the optimizer"):
        train(model, X, y, optimizer=Adam(first_layer), lr=0.1)


def test_divergence_names_the_epoch_and_suggests_a_smaller_lr() -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0]])
    y = np.array([[1.0e3], [-1.0e3]])
    model = MLP(2, [4, 1], activation="linear", seed=0)
    with pytest.raises(
        TrainingDivergedError,
        match=r"diverged at epoch \d+, step \d+.*smaller learning rate than lr=1e\+06",
    ):
        train(model, X, y, loss="mse", mode="batch", epochs=50, lr=1e6)
    assert issubclass(TrainingDivergedError, ArithmeticError)  # the CLI's exit status 1


def test_progress_bar_goes_to_stderr_only_when_asked(moons, capsys) -> None:
    X_tr, _, y_tr, _ = moons
    train(net(), X_tr, y_tr, epochs=2, lr=0.01)
    assert capsys.readouterr() == ("", "")
    train(net(), X_tr, y_tr, epochs=2, lr=0.01, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "epoch" in err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "online"}, "unknown mode 'online': choose one of batch, stochastic"),
        ({"engine": "gpu"}, "unknown engine 'gpu': choose one of auto, eager, compiled"),
        ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
        ({"lr": -1.0}, "lr must be"),
        ({"optimizer": "adam", "momentum": 0.9}, "momentum applies to optimizer='sgd' only"),
        ({"X_test": np.zeros((2, 2))}, "both X_test and y_test"),
    ],
)
def test_bad_arguments(moons, kwargs: dict, match: str) -> None:
    X_tr, _, y_tr, _ = moons
    with pytest.raises(ValueError, match=match):
        train(net(), X_tr, y_tr, **kwargs)


def test_bad_data() -> None:
    with pytest.raises(ValueError, match="X has 3 rows but y has 2 entries"):
        train(net(), np.zeros((3, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"labels must be in 0..1 for a model with 2 outputs"):
        train(net(), np.zeros((2, 2)), np.array([0, 2]))
    with pytest.raises(ValueError, match="integer class labels"):
        train(net(), np.zeros((2, 2)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        train(net(), np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="2-D"):
        train(net(), np.zeros(4), np.array([0, 1, 0, 1]))
