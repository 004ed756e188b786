"""The playground trainer against ``nn.train`` (to the bit), its pictures, its input checks."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from nn import MLP, SGD, Adam, Optimizer, predict_proba, train
from valuegrad.playground.training import Trainer
from valuegrad.playground.validation import (
    InputError,
    Settings,
    apply_settings,
    parse_csv,
)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"optimizer": "momentum", "lr": 0.03, "mode": "batch"},
        {"optimizer": "adam", "lr": 0.01, "l2": 0.01, "activation": "relu", "layers": [6, 3]},
        {"dataset": "spiral", "activation": "softplus", "batchSize": 7, "l2": 0.1, "seed": 5},
        {"dataset": "circles", "activation": "sigmoid", "layers": [], "trainPercent": 70},
    ],
)
def test_epochs_equal_nn_train_on_the_compiled_engine(changes: dict) -> None:
    s = apply_settings(Settings(), changes)
    t = Trainer(s)
    for _ in range(12):
        t.run_epoch()
    net = MLP(2, s.sizes, s.activation, seed=s.seed)
    h = train(
        net,
        t.X_train,
        t.y_train,
        mode=s.mode,
        epochs=12,
        optimizer=_reference_optimizer(net, s),
        batch_size=s.batchSize,
        seed=s.seed,
        X_test=t.X_test,
        y_test=t.y_test,
        engine="compiled",
    )
    assert h.engine == "compiled"
    assert t.seen_loss.tolist() == h.loss  # bit for bit, not approximately
    assert t.test_loss.tolist()[1:] == h.test_loss
    assert t.test_accuracy.tolist()[1:] == h.test_accuracy
    assert t.model.weights == net.weights


class _WeightsThenBiases(Optimizer):
    """The Playground's optimizer, built here from nn.optim alone: L2 on the weights."""

    def __init__(self, weights: Optimizer, biases: Optimizer) -> None:
        super().__init__([*weights.params, *biases.params], weights.lr)
        self.parts = (weights, biases)

    def step(self) -> None:  # type: ignore[override]  (through p.grad, as a user's would)
        for part in self.parts:
            part.step()


def _reference_optimizer(net: MLP, s: Settings) -> Optimizer:
    weights = [w for layer in net.layers for n in layer.neurons for w in n.w]
    biases = [n.b for layer in net.layers for n in layer.neurons]
    if s.optimizer == "adam":
        return _WeightsThenBiases(Adam(weights, s.lr, weight_decay=s.l2), Adam(biases, s.lr))
    mu = 0.9 if s.optimizer == "momentum" else 0.0  # the page's momentum, as documented
    return _WeightsThenBiases(SGD(weights, s.lr, mu, weight_decay=s.l2), SGD(biases, s.lr, mu))


def test_l2_decays_the_weights_and_not_the_biases() -> None:
    s = apply_settings(Settings(), {"l2": 1.0, "lr": 0.1, "mode": "batch"})
    t = Trainer(s)
    w0 = [w.data for layer in t.model.layers for n in layer.neurons for w in n.w]
    # with zero gradients, one SGD step is p <- p - lr * l2 * p for weights, nothing for biases
    t.optimizer.zero_grad()
    t.model.layers[0].neurons[0].b.data = 0.25
    t.optimizer.step()
    w1 = [w.data for layer in t.model.layers for n in layer.neurons for w in n.w]
    assert w1 == pytest.approx([w * (1 - 0.1 * 1.0) for w in w0], rel=1e-15)
    assert t.model.layers[0].neurons[0].b.data == 0.25


def test_the_split_and_the_added_points() -> None:
    s = apply_settings(Settings(), {"points": 100, "trainPercent": 70, "added": [[3, 3, 1]]})
    t = Trainer(s)
    assert len(t.y_test) == 30 and len(t.y_train) == 71
    assert t.X_train[-1].tolist() == [3.0, 3.0] and t.y_train[-1] == 1


def _decode(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.uint8) / 127.5 - 1.0


def test_the_boundary_is_p1_minus_p0_on_the_lattice() -> None:
    t = Trainer(Settings())
    for _ in range(5):
        t.run_epoch()
    pic = t.picture()
    k = pic["grid"]
    x0, x1, y0, y1 = pic["domain"]
    values = _decode(pic["boundary"]).reshape(k, k)
    # cell (row r, column c) is at x = x0 + (c + 1/2) w, y = y1 - (r + 1/2) h
    for r, c in [(0, 0), (k - 1, 0), (k // 2, k // 3), (3, k - 1)]:
        x = x0 + (c + 0.5) * (x1 - x0) / k
        y = y1 - (r + 0.5) * (y1 - y0) / k
        p = predict_proba(t.model, np.array([[x, y]]))[0]
        assert values[r, c] == pytest.approx(p[1] - p[0], abs=1 / 127.5)
    assert len(_decode(pic["inputs"][0])) == pic["neuronGrid"] ** 2


def test_dead_relus_are_marked() -> None:
    t = Trainer(apply_settings(Settings(), {"activation": "relu", "layers": [3]}))
    neuron = t.model.layers[0].neurons[1]
    neuron.b.data = -1000.0  # z < 0 on every training point: relu outputs 0 everywhere
    flags = [n["dead"] for n in t.picture()["layers"][0]["neurons"]]
    assert flags == [False, True, False]
    tanh = Trainer(apply_settings(Settings(), {"layers": [3]}))
    tanh.model.layers[0].neurons[1].b.data = -1000.0  # tanh saturates but is not a ReLU
    assert not any(n["dead"] for n in tanh.picture()["layers"][0]["neurons"])


def test_divergence_stops_with_a_message_naming_the_learning_rate() -> None:
    t = Trainer(apply_settings(Settings(), {"lr": 3.0}))
    t.run_epoch()
    t.model.layers[0].neurons[0].w[0].data = 1e308  # a weight about to overflow
    with pytest.raises(FloatingPointError, match="smaller learning rate than 3"):
        t.run_epoch()
    assert t.error is not None and "diverged at epoch 2" in t.error
    assert t.epoch == 1 and len(t.test_loss) == 2  # the failed epoch recorded nothing


def test_csv_parsing() -> None:
    rows = parse_csv(b"x,y,label\n1,2,1\n\n3,4,-1\n5, 6 ,0\n7,8,1\n")
    assert rows == ((1.0, 2.0, 1), (3.0, 4.0, 0), (5.0, 6.0, 0), (7.0, 8.0, 1))
    with pytest.raises(InputError, match="not UTF-8") as err:
        parse_csv(b"\xff\xfe1,2")
    assert err.value.field == "csv"
    with pytest.raises(InputError, match="line 3"):
        parse_csv(b"x,y,label\n1,2,1\nx,y,label\n")


def test_settings_errors_apply_nothing() -> None:
    base = Settings()
    with pytest.raises(InputError) as err:
        apply_settings(base, {"lr": 0.5, "layers": [4, 0]})
    assert err.value.field == "layers" and err.value.status == 422
    assert base.lr == 0.1
    assert apply_settings(base, {"layers": "3, 2", "batchSize": 10.0}).layers == (3, 2)
    with pytest.raises(InputError, match="at least 4 rows"):
        apply_settings(base, {"dataset": "custom"})
