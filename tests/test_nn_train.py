"""The training loop: both modes, the history, evaluation, divergence and bad arguments."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from autograd import Value
from nn import MLP, SGD, Adam, Module, accuracy, cross_entropy, data, predict, predict_proba, train
from nn.evaluate import evaluate
from nn.train import TrainingDivergedError, _eager_batch


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


# ------------------------------------------------------------ divergence and data
def test_a_loss_that_explodes_is_divergence(moons) -> None:
    # Adam with lr 1e10: every step moves each weight by ~1e10, the loss climbs to ~1e10
    # and never becomes inf, so only the growth rule can catch it (before: it "succeeded")
    X_tr, _, y_tr, _ = moons
    with pytest.raises(TrainingDivergedError) as caught:
        train(net(), X_tr, y_tr, mode="batch", epochs=20, optimizer="adam", lr=1e10)
    message = str(caught.value)
    assert "diverged at epoch 2, step 2: the loss has grown to" in message
    assert "over 1000 times its start" in message
    assert "smaller learning rate than lr=1e+10" in message and "initialisation" in message


def test_sgd_divergence_suggests_adam_and_less_momentum(moons) -> None:
    X_tr, _, y_tr, _ = moons
    with pytest.raises(TrainingDivergedError, match=r"less momentum than 0\.9, optimizer='adam'"):
        train(net(), X_tr, y_tr, mode="batch", epochs=50, lr=1e4, momentum=0.9)


def test_the_growth_rule_measures_against_the_spread_of_the_targets() -> None:
    # Two samples, one per batch: a model that fits the first exactly starts at a loss of
    # ~0 and then meets the second, a loss of 0.5: a rise of 12 orders of magnitude, but
    # only 4 times the loss of predicting the mean target (1/2 var([0, 1]) = 0.125).
    X = np.array([[0.0], [1.0]])
    y = np.array([[0.0], [1.0]])
    seed = next(s for s in range(100) if np.random.default_rng(s).permutation(2)[0] == 0)
    model = MLP(1, [1], activation="linear", weights=[[[1e-6]]], biases=[[0.0]])
    model.layers[0].neurons[0].b.data = 1e-6  # sample 0: residual 1e-6, loss 5e-13
    h = train(
        model,
        X,
        y,
        loss="squared_error",
        mode="stochastic",
        batch_size=1,
        epochs=1,
        lr=1e-3,
        seed=seed,
    )
    assert h.step_loss[0] == pytest.approx(0.5e-12, rel=1e-6)
    assert h.step_loss[1] > 1e11 * h.step_loss[0]  # ... and no TrainingDivergedError


@pytest.mark.slow
def test_the_lectures_runs_stay_far_from_the_divergence_threshold() -> None:
    # the runs of the README's table (moons, seeds 0-9, both modes, the classify
    # defaults), over their first 20 epochs (the loss, if it rises, rises early; over all
    # 100 epochs, and on every data set, the largest ratio measured was 2.14): the largest
    # batch loss stays within 3x its reference, over 300x below the rule's threshold
    from nn.train import DIVERGENCE_FACTOR, baseline_loss
    from valuegrad import lecture

    sweep = lecture.run_sweep(10, epochs=20)
    assert len(sweep.runs) == 20 and not sweep.interrupted
    for r in sweep.runs:
        reference = max(r.history.step_loss[0], baseline_loss("cross_entropy", r.y_train))
        assert max(r.history.step_loss) < 3 * reference < DIVERGENCE_FACTOR * reference / 300


@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_non_finite_inputs_are_a_data_problem(engine: str) -> None:
    # before: the eager engine blamed the learning rate, the compiled one said "inputs"
    X = np.array([[0.0, 1.0], [np.inf, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 0])
    with pytest.raises(ValueError, match=r"training data: X\[1, 0\] is inf: the inputs must be"):
        train(net(), X, y, engine=engine)
    with pytest.raises(ValueError, match=r"test data: X\[0, 1\] is nan"):
        train(net(), X[[0, 2]], y[[0, 2]], X_test=np.array([[0.0, np.nan]]), y_test=[0])


@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_inputs_that_overflow_before_any_update_blame_the_data(engine: str) -> None:
    # finite but huge inputs overflow on the very first forward pass: no update, so no
    # learning rate, has happened yet (before: TrainingDivergedError "smaller lr")
    X = np.array([[1e308, 1e308], [-1e308, -1e308]])
    y = np.array([0, 1])
    with pytest.raises(ValueError) as caught:
        train(MLP(2, [8, 2], seed=0), X, y, mode="batch", engine=engine)
    message = str(caught.value)
    assert not isinstance(caught.value, TrainingDivergedError)
    assert "the training data overflow the network on the first batch" in message
    assert "the learning rate is not the cause" in message
    assert "largest |x| = 1e+308" in message and "scale the inputs" in message


@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_an_overflow_raises_no_numpy_warning(moons, engine: str) -> None:
    # SGD with lr 1e300: the first update leaves weights near 1e298, and evaluating the
    # model then overflows inside numpy (before: RuntimeWarnings, then the error)
    X_tr, _, y_tr, _ = moons
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDivergedError, match="smaller learning rate than lr=1e\\+300"):
            train(net(), X_tr, y_tr, mode="batch", epochs=5, lr=1e300, engine=engine)


# -------------------------------------------------------------------- stopping
def test_stop_ends_training_between_two_updates(moons) -> None:
    X_tr, X_te, y_tr, y_te = moons  # 45 points: 3 mini-batches of 20, 20, 5 per epoch
    full = train(net(), X_tr, y_tr, epochs=4, lr=0.05, optimizer="adam")
    asked = []

    def stop() -> bool:
        asked.append(len(asked))
        return len(asked) == 5  # after the 5th update: in the middle of epoch 2

    model = net()
    h = train(
        model, X_tr, y_tr, epochs=4, lr=0.05, optimizer="adam", stop=stop, X_test=X_te, y_test=y_te
    )
    assert h.interrupted and h.steps == 5 and h.step_loss == full.step_loss[:5]
    # the cut epoch is not recorded: the per-epoch lists hold the one completed epoch
    assert h.epochs_done == len(h.loss) == len(h.test_accuracy) == 1
    assert h.loss == full.loss[:1]
    # the model is the one after the 5th update: a run of 5 updates from scratch agrees
    again = net()
    calls = iter(range(1, 100))
    train(again, X_tr, y_tr, epochs=4, lr=0.05, optimizer="adam", stop=lambda: next(calls) == 5)
    assert model.weights == again.weights and model.biases == again.biases
    assert h.to_dict()["interrupted"] is True


@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_stop_sees_the_parameters_after_each_update(moons, engine: str) -> None:
    # The compiled loop keeps the parameters in an array between updates; whenever stop()
    # is asked they are in the Values. Replay the updates by hand and compare each time.
    X_tr, _, y_tr, _ = moons
    model, reference = net(), net()
    opt = Adam(reference.parameters(), lr=0.05)
    rng = np.random.default_rng(0)
    expected = []
    for _ in range(2):
        for idx in np.split(rng.permutation(45), [20, 40]):
            opt.zero_grad()
            cross_entropy_mean = _eager_batch(reference, cross_entropy, X_tr[idx], y_tr[idx])
            assert math.isfinite(cross_entropy_mean)
            opt.step()
            expected.append([p.data for p in reference.parameters()])
    seen = []

    def stop() -> bool:
        seen.append([p.data for p in model.parameters()])
        return False

    h = train(model, X_tr, y_tr, epochs=2, lr=0.05, optimizer="adam", engine=engine, stop=stop)
    assert h.engine == engine and not h.interrupted
    # asked after every update but an epoch's last, and after every epoch but the last
    assert seen == [expected[k] for k in (0, 1, 2, 3, 4)]
    assert [p.data for p in model.parameters()] == expected[-1]


def test_stop_after_the_last_update_is_no_interruption(moons) -> None:
    X_tr, _, y_tr, _ = moons
    h = train(net(), X_tr, y_tr, mode="batch", epochs=3, lr=0.1, stop=lambda: True)
    # asked after the first epoch's evaluation: stops there, that epoch recorded
    assert h.interrupted and h.steps == 1 and h.epochs_done == 1
    h = train(net(), X_tr, y_tr, mode="batch", epochs=1, lr=0.1, stop=lambda: True)
    assert not h.interrupted and h.epochs_done == 1  # nothing was left to stop


def test_epoch_batches_cover_every_sample_once() -> None:
    from nn.train import epoch_batches

    (whole,) = epoch_batches(5, "batch", 2, np.random.default_rng(0))
    assert whole.tolist() == [0, 1, 2, 3, 4]
    parts = epoch_batches(7, "stochastic", 3, np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 3, 1]
    assert sorted(np.concatenate(parts).tolist()) == list(range(7))
    # The same shuffle as the generator's own permutation (reproducible by seed).
    assert np.concatenate(parts).tolist() == np.random.default_rng(0).permutation(7).tolist()
