"""Module, Neuron, Layer and MLP: names, repr, scopes, shapes, initialisation, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, no_grad, toposort
from nn import ACTIVATIONS, MLP, Layer, Module, Neuron, init_weights


def small_mlp() -> MLP:
    return MLP(2, [3, 2], seed=0)


# ------------------------------------------------------------------ discovery
def test_named_parameters_use_torch_style_dotted_names() -> None:
    net = MLP(2, [16, 1], seed=0)
    names = [name for name, _ in net.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.0.neurons.2.w.1" in names
    assert "layers.0.neurons.2.b" in names
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == 2 * 16 + 16 + 16 + 1


def test_parameters_follow_named_parameters() -> None:
    net = small_mlp()
    assert net.parameters() == [p for _, p in net.named_parameters()]
    assert net.num_parameters() == len(net.parameters()) == 2 * 3 + 3 + 3 * 2 + 2
    neuron = net.layers[1].neurons[0]
    assert neuron.parameters() == [*neuron.w, neuron.b]


def test_named_modules_start_with_the_root() -> None:
    net = small_mlp()
    names = [name for name, _ in net.named_modules()]
    assert names == [
        "",
        "layers.0",
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.0.neurons.2",
        "layers.1",
        "layers.1.neurons.0",
        "layers.1.neurons.1",
    ]
    modules = dict(net.named_modules())
    assert modules[""] is net and modules["layers.1.neurons.1"] is net.layers[1].neurons[1]


def test_shared_parameters_and_modules_are_listed_once() -> None:
    class Twice(Module):
        def __init__(self) -> None:
            self.a = Neuron(2, weights=[1.0, 2.0])
            self.b = self.a
            self.extra = [self.a.b]

        def forward(self, x: list[float]) -> Value:
            return self.a(x) + self.b(x)

    m = Twice()
    assert [n for n, _ in m.named_modules()] == ["", "a"]
    assert len(m.parameters()) == 3


def test_zero_grad_clears_every_parameter() -> None:
    net = small_mlp()
    sum(net([0.3, -0.7])).backward()
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_repr_is_torch_like_and_a_layer_does_not_list_its_neurons() -> None:
    net = MLP(2, [16, 2], seed=0)
    text = repr(net)
    assert text.splitlines() == [
        "MLP(",
        "  nin=2, sizes=[16, 2], activation='relu', output_activation='linear'",
        "  (layers.0): Layer(nin=2, nout=16, activation='relu')",
        "  (layers.1): Layer(nin=16, nout=2, activation='linear')",
        ")",
    ]
    assert repr(Layer(2, 16)) == "Layer(nin=2, nout=16, activation='relu')"
    assert repr(Neuron(3, "tanh")) == "Neuron(nin=3, activation='tanh')"
    assert "Neuron" not in text


def test_forward_runs_inside_the_module_scope() -> None:
    net = small_mlp()
    out = net([0.5, -1.0])
    layer, neuron = net.layers[1], net.layers[1].neurons[0]
    assert out[0].scope == (net, layer, neuron)
    # every node built by the forward pass is tagged, outermost module first
    for node in toposort(out[0]):
        if not node.is_leaf():
            assert node.scope[0] is net and len(node.scope) == 3
    # parameters were built outside any call: no scope
    assert net.parameters()[0].scope == ()


def test_forward_must_be_defined() -> None:
    with pytest.raises(NotImplementedError, match="Module"):
        Module()()


# --------------------------------------------------------------------- neuron
def test_neuron_computes_the_slide_formula() -> None:
    n = Neuron(2, "sigmoid", weights=[0.15, 0.2], bias=0.45)
    out = n([0.05, 0.1])
    z = 0.05 * 0.15 + 0.1 * 0.2 + 0.45
    assert out.data == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-15)
    # graph: x0*w0, + x1*w1, + b, sigmoid: no sum started from a 0 constant
    ops = [node.op for node in toposort(out) if node.op]
    assert ops == ["*", "*", "+", "+", "sigmoid"]


@pytest.mark.parametrize("x", [[1.5, -2.0], (1.5, -2.0), np.array([1.5, -2.0])])
def test_neuron_accepts_floats_numpy_and_values(x: object) -> None:
    n = Neuron(2, "linear", weights=[2.0, 3.0], bias=1.0)
    assert n(x).data == 1.5 * 2 - 2.0 * 3 + 1
    xv = [Value(1.5), Value(-2.0)]
    y = n(xv)
    y.backward()
    assert y.data == -2.0 and xv[0].grad == 2.0 and xv[1].grad == 3.0
    assert n([np.float64(1.5), np.float32(-2.0)]).data == -2.0


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_each_activation_by_name(name: str) -> None:
    n = Neuron(1, name, weights=[1.0], bias=0.0)
    expected = {
        "linear": -0.5,
        "step": 0.0,
        "sigmoid": 1 / (1 + math.exp(0.5)),
        "tanh": math.tanh(-0.5),
        "relu": 0.0,
        "softplus": math.log1p(math.exp(-0.5)),
    }[name]
    assert n([-0.5]).data == pytest.approx(expected, rel=1e-15)
    assert n.activation == name


def test_linear_activation_adds_no_node() -> None:
    out = Neuron(1, "linear", weights=[1.0])([2.0])
    assert out.op == "+"


# ---------------------------------------------------------------------- layer
def test_layer_weights_are_rows_per_neuron_and_bias_may_be_shared() -> None:
    layer = Layer(2, 3, "linear", weights=[[1, 2], [3, 4], [5, 6]], bias=0.5)
    assert [n.b.data for n in layer.neurons] == [0.5] * 3
    assert [v.data for v in layer([1.0, 10.0])] == [21.5, 43.5, 65.5]
    assert layer.weights == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    per_neuron = Layer(2, 2, "linear", weights=np.eye(2), bias=[1.0, -1.0])
    assert [v.data for v in per_neuron([3.0, 4.0])] == [4.0, 3.0]


# ------------------------------------------------------------------------ mlp
def test_mlp_returns_one_value_per_output() -> None:
    net = MLP(3, [4, 1], seed=1)
    out = net([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)
    assert len(MLP(2, [5, 3], seed=0)([0.0, 1.0])) == 3


def test_mlp_weights_and_biases_layout() -> None:
    weights = [[[1.0, 2.0]], [[3.0], [4.0]]]
    net = MLP(2, [1, 2], "linear", "linear", weights=weights, biases=[[0.5], 1.0])
    assert net.weights == weights
    assert net.biases == [[0.5], [1.0, 1.0]]
    h = 1.0 * 1 + 2.0 * 2 + 0.5
    assert [v.data for v in net([1.0, 2.0])] == [3 * h + 1, 4 * h + 1]


@pytest.mark.parametrize("sizes", [[4, 6, 6, 4, 2], [16, 16, 1], [12, 40, 3]])
def test_forward_numpy_agrees_with_the_eager_forward_bit_for_bit(sizes: list[int]) -> None:
    # wide layers too: numpy sums more than 8 terms pairwise unless told otherwise
    net = MLP(2, sizes, seed=3)
    X = np.random.default_rng(0).normal(size=(50, 2))
    eager = np.array([[v.data for v in net(x)] for x in X.tolist()])
    assert np.array_equal(net.forward_numpy(X), eager)
    logits = net.forward_numpy(X, output_activation=False)
    assert np.array_equal(logits, eager)  # linear output: the same


def test_forward_numpy_agrees_for_smooth_activations() -> None:
    net = MLP(3, [5, 2], "tanh", "sigmoid", seed=4)
    X = np.random.default_rng(1).normal(size=(20, 3))
    with no_grad():
        eager = np.array([[v.data for v in net(x)] for x in X.tolist()])
    np.testing.assert_allclose(net.forward_numpy(X), eager, rtol=1e-14)
    pre = net.forward_numpy(X, output_activation=False)
    np.testing.assert_allclose(1 / (1 + np.exp(-pre)), eager, rtol=1e-14)


# --------------------------------------------------------------------- init
def test_init_is_seeded_and_never_global() -> None:
    np.random.seed(123)
    a = MLP(2, [4, 6, 2], seed=7).weights
    np.random.seed(999)
    b = MLP(2, [4, 6, 2], seed=7).weights
    assert a == b
    assert MLP(2, [4, 6, 2], seed=8).weights != a
    assert all(bias == 0.0 for layer in MLP(2, [4, 2], seed=0).biases for bias in layer)


@pytest.mark.parametrize(
    ("activation", "init", "std"),
    [
        ("relu", "auto", math.sqrt(2 / 200)),  # He
        ("softplus", "auto", math.sqrt(2 / 200)),
        ("tanh", "auto", math.sqrt(2 / (200 + 100))),  # Glorot / Xavier
        ("sigmoid", "xavier", math.sqrt(2 / (200 + 100))),
        ("relu", "normal", 1.0),  # the lecture's np.random.randn
    ],
)
def test_init_scale(activation: str, init: str, std: float) -> None:
    w = init_weights(200, 100, activation, init, rng=0)
    assert w.shape == (100, 200)
    # 20000 draws: the sample std is within 2% of the target with overwhelming probability
    assert w.std() == pytest.approx(std, rel=0.02)
    assert abs(w.mean()) < 0.05 * std


def test_mlp_init_normal_reproduces_randn_scale() -> None:
    net = MLP(2, [400, 2], init="normal", seed=0)
    assert np.std(net.weights[1]) == pytest.approx(1.0, rel=0.1)


# --------------------------------------------------------------------- errors
def test_unknown_activation_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="linear, step, sigmoid, tanh, relu, softplus"):
        MLP(2, [3], activation="gelu")
    with pytest.raises(ValueError, match="'swish'"):
        Neuron(2, "swish")
    with pytest.raises(ValueError, match="unknown init"):
        MLP(2, [3], init="uniform")


def test_wrong_weight_shape_names_the_layer_expected_and_given() -> None:
    with pytest.raises(ValueError, match=r"layer 1 \(3 -> 2\).*shape \(2, 3\).*shape \(3, 2\)"):
        MLP(2, [3, 2], weights=[np.zeros((3, 2)), np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"layer 0.*shape \(3, 2\).*rows of lengths \[2, 2, 3\]"):
        MLP(2, [3], weights=[[[1, 2], [3, 4], [5, 6, 7]]])
    with pytest.raises(ValueError, match="one entry per layer"):
        MLP(2, [3, 2], weights=[np.zeros((3, 2))])


def test_wrong_bias_shape_is_reported() -> None:
    with pytest.raises(ValueError, match=r"layer 1.*bias must be a number or 2 numbers.*length 3"):
        MLP(2, [3, 2], biases=[0.0, [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="Neuron: weights must be 2 numbers"):
        Neuron(2, weights=[1.0, 2.0, 3.0])


def test_wrong_input_length_names_expected_and_given() -> None:
    net = small_mlp()
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        net([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Layer expects 3 inputs, got 2"):
        net.layers[1]([1.0, 2.0])
    with pytest.raises(ValueError, match="Neuron expects 2 inputs, got 1"):
        Neuron(2)([1.0])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        net.forward_numpy(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="str"):
        net(["a", 1.0])


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_sizes_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        MLP(2, [bad])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="positive integer"):
        Neuron(bad)  # type: ignore[arg-type]


def test_sizes_must_be_a_list() -> None:
    with pytest.raises(ValueError, match="sizes"):
        MLP(2, [])
    with pytest.raises(ValueError, match="sizes"):
        MLP(2, 3)  # type: ignore[arg-type]


# ------------------------------------------------------------------ property
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.lists(st.floats(-2, 2), min_size=3, max_size=3),
)
def test_gradients_of_any_small_mlp_match_finite_differences(
    sizes: list[int], x: list[float]
) -> None:
    net = MLP(3, sizes, "tanh", "linear", seed=len(sizes))
    out = net(x)
    loss = sum(v * v for v in out[1:]) + out[0] * out[0]
    net.zero_grad()
    loss.backward()
    eps = 1e-6
    for p in net.parameters():
        saved = p.data
        with no_grad():
            p.data = saved + eps
            up = sum(v.data**2 for v in net(x))
            p.data = saved - eps
            down = sum(v.data**2 for v in net(x))
        p.data = saved
        assert p.grad == pytest.approx((up - down) / (2 * eps), abs=1e-6, rel=1e-5)


# ------------------------------------------------------------------- hygiene
PUBLIC_MODULES = [
    "nn",
    "nn.activations",
    "nn.data",
    "nn.layers",
    "nn.losses",
    "nn.module",
    "nn.optim",
    "nn.serialize",
    "nn.train",
    "viz.plots",
    "valuegrad.lecture",
]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_a_docstring_and_type_hints(module_name: str) -> None:
    import importlib
    import inspect

    module = importlib.import_module(module_name)
    problems = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.ismodule(obj) or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            problems.append(f"{name}: no docstring")
        members = vars(obj).items() if inspect.isclass(obj) else [(name, obj)]
        for attr, fn in members:
            if not inspect.isfunction(fn) or (attr.startswith("_") and attr != "__init__"):
                continue
            if attr != "__init__" and not (fn.__doc__ or "").strip():
                problems.append(f"{name}.{attr}: no docstring")
            if "return" not in fn.__annotations__:
                problems.append(f"{name}.{attr}: no return type")
    assert not problems, problems


def test_weight_and_bias_params_split_parameters() -> None:
    m = MLP(2, [3, 2], seed=0)
    w, b = m.weight_params(), m.bias_params()
    assert len(w) == 2 * 3 + 3 * 2 and len(b) == 3 + 2
    assert {id(p) for p in w} | {id(p) for p in b} == {id(p) for p in m.parameters()}
    assert not {id(p) for p in w} & {id(p) for p in b}
    assert [p.data for p in w] == [x for layer in m.weights for row in layer for x in row]
