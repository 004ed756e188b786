"""The lecture's two networks: every number of the slides, and an independent numpy check."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nn import MLP, SGD, squared_error
from valuegrad import lecture

X = np.array([0.05, 0.1])
Y = np.array([0.01, 0.99])
W0 = np.array([[0.15, 0.2], [0.25, 0.3], [0.35, 0.4]])
W1 = np.array([[0.5, 0.55, 0.6], [0.65, 0.7, 0.75]])
B0, B1 = 0.45, 0.8


def sigma(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def reference(w0: np.ndarray, w1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> dict:
    """Forward and backward of the 2-3-2 sigmoid network, by hand, in numpy."""
    z_h = w0 @ X + b0
    h = sigma(z_h)
    z_o = w1 @ h + b1
    p = sigma(z_o)
    loss = 0.5 * np.sum((p - Y) ** 2)
    # dl/dz_o = (p - y) * sigma'(z_o);  sigma' = p (1 - p)
    delta_o = (p - Y) * p * (1 - p)
    # dl/dz_h = (W1^T delta_o) * h (1 - h)
    delta_h = (w1.T @ delta_o) * h * (1 - h)
    return {
        "z": np.concatenate([z_h, z_o]),
        "h": h,
        "p": p,
        "loss": loss,
        "dW0": np.outer(delta_h, X),
        "dW1": np.outer(delta_o, h),
        "db0": delta_h,
        "db1": delta_o,
    }


@pytest.fixture
def first() -> lecture.ForwardPass:
    return lecture.forward_pass(lecture.first_network())


# ------------------------------------------------------------------ the slide
def test_first_network_matches_every_number_on_the_slide(first: lecture.ForwardPass) -> None:
    # z0..z2 as printed (the slide's z2 ".5057" is a typo for .5075), z3, z4
    assert [round(z, 4) for z in first.z] == [0.4775, 0.4925, 0.5075, 1.8245, 2.1038]
    assert [round(h, 4) for h in first.h] == [0.6172, 0.6207, 0.6242]
    assert [round(p, 4) for p in first.output] == [0.8611, 0.8913]
    assert round(first.loss, 4) == 0.3671
    assert first.gradients["[w0]0"] == pytest.approx(0.000528, abs=5e-7)


def test_slide_constants_record_the_typo_and_the_quiz_rounding(
    first: lecture.ForwardPass,
) -> None:
    assert lecture.SLIDE["z"][2] == 0.5057
    assert round(first.z[2], 4) != lecture.SLIDE["z"][2]
    for printed, ours in zip(lecture.SLIDE["h"], first.h, strict=True):
        assert round(ours, 4) == printed
    # the quiz's 0.0006 is the right order of magnitude but not the 4-digit rounding
    assert round(first.gradients["[w0]0"], 4) == 0.0005


def test_the_printed_w1_would_not_give_the_slide_numbers() -> None:
    # ARCHITECTURE.md: the slide prints W1 = [[.5,.6,.7],[.55,.65,.75]]; with it z3 is not 1.8245.
    printed = MLP(
        2, [3, 2], "sigmoid", "sigmoid", [W0, [[0.5, 0.6, 0.7], [0.55, 0.65, 0.75]]], [B0, B1]
    )
    out = lecture.forward_pass(printed)
    assert round(out.z[3], 4) != 1.8245


# ------------------------------------------------ full precision against numpy
def test_forward_and_every_gradient_match_an_independent_numpy_computation(
    first: lecture.ForwardPass,
) -> None:
    ref = reference(W0, W1, np.full(3, B0), np.full(2, B1))
    np.testing.assert_allclose(first.z, ref["z"], rtol=1e-14)
    np.testing.assert_allclose(first.h, ref["h"], rtol=1e-14)
    np.testing.assert_allclose(first.output, ref["p"], rtol=1e-14)
    assert first.loss == pytest.approx(ref["loss"], rel=1e-13)
    g = first.gradients
    for j in range(3):
        for i in range(2):
            assert g[f"[w{j}]{i}"] == pytest.approx(ref["dW0"][j, i], rel=1e-12)
        assert g[f"b{j}"] == pytest.approx(ref["db0"][j], rel=1e-12)
    for j in range(2):
        for i in range(3):
            assert g[f"[w{3 + j}]{i}"] == pytest.approx(ref["dW1"][j, i], rel=1e-12)
        assert g[f"b{3 + j}"] == pytest.approx(ref["db1"][j], rel=1e-12)


def test_the_slide_formula_for_dl_dw3_0(first: lecture.ForwardPass) -> None:
    # dl/d[w3]0 = ([p]0 - [y]0) [p]0 (1 - [p]0) [h]0
    p0, h0 = first.output[0], first.h[0]
    assert first.gradients["[w3]0"] == pytest.approx((p0 - 0.01) * p0 * (1 - p0) * h0, rel=1e-13)


@pytest.mark.parametrize("train_biases", [False, True])
def test_sgd_steps_match_numpy_gradient_descent(train_biases: bool) -> None:
    steps, lr = 5, 0.5
    result = lecture.run_regression(steps=steps, lr=lr, train_biases=train_biases)
    w0, w1, b0, b1 = W0.copy(), W1.copy(), np.full(3, B0), np.full(2, B1)
    losses = []
    for _ in range(steps):
        ref = reference(w0, w1, b0, b1)
        losses.append(ref["loss"])
        w0, w1 = w0 - lr * ref["dW0"], w1 - lr * ref["dW1"]
        if train_biases:
            b0, b1 = b0 - lr * ref["db0"], b1 - lr * ref["db1"]
    np.testing.assert_allclose(result.losses, losses, rtol=1e-12)
    np.testing.assert_allclose(result.model.weights[0], w0, rtol=1e-12)
    np.testing.assert_allclose(result.model.weights[1], w1, rtol=1e-12)
    np.testing.assert_allclose(result.model.biases[0], b0, rtol=1e-12)
    np.testing.assert_allclose(result.model.biases[1], b1, rtol=1e-12)
    final = reference(w0, w1, b0, b1)
    assert result.final.loss == pytest.approx(final["loss"], rel=1e-12)
    np.testing.assert_allclose(result.final.output, final["p"], rtol=1e-12)


def test_regression_by_default_leaves_the_biases_alone() -> None:
    result = lecture.run_regression(steps=20)
    assert result.model.biases == [[B0] * 3, [B1] * 2]
    assert result.model.weights[0] != W0.tolist()


def test_a_thousand_iterations_drive_the_loss_down_monotonically() -> None:
    result = lecture.run_regression()
    losses = result.losses
    assert len(losses) == 1000
    assert losses[0] == pytest.approx(0.3670629, abs=1e-7)
    # "the total loss is always decreasing" (slide "check the training losses")
    assert all(b < a for a, b in itertools.pairwise(losses))
    assert result.final.loss < losses[-1] < 1e-3
    assert result.final.output[0] < 0.05 and result.final.output[1] > 0.95


def test_training_every_parameter_converges_faster() -> None:
    weights_only = lecture.run_regression(steps=200)
    everything = lecture.run_regression(steps=200, train_biases=True)
    assert everything.final.loss < weights_only.final.loss


def test_the_first_network_is_built_from_the_library() -> None:
    net = lecture.first_network()
    out = net(lecture.X)
    loss = squared_error(out, lecture.Y)
    loss.backward()
    opt = SGD(net.parameters(), lr=0.5)
    opt.step()
    assert net.num_parameters() == 6 + 3 + 6 + 2


# ------------------------------------------------------- the parameter count
def test_mnist_network_parameter_count() -> None:
    # Slide "Computation cost": 784 x 512 + 512 x 256 + 256 x 10 = 535040 weights.
    net = MLP(784, [512, 256, 10], seed=0)
    weights = sum(len(n.w) for layer in net.layers for n in layer.neurons)
    assert weights == 784 * 512 + 512 * 256 + 256 * 10 == 535_040
    assert len(net.parameters()) == 535_040 + 512 + 256 + 10 == 535_818


# ---------------------------------------------------------- the second network
def test_second_network_shape() -> None:
    net = lecture.second_network(seed=0)
    assert [net.nin, *net.sizes] == [2, 4, 6, 6, 4, 2]
    assert [layer.activation for layer in net.layers] == ["relu"] * 4 + ["linear"]
    assert net.num_parameters() == (2 * 4 + 4 * 6 + 6 * 6 + 6 * 4 + 4 * 2) + (4 + 6 + 6 + 4 + 2)


def test_a_short_stochastic_run_learns_moons() -> None:
    result = lecture.run_classification(n=120, epochs=15, seed=1)
    h = result.history
    assert result.mode == "stochastic"
    assert len(h.loss) == 15 and h.steps == 15 * 5  # 90 training points, batches of 20
    assert h.loss[-1] < h.loss[0]
    assert result.test_accuracy >= 0.8
    payload = result.to_dict()
    assert payload["dataset"] == {
        "name": "moons",
        "n": 120,
        "noise": 0.1,
        "seed": 0,
        "test_fraction": 0.25,
        "n_train": 90,
        "n_test": 30,
    }
    assert payload["losses"] == h.loss


def test_dead_relus_counts_units_that_are_zero_on_every_input() -> None:
    net = lecture.second_network(seed=0)
    X_pts = np.array([[0.5, 0.5], [-0.5, 1.0], [1.0, -1.0]])
    assert lecture.dead_relus(net, X_pts) == [
        int(np.all(A <= 0, axis=0).sum()) for A in net.layer_outputs_numpy(X_pts)[:-1]
    ]
    # kill every unit of the first hidden layer: a bias far below zero
    for neuron in net.layers[0].neurons:
        neuron.b.data = -100.0
    dead = lecture.dead_relus(net, X_pts)
    assert dead[0] == 4
    # with no signal, the outputs no longer depend on the input
    out = net.forward_numpy(X_pts)
    assert np.all(out == out[0])


def test_sweep_summarises_each_mode() -> None:
    sweep = lecture.run_sweep(2, n=80, epochs=3)
    assert sweep.modes == ["batch", "stochastic"] and sweep.seeds == [0, 1]
    assert [(r.mode, r.seed) for r in sweep.runs] == [
        ("batch", 0),
        ("batch", 1),
        ("stochastic", 0),
        ("stochastic", 1),
    ]
    for mode in sweep.modes:
        s = sweep.summary(mode)
        accs = sorted(r.test_accuracy for r in sweep.by_mode(mode))
        assert (s.min, s.max, s.median) == (accs[0], accs[-1], (accs[0] + accs[1]) / 2)
    # same data set for every run
    assert all(np.array_equal(r.X_test, sweep.runs[0].X_test) for r in sweep.runs)
    with pytest.raises(ValueError, match="runs"):
        lecture.run_sweep(0)
