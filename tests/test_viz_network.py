"""draw_network: columns of neurons, weights as labels or as width and colour."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings

import nn
from autograd import Value
from tests.drawn_text import TEXT, shown, words
from viz import draw_network, render_svg
from viz.network import LABEL_EDGES

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[(.*)\]$", re.MULTILINE)


class Neuron:
    def __init__(self, w: list[float], b: float, activation: str | None = None) -> None:
        self.w = [Value(x) for x in w]
        self.b = Value(b)
        if activation is not None:
            self.activation = activation


class Layer:
    def __init__(self, rows: list[list[float]], bias: list[float], activation: Any = None):
        self.neurons = [Neuron(r, b) for r, b in zip(rows, bias, strict=True)]
        if activation is not None:
            self.activation = activation


class MLP:
    def __init__(self, layers: list[Layer]) -> None:
        self.layers = layers


def lecture_net() -> MLP:
    """The lecture's first network: 2 inputs, 3 sigmoid hidden neurons, 2 sigmoid outputs."""
    hidden = Layer([[0.15, 0.2], [0.25, 0.3], [0.35, 0.4]], [0.45] * 3, "sigmoid")
    output = Layer([[0.5, 0.55, 0.6], [0.65, 0.7, 0.75]], [0.8] * 2, "sigmoid")
    return MLP([hidden, output])


def random_net(sizes: list[int], seed: int = 0) -> MLP:
    rng = random.Random(seed)
    layers = []
    for k, (nin, nout) in enumerate(pairwise(sizes)):
        rows = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        act = "linear" if k == len(sizes) - 2 else "relu"
        layers.append(Layer(rows, [rng.uniform(-0.5, 0.5) for _ in range(nout)], act))
    return MLP(layers)


def weight_edges(source: str) -> list[tuple[str, str, str]]:
    return [e for e in EDGE.findall(source) if "style=invis" not in e[2]]


def columns(source: str) -> list[list[str]]:
    """The node names of each rank=same column, headers excluded, in order."""
    out = []
    for block in re.findall(r"subgraph column\d+ \{(.*?)\n\t\}", source, re.DOTALL):
        assert "rank=same" in block
        names = re.findall(r"^\t\t(\w+) \[", block, re.MULTILINE)
        out.append([n for n in names if not n.startswith("header")])
    return out


def test_the_lecture_network_shows_weights_biases_and_activations() -> None:
    src = draw_network(lecture_net()).source
    assert columns(src) == [["x0", "x1"], ["l1n0", "l1n1", "l1n2"], ["l2n0", "l2n1"]]
    assert "header0 [label=input" in src
    assert 'header1 [label="hidden 1: sigmoid"' in src
    assert 'header2 [label="output: sigmoid"' in src
    assert 'l1n0 [label="h1.0\\nsigmoid\\nb=0.45"' in src
    assert 'l2n1 [label="y1\\nsigmoid\\nb=0.80"' in src
    edges = weight_edges(src)
    assert len(edges) == 12
    labels = {(a, b): re.search(r'headlabel="?([-\d.]+)', attrs).group(1) for a, b, attrs in edges}
    # weights[j][i] is the weight from input i to neuron j, as on the slides
    assert labels[("x0", "l1n0")] == "0.15" and labels[("x1", "l1n0")] == "0.20"
    assert labels[("x1", "l1n2")] == "0.40"
    assert labels[("l1n2", "l2n1")] == "0.75"
    assert "MLP 2-3-2" in src


def test_big_networks_draw_weights_as_width_and_colour_without_labels() -> None:
    net = random_net([2, 4, 6, 6, 4, 2])
    src = draw_network(net).source
    edges = weight_edges(src)
    assert len(edges) == 2 * 4 + 4 * 6 + 6 * 6 + 6 * 4 + 4 * 2 > LABEL_EDGES
    assert "headlabel" not in src
    weights = [w.data for layer in net.layers for n in layer.neurons for w in n.w]
    widths = []
    for (_, _, attrs), w in zip(
        sorted(edges, key=_edge_order), _weights_in_order(net), strict=True
    ):
        colour = re.search(r'color="(#\w{6})', attrs).group(1)
        assert colour == ("#2166ac" if w > 0 else "#b2182b")  # blue positive, red negative
        assert f'tooltip="w={w:.4f}"' in attrs
        widths.append((abs(w), float(re.search(r"penwidth=([\d.]+)", attrs).group(1))))
    widths.sort()
    assert all(a[1] <= b[1] for a, b in pairwise(widths))  # width grows with |w|
    assert widths[-1][1] == 4.0 and max(abs(w) for w in weights) == widths[-1][0]
    assert "width ∝ |w|" in src


def _edge_order(edge: tuple[str, str, str]) -> tuple[int, int, int]:
    src, dst, _ = edge
    layer, j = (int(v) for v in dst[1:].split("n"))
    i = int(src[1:]) if src.startswith("x") else int(src.split("n")[1])
    return layer, j, i


def _weights_in_order(net: MLP) -> list[float]:
    return [w.data for layer in net.layers for n in layer.neurons for w in n.w]


def test_every_column_keeps_its_neuron_order() -> None:
    src = draw_network(random_net([3, 5, 2])).source
    assert columns(src) == [["x0", "x1", "x2"], [f"l1n{j}" for j in range(5)], ["l2n0", "l2n1"]]
    chain = re.findall(r"(\w+) -> (\w+) \[style=invis\]", src)
    assert ("header1", "l1n0") in chain and ("l1n3", "l1n4") in chain


def test_labels_can_be_forced_either_way() -> None:
    small = draw_network(lecture_net(), labels=False).source
    assert "headlabel" not in small and "penwidth" in small
    big = draw_network(random_net([2, 8, 8, 1]), labels=True).source
    assert big.count("headlabel") == 2 * 8 + 8 * 8 + 8


def test_gradients_in_labels() -> None:
    net = lecture_net()
    net.layers[0].neurons[0].w[0].grad = 0.000528
    src = draw_network(net, grads=True).source
    assert 'headlabel="0.15\\n∇ 0.0005"' in src
    assert "grad=0.0005" in src


def test_names_and_title() -> None:
    src = draw_network(
        lecture_net(), input_names=["x", "y"], output_names=["p0", "p1"], title="first net"
    ).source
    assert "x0 [label=x " in src and 'l2n0 [label="p0\\n' in src and "first net" in src
    with pytest.raises(ValueError, match="input_names has 1 names for 2 neurons"):
        draw_network(lecture_net(), input_names=["x"])


def test_names_titles_and_activations_are_cleaned_clipped_and_escaped() -> None:
    net = lecture_net()
    net.layers[0].activation = "sig\x1b[0mmoid"
    src = draw_network(
        net,
        input_names=["&lt;b&gt;", "a\x00b\ud800"],
        output_names=['say "hi"', "back\\slash{|}"],
        title="T\x07" * 10_000,
    ).source
    assert 'x0 [label="&amp;lt;b&amp;gt;"' in src
    assert "x1 [label=ab " in src
    assert 'header1 [label="hidden 1: sig[0mmoid"' in src
    assert 'l2n0 [label="say \\"hi\\"\\nsigmoid\\nb=0.80"' in src
    assert 'l2n1 [label="back\\\\slash{|}\\nsigmoid\\nb=0.80"' in src
    assert 'tooltip="&amp;lt;b&amp;gt;' not in src  # inputs have no tooltip; outputs do:
    assert 'tooltip="say \\"hi\\": bias 0.8000"' in src
    assert f'label="{"T" * 199}…' in src  # the title, clipped
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", src)
    src.encode("utf-8")  # no lone surrogate left
    with pytest.raises(TypeError, match="title must be a str"):
        draw_network(net, title=["a"])  # type: ignore[arg-type]


@pytest.mark.dot
def test_odd_names_are_drawn_literally() -> None:
    net = lecture_net()
    net.layers[1].activation = "&amp;"
    svg = render_svg(
        draw_network(
            net, input_names=["&lt;b&gt;", "<i>"], output_names=["p\x00", '"q"'], title="&#0;"
        )
    )
    root = ET.fromstring(svg)
    texts = {
        g.find(f"{SVG}title").text: [t.text for t in g.iter(f"{SVG}text")]
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "node"
    }
    assert texts["x0"] == ["&lt;b&gt;"] and texts["x1"] == ["<i>"]
    assert texts["l2n0"] == ["p", "&amp;", "b=0.80"]
    assert texts["l2n1"] == ['"q"', "&amp;", "b=0.80"]
    assert texts["header2"] == ["output: &amp;"]
    tips = [a.get(f"{XLINK}title") for a in root.iter(f"{SVG}a")]
    assert '"q": bias 0.8000' in tips
    graph_label = [t.text for t in root.find(f"{SVG}g").findall(f"{SVG}text")]
    assert graph_label == ["&#0;"]


@pytest.mark.dot
@settings(max_examples=30, deadline=None)
@given(name=TEXT, title=TEXT, activation=TEXT)
def test_any_name_title_or_activation_renders_literally(
    name: str, title: str, activation: str
) -> None:
    net = lecture_net()
    net.layers[1].activation = activation
    svg = render_svg(draw_network(net, input_names=[name, "x1"], title=title or "t"))
    root = ET.fromstring(svg)  # well-formed XML
    texts = {
        g.find(f"{SVG}title").text: [t.text or "" for t in g.iter(f"{SVG}text")]
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "node"
    }
    graph_label = [t.text or "" for t in root.find(f"{SVG}g").findall(f"{SVG}text")]
    act = shown(activation, 80)
    assert words(texts["x0"]) == shown(name, 80).split()
    assert words(graph_label) == shown(title or "t", 200).split()
    assert words(texts["header2"]) == ("output: " + act if act else "output").split()
    assert words(texts["l2n0"]) == ["y0", *act.split(), "b=0.80"]


def test_activation_fallbacks() -> None:
    net = lecture_net()
    for layer in net.layers:
        del layer.activation
    for n in net.layers[0].neurons:
        n.activation = "tanh"  # per neuron
    for n in net.layers[1].neurons:
        n.nonlin = False  # micrograd's Neuron: linear when nonlin is False
    src = draw_network(net).source
    assert 'header1 [label="hidden 1: tanh"' in src
    assert 'header2 [label="output: linear"' in src
    for n in net.layers[1].neurons:
        del n.nonlin
    assert "header2 [label=output shape" in draw_network(net).source


def test_plain_numbers_as_weights_and_deterministic_output() -> None:
    class PlainNeuron:
        def __init__(self, w: list[float], b: float) -> None:
            self.w, self.b = w, b

    class PlainLayer:
        activation = "relu"

        def __init__(self) -> None:
            self.neurons = [PlainNeuron([1.0, -2.0], 0.5)]

    class Net:
        def __init__(self) -> None:
            self.layers = [PlainLayer()]

    assert draw_network(Net()).source == draw_network(Net()).source
    assert "headlabel=-2.00 " in draw_network(Net()).source


def test_malformed_networks_are_refused() -> None:
    with pytest.raises(TypeError, match=r"expected an MLP with \.layers"):
        draw_network(object())
    bad = lecture_net()
    bad.layers[1].neurons[0].w.pop()
    with pytest.raises(ValueError, match="has 2 weights but layers\\[0\\] has 3 neurons"):
        draw_network(bad)
    empty = lecture_net()
    empty.layers[0].neurons = []
    with pytest.raises(TypeError, match=r"no \.neurons"):
        draw_network(empty)


@pytest.mark.dot
@pytest.mark.parametrize("sizes", [[2, 3, 2], [2, 4, 6, 6, 4, 2]])
def test_network_diagrams_render_as_svg(sizes: list[int]) -> None:
    root = ET.fromstring(render_svg(draw_network(random_net(sizes))))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "input" in texts and any(t and t.startswith("output") for t in texts)


def test_the_real_nn_mlp() -> None:
    net = nn.MLP(2, [4, 6, 6, 4, 2], seed=0)
    src = draw_network(net).source
    assert [len(c) for c in columns(src)] == [2, 4, 6, 6, 4, 2]
    assert 'header1 [label="hidden 1: relu"' in src
    assert 'header5 [label="output: linear"' in src
    edges = weight_edges(src)
    assert len(edges) == 2 * 4 + 4 * 6 + 6 * 6 + 6 * 4 + 4 * 2 == 100
    # every edge's tooltip is its weight, read from the network itself
    tips = {(a, b): re.search(r'tooltip="w=([-0-9.]+)"', attrs).group(1) for a, b, attrs in edges}
    w = net.layers[2].neurons[5].w[3].data
    assert tips[("l2n3", "l3n5")] == f"{w:.4f}"
