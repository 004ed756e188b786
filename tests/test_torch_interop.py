"""MLP.to_torch / MLP.from_torch: the same network in PyTorch, outputs and gradients to 1e-12.

PyTorch computes the same formulas with its own kernels and summation order (a matrix
product adds a neuron's terms in blocks, we add them left to right), so the two agree
to rounding, not bit for bit: 1e-12, relative to the size of each number, is about 10^4
ulps, far below any real difference (a wrong weight, activation or derivative moves the
numbers by 1e-3 or more).

These tests need torch: they skip without it, except under CI (``CI`` set), where
``sh bootstrap.sh dev`` installs it and a missing torch is a failure.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn import MLP, SGD, cross_entropy, squared_error
from nn.activations import ACTIVATIONS

ROOT = Path(__file__).resolve().parent.parent
TOL = {"rtol": 1e-12, "atol": 1e-12}


def _random_net(activation: str, output_activation: str, seed: int) -> MLP:
    """A 5-7-6-3 MLP with random weights and non-zero biases."""
    rng = np.random.default_rng(seed)
    sizes = [7, 6, 3]
    fan_in = [5, 7, 6]
    weights = [rng.normal(0, 1 / np.sqrt(a), (b, a)) for a, b in zip(fan_in, sizes, strict=True)]
    biases = [rng.normal(0, 0.5, b) for b in sizes]
    return MLP(5, sizes, activation, output_activation, weights=weights, biases=biases)


def _ours(net: MLP, X: np.ndarray, y: np.ndarray, loss: str) -> tuple[Any, ...]:
    """Outputs, summed loss and the gradients of every parameter and input (eager engine)."""
    net.zero_grad()
    xs = [[Value(v) for v in row] for row in X.tolist()]
    outputs, total = [], None
    for row, t in zip(xs, y.tolist(), strict=True):
        out = net(row)
        outputs.append([v.data for v in out])
        if loss == "cross_entropy":
            sample = cross_entropy(out, t)
        else:
            sample = squared_error(out, np.eye(3)[t].tolist())
        total = sample if total is None else total + sample
    total.backward()
    # torch's order: per Linear layer, the (nout, nin) weight, then the bias
    grads = (
        [np.array([[w.grad for w in n.w] for n in layer.neurons]) for layer in net.layers],
        [np.array([n.b.grad for n in layer.neurons]) for layer in net.layers],
    )
    inputs = np.array([[v.grad for v in row] for row in xs])
    return np.array(outputs), total.data, grads, inputs


def _theirs(torch: Any, model: Any, X: np.ndarray, y: np.ndarray, loss: str) -> tuple[Any, ...]:
    model.zero_grad()
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    out = model(x)
    labels = torch.tensor(y)
    if loss == "cross_entropy":
        total = torch.nn.functional.cross_entropy(out, labels, reduction="sum")
    else:
        onehot = torch.nn.functional.one_hot(labels, 3).to(torch.float64)
        total = 0.5 * ((out - onehot) ** 2).sum()
    total.backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    weights = [m.weight.grad.numpy() for m in linears]
    biases = [m.bias.grad.numpy() for m in linears]
    return out.detach().numpy(), float(total.detach()), (weights, biases), x.grad.numpy()


@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
@pytest.mark.parametrize("output", ["same", "linear"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_outputs_and_gradients_match_torch(
    torch: Any, activation: str, output: str, loss: str
) -> None:
    output_activation = activation if output == "same" else "linear"
    net = _random_net(activation, output_activation, seed=len(activation))
    rng = np.random.default_rng(7)
    X = rng.normal(0, 2, (11, 5))
    y = rng.integers(0, 3, 11)
    model = net.to_torch()
    out, value, (gw, gb), gx = _ours(net, X, y, loss)
    t_out, t_value, (tw, tb), tx = _theirs(torch, model, X, y, loss)
    np.testing.assert_allclose(out, t_out, **TOL)
    assert value == pytest.approx(t_value, rel=1e-12, abs=1e-12)
    for k in range(3):
        np.testing.assert_allclose(gw[k], tw[k], **TOL, err_msg=f"layer {k} weights")
        np.testing.assert_allclose(gb[k], tb[k], **TOL, err_msg=f"layer {k} biases")
    np.testing.assert_allclose(gx, tx, **TOL, err_msg="inputs")
    # not a trivially passing comparison: the gradients are there (zero only below a step)
    if activation != "step":
        assert np.abs(gw[0]).max() > 1e-3 and np.abs(gx).max() > 1e-3
    else:
        assert np.all(gw[0] == 0) and np.all(tw[0] == 0) and np.all(tx == 0)


def test_the_torch_model_has_our_weights_and_layers(torch: Any) -> None:
    net = _random_net("tanh", "sigmoid", seed=3)
    model = net.to_torch()
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    for layer, linear in zip(net.layers, model[::2], strict=True):
        assert linear.weight.dtype == torch.float64
        assert linear.weight.tolist() == layer.weights  # the same floats, exactly
        assert linear.bias.tolist() == layer.biases
    linear_net = MLP(4, [3, 2], activation="linear", seed=0)
    assert [type(m).__name__ for m in linear_net.to_torch()] == ["Linear", "Linear"]
    step = MLP(2, [3, 1], activation="step", seed=0).to_torch()
    assert type(step[1]).__name__ == "BinaryStep"
    softplus = MLP(2, [3, 1], activation="softplus", seed=0).to_torch()[1]
    assert (softplus.beta, softplus.threshold) == (1.0, 40.0)


def test_to_torch_leaves_torchs_random_generator_alone(torch: Any) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MLP(64, [32, 10], seed=0).to_torch()
    assert torch.equal(torch.rand(3), expected)


def test_the_binary_step_forward_and_gradient(torch: Any) -> None:
    from nn.layers import BinaryStep

    x = torch.tensor(
        [-2.0, -1e-300, -0.0, 0.0, 1e-300, 3.0], dtype=torch.float64, requires_grad=True
    )
    y = BinaryStep()(x)
    ours = [Value(v).step().data for v in x.tolist()]
    assert y.tolist() == ours == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0] * 6  # d step / dx = 0, as Value.step's


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_round_trip_is_exact(torch: Any, activation: str) -> None:
    net = _random_net(activation, "linear", seed=11)
    back = MLP.from_torch(net.to_torch())
    assert back.weights == net.weights and back.biases == net.biases
    assert (back.nin, back.sizes) == (net.nin, net.sizes)
    assert (back.activation, back.output_activation) == (activation, "linear")
    model = net.to_torch()
    again = MLP.from_torch(model).to_torch()
    assert [type(m) for m in again] == [type(m) for m in model]
    for (name, a), (other, b) in zip(
        model.state_dict().items(), again.state_dict().items(), strict=True
    ):
        assert name == other and torch.equal(a, b)


def test_from_torch_takes_a_model_built_in_torch(torch: Any) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 32),  # float32, torch's own initialisation
        torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Linear(32, 10), torch.nn.Identity()),
    )
    net = MLP.from_torch(model)
    assert (net.nin, net.sizes, net.activation, net.output_activation) == (
        64,
        [32, 10],
        "relu",
        "linear",
    )
    # float32 weights are float64 numbers exactly, so the float64 copy computes as we do
    X = np.random.default_rng(0).uniform(0, 1, (5, 64))
    expected = model.double()(torch.tensor(X)).detach().numpy()
    np.testing.assert_allclose(net.forward_numpy(X), expected, **TOL)
    # a Linear without bias gets zero biases; a lone Linear is a one-layer MLP
    lone = MLP.from_torch(torch.nn.Linear(3, 2, bias=False))
    assert lone.sizes == [2] and lone.biases == [[0.0, 0.0]]
    assert lone.output_activation == "linear"


def test_one_training_step_agrees_with_torch(torch: Any) -> None:
    net = _random_net("relu", "linear", seed=5)
    model = net.to_torch()
    rng = np.random.default_rng(2)
    X, y = rng.normal(0, 1, (8, 5)), rng.integers(0, 3, 8)
    _ours(net, X, y, "cross_entropy")
    SGD(net.parameters(), lr=0.1).step()
    _theirs(torch, model, X, y, "cross_entropy")
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    stepped = MLP.from_torch(model)
    for ours, theirs in zip(net.weights, stepped.weights, strict=True):
        np.testing.assert_allclose(ours, theirs, **TOL)


def test_a_step_network_pickles(torch: Any) -> None:
    model = MLP(2, [3, 1], activation="step", seed=0).to_torch()
    copy = pickle.loads(pickle.dumps(model))
    x = torch.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=torch.float64)
    assert torch.equal(copy(x), model(x))


def test_from_torch_refuses_what_is_not_an_mlp(torch: Any) -> None:
    nn_ = torch.nn
    cases = [
        (
            nn_.Sequential(nn_.Linear(2, 3), nn_.Dropout(0.5), nn_.Linear(3, 1)),
            "module 1 \\(Dropout",
        ),
        (nn_.Sequential(nn_.Linear(2, 3), nn_.Linear(4, 1)), "module 1 .* takes 4 inputs but the"),
        (nn_.Sequential(nn_.ReLU(), nn_.Linear(2, 1)), "module 0 \\(ReLU\\(\\)\\) comes before"),
        (nn_.Sequential(nn_.Linear(2, 3), nn_.ReLU(), nn_.Tanh()), "second activation"),
        (nn_.Sequential(nn_.Linear(2, 3), nn_.Softplus(beta=2.0)), "module 1 \\(Softplus"),
        (
            nn_.Sequential(
                nn_.Linear(2, 3), nn_.ReLU(), nn_.Linear(3, 3), nn_.Tanh(), nn_.Linear(3, 1)
            ),
            "different activations \\(relu, tanh\\)",
        ),
        (nn_.Sequential(), "holds no Linear layer"),
    ]
    for module, match in cases:
        with pytest.raises(ValueError, match=match):
            MLP.from_torch(module)
    with pytest.raises(TypeError, match=r"expects a torch\.nn\.Sequential .* got ReLU"):
        MLP.from_torch(nn_.ReLU())
    with pytest.raises(TypeError, match="got str"):
        MLP.from_torch("net.pt")
    broken = nn_.Linear(2, 1)
    with torch.no_grad():
        broken.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"layer 0 .* holds nan or inf"):
        MLP.from_torch(broken)


# -------------------------------------------------------- without torch (no fixture)
def test_a_missing_torch_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    net = MLP(2, [2], seed=0)
    with pytest.raises(ImportError, match=r"MLP\.to_torch needs PyTorch.*pip install torch"):
        net.to_torch()
    with pytest.raises(ImportError, match=r"MLP\.from_torch needs PyTorch.*pip install torch"):
        MLP.from_torch(object())


def test_importing_the_library_does_not_import_torch() -> None:
    code = (
        "import sys, autograd, nn, viz, valuegrad.cli, valuegrad.digits\n"
        "nn.MLP(2, [3, 2], seed=0)\n"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False"


def test_an_activation_registered_by_the_user_is_refused_by_name(torch: Any) -> None:
    from autograd import primitive
    from nn import register_activation

    cube = primitive("torch_test_cube", lambda x: x**3, lambda x, out: 3 * x * x)
    register_activation(cube)
    net = MLP(2, [3, 1], activation="torch_test_cube", seed=0)
    with pytest.raises(ValueError, match="'torch_test_cube' has no PyTorch module"):
        net.to_torch()
