"""draw_graph: DOT structure, styles, escaping, clusters per module call, big graphs."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, scope, toposort
from tests.drawn_text import TEXT, shown, words
from viz import DEFAULT_MAX_NODES, DotNotFoundError, draw_graph, render_svg, save_svg
from viz import graph as viz_graph

SVG = "{http://www.w3.org/2000/svg}"

# ------------------------------------------------------------------ DOT helpers
NODE = re.compile(r"^\s*(\w+) \[(.*)\]$", re.MULTILINE)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)", re.MULTILINE)


def nodes(source: str) -> dict[str, str]:
    """Node name -> its attribute text (graph/node/edge defaults excluded)."""
    return {
        name: attrs for name, attrs in NODE.findall(source) if name not in ("graph", "node", "edge")
    }


def edges(source: str) -> list[tuple[str, str]]:
    return EDGE.findall(source)


def label(attrs: str) -> str:
    m = re.search(r'label="((?:[^"\\]|\\.)*)"', attrs) or re.search(r"label=(\S+)", attrs)
    assert m, attrs
    return m.group(1)


def records(source: str) -> dict[str, str]:
    """Record nodes (one per Value drawn), name -> label."""
    return {n: label(a) for n, a in nodes(source).items() if "shape=record" in a}


def clusters(source: str) -> dict[str, set[str]]:
    """Cluster label -> names of the nodes declared in it."""
    out: dict[str, set[str]] = {}
    for block in re.findall(r"subgraph cluster_\d+ \{(.*?)\n\t\}", source, re.DOTALL):
        name = label(block.splitlines()[1])
        out[name] = {n for n, _ in NODE.findall(block)}
    return out


def drawn_count(source: str) -> int:
    """Values drawn on their own plus boxes: every node except operation nodes."""
    return sum(1 for n in nodes(source) if not n.endswith("_op"))


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # also proves the SVG is well-formed XML
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def lecture() -> tuple[Value, dict[str, Value]]:
    """The slide's f = (x + y) * z at x=-2, y=5, z=-4, after backward."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f, {"x": x, "y": y, "z": z, "q": q, "f": f}


# ------------------------------------------------------------- fake modules
class Module:
    """Just enough of nn.Module: named_modules, parameters, one scope per call."""

    activation = ""

    def children(self) -> list[tuple[str, Module]]:
        return []

    def named_modules(self, prefix: str = "") -> Any:
        yield prefix, self
        for name, child in self.children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def parameters(self) -> list[Value]:
        return [p for _, child in self.children() for p in child.parameters()]

    def __call__(self, x: Any) -> Any:
        with scope(self):
            return self.forward(x)

    def forward(self, x: Any) -> Any:
        raise NotImplementedError


class Neuron(Module):
    def __init__(self, nin: int, activation: str, rng: random.Random) -> None:
        self.activation = activation
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(rng.uniform(-0.1, 0.1))

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def forward(self, x: list[Value]) -> Value:
        z = x[0] * self.w[0]
        for xi, wi in zip(x[1:], self.w[1:], strict=True):
            z = z + xi * wi
        z = z + self.b
        return z if self.activation == "linear" else getattr(z, self.activation)()


class Layer(Module):
    def __init__(self, nin: int, nout: int, activation: str, rng: random.Random) -> None:
        self.activation = activation
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def children(self) -> list[tuple[str, Module]]:
        return [(f"neurons.{j}", n) for j, n in enumerate(self.neurons)]

    def forward(self, x: list[Value]) -> list[Value]:
        return [n(x) for n in self.neurons]


class MLP(Module):
    def __init__(self, sizes: list[int], seed: int = 0) -> None:
        rng = random.Random(seed)
        last = len(sizes) - 2
        self.layers = [
            Layer(a, b, "linear" if k == last else "relu", rng)
            for k, (a, b) in enumerate(pairwise(sizes))
        ]

    def children(self) -> list[tuple[str, Module]]:
        return [(f"layers.{k}", layer) for k, layer in enumerate(self.layers)]

    def forward(self, x: list[Value]) -> list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x


def batch_loss(net: MLP, n: int, nin: int = 2, seed: int = 1) -> Value:
    """Mean squared error of ``net`` over n random samples, after backward."""
    rng = random.Random(seed)
    loss = Value(0.0)
    for k in range(n):
        x = [Value(rng.uniform(-1, 1), f"x{k}_{i}") for i in range(nin)]
        loss = loss + (net(x)[0] - rng.choice([0.0, 1.0])) ** 2
    loss = loss * (1.0 / n)
    loss.backward()
    return loss


# ------------------------------------------------------------------- structure
def test_lecture_graph_has_one_record_per_value_and_one_node_per_operation() -> None:
    f, _ = lecture()
    src = draw_graph(f).source
    assert "rankdir=LR" in src
    assert records(src) == {
        "n0": "{x|data -2.0000|grad -4.0000}",
        "n1": "{y|data 5.0000|grad -4.0000}",
        "n2": "{q|data 3.0000|grad -4.0000}",
        "n3": "{z|data -4.0000|grad 3.0000}",
        "n4": "{f|data -12.0000|grad 1.0000}",
    }
    ops = {n: label(a) for n, a in nodes(src).items() if n.endswith("_op")}
    assert ops == {"n2_op": "+", "n4_op": "*"}
    assert sorted(edges(src)) == sorted(
        [
            ("n0", "n2_op"),
            ("n1", "n2_op"),
            ("n2_op", "n2"),
            ("n2", "n4_op"),
            ("n3", "n4_op"),
            ("n4_op", "n4"),
        ]
    )


def test_nodes_are_named_in_walk_order_never_by_id() -> None:
    f, v = lecture()
    src = draw_graph(f).source
    order = toposort(f)
    recs = records(src)
    for i, node in enumerate(order):
        assert recs[f"n{i}"].startswith("{" + node.label + "|")
    assert all(re.fullmatch(r"n\d+(_op)?", n) for n in nodes(src))
    assert str(id(v["x"])) not in src


def test_same_graph_gives_byte_identical_source() -> None:
    first = draw_graph(lecture()[0]).source
    second = draw_graph(lecture()[0]).source
    assert first == second
    net_a, net_b = MLP([2, 3, 1]), MLP([2, 3, 1])
    a = draw_graph(batch_loss(net_a, 2), module=net_a, cluster="neuron").source
    b = draw_graph(batch_loss(net_b, 2), module=net_b, cluster="neuron").source
    assert a == b


def test_a_shared_node_keeps_one_arrow_per_argument() -> None:
    x = Value(3.0, "x")
    y = x * x + x
    src = draw_graph(y).source
    assert edges(src).count(("n0", "n1_op")) == 2  # x * x
    assert ("n0", "n2_op") in edges(src)
    assert len(records(src)) == 3


def test_unlabelled_interior_nodes_show_their_walk_name() -> None:
    a = Value(2.0, "a")
    out = (a * 3.0).tanh()
    recs = records(draw_graph(out).source)
    assert recs["n2"].startswith("{n2|data 6.0000|")


def test_negative_zero_is_printed_as_zero() -> None:
    a = Value(-1e-9, "a")
    src = draw_graph(a * 1.0).source
    assert "-0.0000" not in src
    assert "{a|data 0.0000|" in src


# ---------------------------------------------------------------------- styles
def test_inputs_params_constants_interior_and_output_look_different() -> None:
    x = Value(1.5, "x")
    w = Value(-0.5)  # an unlabelled parameter
    h = (w * x + 2.0).relu()
    out = h * h
    src = draw_graph(out, params=[w]).source
    ns = nodes(src)
    by_label = {label(a).split("|")[0].lstrip("{"): a for a in ns.values()}
    assert 'fillcolor="#dbeafe"' in by_label["x"]  # input
    w_attrs = next(a for a in ns.values() if "data -0.5000" in a)
    assert 'fillcolor="#fde68a"' in w_attrs  # parameter
    const = next(a for n, a in ns.items() if label(a) == "2")
    assert "dashed" in const and "record" not in const and "data" not in const  # constant
    interior = [a for n, a in ns.items() if "shape=record" in a and 'fillcolor="#ffffff"' in a]
    assert interior and all("penwidth=2.5" not in a for a in interior[:-1])
    out_attrs = ns[f"n{len(toposort(out)) - 1}"]
    assert "penwidth=2.5" in out_attrs and 'color="#b91c1c"' in out_attrs  # output
    styles = {
        re.sub(r'label="[^"]*"|label=\S+', "", a)
        for n, a in ns.items()
        if not n.endswith("_op") and n != f"n{len(toposort(out)) - 1}"
    }
    assert len(styles) == 4  # input, parameter, constant, interior: four distinct looks


def test_parameters_come_from_a_module_and_get_their_dotted_names() -> None:
    net = MLP([2, 1])
    out = net([Value(1.0, "a"), Value(2.0, "b")])[0]
    src = draw_graph(out, module=net).source
    params = [a for a in nodes(src).values() if 'fillcolor="#fde68a"' in a]
    assert len(params) == 3  # two weights and a bias


def test_params_must_be_values() -> None:
    with pytest.raises(TypeError, match=r"params\[0\]"):
        draw_graph(Value(1.0), params=[1.0])  # type: ignore[list-item]


def test_constants_show_just_their_number() -> None:
    x = Value(3.0, "x")
    src = draw_graph(x * 0.25).source
    assert nodes(src)["n1"].startswith("label=0.25 ")


def test_odd_labels_are_escaped_in_the_dot_source() -> None:
    x = Value(1.0, "a|b<c>{d}")
    y = Value(2.0, 'say "hi" \\ ok')
    z = Value(3.0, "two\nlines")
    src = draw_graph(x * y + z).source
    recs = records(src)
    assert recs["n0"] == r"{a\|b\<c\>\{d\}|data 1.0000|grad 0.0000}"
    assert recs["n1"] == r"{say \"hi\" \\ ok|data 2.0000|grad 0.0000}"
    assert recs["n3"] == r"{two\nlines|data 3.0000|grad 0.0000}"


@pytest.mark.dot
def test_odd_labels_render_literally_in_the_svg() -> None:
    x = Value(1.0, "a|b<c>{d}")
    y = Value(2.0, 'say "hi" \\ ok')
    z = Value(3.0, "two\nlines")
    w = Value(4.0, "<b>html</b>")
    texts = svg_texts(render_svg(draw_graph(x * y + z * w)))
    for expected in ("a|b<c>{d}", 'say "hi" \\ ok', "two", "lines", "<b>html</b>"):
        assert expected in texts


def test_escape_record_escapes_every_special_character() -> None:
    assert viz_graph.escape_record('{a}|<b>"c"\\d\ne') == r"\{a\}\|\<b\>\"c\"\\d\ne"
    # & too: Graphviz reads entities in any label, so a literal & is written &amp;
    assert viz_graph.escape_record("&lt;b&gt; & co") == "&amp;lt;b&amp;gt; &amp; co"


# ------------------------------------------------- what reaches dot, cleaned
def svg_groups(svg: str) -> dict[str, list[str]]:
    """title of each node / cluster group -> its texts; "" -> the graph's own label."""
    root = ET.fromstring(svg)  # also proves the SVG is well-formed XML
    graph = root.find(f"{SVG}g")
    assert graph is not None
    out = {"": [t.text or "" for t in graph.findall(f"{SVG}text")]}
    for g in graph.iter(f"{SVG}g"):
        if g.get("class") in ("node", "cluster"):
            title = g.find(f"{SVG}title")
            assert title is not None
            out[title.text or ""] = [t.text or "" for t in g.iter(f"{SVG}text")]
    return out


def test_control_characters_and_surrogates_never_reach_dot() -> None:
    nasty = "a\x00b\x1b[31mc\ud800d\udfff\ufffe\x7f\x85e\tf\r\ng"
    x = Value(1.0, nasty)
    with scope(nasty):
        y = x * 2.0
    src = draw_graph(y, cluster=1, title=nasty).source
    assert records(src)["n0"] == r"{ab[31mcde f\ng|data 1.0000|grad 0.0000}"
    assert "cluster_0" in src and 'label="ab[31mcde f\\ng"' in src
    assert 'label="ab[31mcde f\\ng"' in src.split("\n")[1]  # the title, on the graph line
    src.encode("utf-8")  # no lone surrogate left
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", src)


def test_an_entity_in_a_label_is_escaped_so_it_stays_text() -> None:
    src = draw_graph(Value(1.0, "&lt;b&gt;") * 2.0, title="A &amp; B").source
    assert records(src)["n0"] == "{&amp;lt;b&amp;gt;|data 1.0000|grad 0.0000}"
    assert 'label="A &amp;amp; B"' in src


@pytest.mark.dot
def test_an_entity_in_a_label_is_drawn_literally() -> None:
    x = Value(1.0, "&lt;b&gt;")
    with scope("&#38; &amp;"):
        y = x * Value(2.0, "&#0;&#xD800;")
    groups = svg_groups(render_svg(draw_graph(y, cluster=1, title="T &lt;i&gt;")))
    assert groups["n0"][0] == "&lt;b&gt;"
    assert groups["n1"][0] == "&#0;&#xD800;"
    assert groups["cluster_0"][0] == "&#38; &amp;"
    assert groups[""] == ["T &lt;i&gt;"]


def test_long_labels_and_titles_are_clipped() -> None:
    x = Value(1.0, "x" * 500)
    src = draw_graph(x * 2.0, title="T" * 17_000).source
    assert records(src)["n0"] == "{" + "x" * 79 + "…|data 1.0000|grad 0.0000}"
    assert f'label="{"T" * 199}…"' in src
    assert "T" * 200 not in src
    with pytest.raises(TypeError, match="title must be a str"):
        draw_graph(x, title=12345)  # type: ignore[arg-type]


@pytest.mark.dot
def test_a_17000_character_title_renders() -> None:
    # dot refuses a quoted string over 16,384 bytes: the title is clipped first
    groups = svg_groups(render_svg(draw_graph(Value(1.0, "x") * 2.0, title="T" * 17_000)))
    assert groups[""] == ["T" * 199 + "…"]


@pytest.mark.dot
@settings(max_examples=60, deadline=None)
@given(label=TEXT, title=TEXT)
def test_any_text_renders_to_well_formed_svg_that_shows_it_literally(
    label: str, title: str
) -> None:
    assume(label != "")  # an unlabelled leaf is a constant, drawn as its number
    x = Value(1.0, label)
    with scope(label):  # a str tag: the cluster is labelled with the text itself
        y = x * Value(2.0, "y")
    svg = render_svg(draw_graph(y, cluster=1, title=title))
    groups = svg_groups(svg)
    # a record: the label's lines, then "data ..." and "grad ..."
    assert groups["n0"][-2:] == ["data 1.0000", "grad 0.0000"]
    assert words(groups["n0"][:-2]) == shown(label, 80).split()
    assert words(groups["cluster_0"]) == shown(label, 80).split()
    assert words(groups[""]) == shown(title, 200).split()


# -------------------------------------------------------------------- clusters
def test_clusters_one_per_neuron_call_with_module_names_and_activations() -> None:
    net = MLP([2, 3, 1])
    out = net([Value(0.5, "x0"), Value(-1.0, "x1")])[0]
    src = draw_graph(out, module=net, cluster="neuron").source
    found = clusters(src)
    assert set(found) == {
        "layers.0.neurons.0 (relu)",
        "layers.0.neurons.1 (relu)",
        "layers.0.neurons.2 (relu)",
        "layers.1.neurons.0 (linear)",
    }
    # membership: every node in a cluster was made in that neuron's call
    order = toposort(out)
    for name, members in found.items():
        neuron = dict(net.named_modules())[name.split(" ")[0]]
        for member in members:
            node = order[int(member.removesuffix("_op")[1:])]
            assert node.scope[-1] is neuron
    # leaves made outside (inputs, weights) are outside every cluster
    inside = set().union(*found.values())
    assert "n0" not in inside


def test_each_call_of_a_module_gets_its_own_cluster() -> None:
    net = MLP([2, 2, 1])
    loss = batch_loss(net, 2)
    src = draw_graph(loss, module=net, cluster="neuron").source
    found = clusters(src)
    assert len(found) == 2 * 3  # 3 neurons, called once per sample
    assert "layers.0.neurons.1 (relu) [call 1]" in found
    assert "layers.0.neurons.1 (relu) [call 2]" in found
    assert found["layers.0.neurons.1 (relu) [call 1]"].isdisjoint(
        found["layers.0.neurons.1 (relu) [call 2]"]
    )


def test_layer_clusters_gather_the_neuron_calls_of_one_layer_call() -> None:
    net = MLP([2, 3, 1])
    loss = batch_loss(net, 2)
    order = toposort(loss)
    src = draw_graph(loss, module=net, cluster="layer").source
    found = clusters(src)
    assert set(found) == {
        "layers.0 (relu) [call 1]",
        "layers.0 (relu) [call 2]",
        "layers.1 (linear) [call 1]",
        "layers.1 (linear) [call 2]",
    }
    # Per sample, the layer-0 cluster holds the nodes of its three neuron calls and
    # nothing else; the first sample's nodes all come before the second's in the walk.
    first = found["layers.0 (relu) [call 1]"]
    second = found["layers.0 (relu) [call 2]"]
    records_in = lambda names: [int(n[1:]) for n in names if not n.endswith("_op")]  # noqa: E731
    assert max(records_in(first)) < min(records_in(second))
    assert {id(order[i].scope[-1]) for i in records_in(first)} == {
        id(n) for n in net.layers[0].neurons
    }
    assert len(first) == len(second)


def test_cluster_by_depth_and_fallback_names_without_a_module() -> None:
    net = MLP([2, 2, 1])
    out = net([Value(1.0, "a"), Value(2.0, "b")])[0]
    found = clusters(draw_graph(out, cluster=2).source)  # depth 2: the layers
    assert set(found) == {"Layer0 (relu)", "Layer1 (linear)"}


def test_string_tags_cluster_by_their_text() -> None:
    x = Value(2.0, "x")
    with scope("encoder"):
        h = (x * 3.0).tanh()
    with scope("decoder"):
        out = h * h + 1.0
    found = clusters(draw_graph(out, cluster="encoder").source)
    assert list(found) == ["encoder"]


def test_a_cluster_name_that_matches_nothing_is_an_error() -> None:
    net = MLP([2, 1])
    out = net([Value(1.0, "a"), Value(2.0, "b")])[0]
    with pytest.raises(ValueError, match=r"nueron.*found: 'neuron', 'layer', 'mlp'"):
        draw_graph(out, cluster="nueron")
    with pytest.raises(ValueError, match=r"depth must be 1\.\.3"):
        draw_graph(out, cluster=4)
    # a plain expression has no modules: clustering it simply draws no clusters
    assert clusters(draw_graph(lecture()[0], cluster="neuron").source) == {}


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="must be a Value"):
        draw_graph(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(Value(1.0), max_nodes=0)
    with pytest.raises(TypeError, match="collapse"):
        draw_graph(Value(1.0), collapse=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(Value(1.0), rankdir="up")


# ------------------------------------------------------------------ big graphs
def test_a_graph_over_the_limit_collapses_to_one_box_per_neuron_call() -> None:
    net = MLP([2, 16, 16, 1])
    loss = batch_loss(net, 1)
    total = len(toposort(loss))
    assert total > DEFAULT_MAX_NODES
    src = draw_graph(loss, module=net).source
    boxes = {n: label(a) for n, a in nodes(src).items() if "shape=Mrecord" in a}
    assert len(boxes) == 33  # 16 + 16 + 1 neuron calls
    assert f"{total:,} nodes > max_nodes={DEFAULT_MAX_NODES}: one box per module call" in src
    first = boxes["b0"]
    assert first.startswith("{layers.0.neurons.0 (relu)|")
    # x0 * w0 + x1 * w1 + b, then relu: 5 operations reading x0, x1, w0, w1, b
    assert "|5 ops · 5 leaf inputs (3 params)|data " in first
    assert re.search(r"\|data -?\d+\.\d{4}\|grad -?\d+\.\d{4}\}$", first)
    # the inputs stay visible and feed the first layer's boxes
    recs = records(src)
    inputs = [n for n, text in recs.items() if text.startswith("{x0_")]
    assert len(inputs) == 2
    assert (inputs[0], "b0") in edges(src)
    # layer 1 reads all of layer 0: an edge from every layer-0 box to every layer-1 box
    by_name = {text[1:].split(" (")[0]: n for n, text in boxes.items()}
    box_edges = set(edges(src))
    for i in range(16):
        for j in range(16):
            pair = (by_name[f"layers.0.neurons.{i}"], by_name[f"layers.1.neurons.{j}"])
            assert pair in box_edges
    assert drawn_count(src) <= DEFAULT_MAX_NODES


def make_big() -> tuple[MLP, Value]:
    net = MLP([2, 16, 16, 1])
    return net, batch_loss(net, 200)


@pytest.fixture(scope="module")
def big() -> tuple[MLP, Value]:
    """The loss of a 2-16-16-1 MLP over 200 samples: about 130,000 nodes."""
    return make_big()


def test_the_200_sample_loss_of_a_2_16_16_1_mlp_draws_collapsed(
    big: tuple[MLP, Value],
) -> None:
    net, loss = big
    total = len(toposort(loss))
    assert total > 120_000
    g = draw_graph(loss, module=net)
    src = g.source
    assert drawn_count(src) <= DEFAULT_MAX_NODES
    boxes = [label(a) for a in nodes(src).values() if "shape=Mrecord" in a]
    assert any(b.startswith("{MLP (200 calls merged)|") for b in boxes)
    assert any("337 params" in b for b in boxes)  # 2*16+16 + 16*16+16 + 16+1
    assert f"{total:,} nodes > max_nodes={DEFAULT_MAX_NODES}" in src
    # the output keeps its own record with its value and gradient
    assert f"data {loss.data:.4f}|grad 1.0000" in src


@pytest.mark.dot
def test_the_collapsed_200_sample_loss_renders_with_dot(
    big: tuple[MLP, Value], tmp_path: Path
) -> None:
    net, loss = big
    path = save_svg(draw_graph(loss, module=net), tmp_path / "loss.svg")
    assert any("200 calls merged" in t for t in svg_texts(path.read_text(encoding="utf-8")))


def test_explicit_layer_collapse_on_the_big_graph(big: tuple[MLP, Value]) -> None:
    net, loss = big
    src = draw_graph(loss, module=net, collapse="layer", max_nodes=2000).source
    boxes = [label(a) for a in nodes(src).values() if "shape=Mrecord" in a]
    assert len(boxes) == 3 * 200  # one per layer call
    assert sum(b.startswith("{layers.1 (relu) [call ") for b in boxes) == 200
    with pytest.raises(ValueError, match="collapse='layer' still draws"):
        draw_graph(loss, module=net, collapse="layer")


def test_no_collapse_over_the_limit_says_how_to_collapse(big: tuple[MLP, Value]) -> None:
    _, loss = big
    with pytest.raises(ValueError, match=r"more than max_nodes=500.*collapse='auto'"):
        draw_graph(loss, collapse=None)


def test_a_long_chain_without_modules_collapses_without_recursion() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    src = draw_graph(y).source
    assert drawn_count(src) <= DEFAULT_MAX_NODES
    assert "one for everything outside modules" in src
    # all but the output (its own record) in one box, which reads x and 99,999 constants
    assert "|99,999 ops · 100,000 leaf inputs|" in src


def test_explicit_collapse_without_modules_draws_every_node_and_no_note() -> None:
    f, _ = lecture()
    src = draw_graph(f, collapse="layer").source
    assert len(records(src)) == 5 and "max_nodes" not in src and "label=" not in src.split("\n")[1]


@settings(max_examples=40, deadline=None)
@given(
    n_samples=st.integers(1, 4),
    hidden=st.integers(1, 4),
    max_nodes=st.integers(1, 120),
    collapse=st.sampled_from(["auto", None, "neuron", "layer", "summary", 1]),
)
def test_a_drawing_never_exceeds_max_nodes(
    n_samples: int, hidden: int, max_nodes: int, collapse: Any
) -> None:
    net = MLP([2, hidden, 1])
    loss = batch_loss(net, n_samples)
    try:
        src = draw_graph(loss, module=net, collapse=collapse, max_nodes=max_nodes).source
    except ValueError as err:
        assert "max_nodes" in str(err)
        return
    assert drawn_count(src) <= max_nodes


# ---------------------------------------------------------------- rendering
@pytest.mark.dot
def test_save_svg_writes_a_parseable_file_atomically(tmp_path: Path) -> None:
    f, _ = lecture()
    path = save_svg(draw_graph(f), tmp_path / "f.svg")
    assert path == tmp_path / "f.svg"
    texts = svg_texts(path.read_text(encoding="utf-8"))
    assert "data -12.0000" in texts and "grad 3.0000" in texts
    assert [p.name for p in tmp_path.iterdir()] == ["f.svg"]  # no temporary file left
    # overwriting replaces the file in one step
    save_svg(draw_graph(f, title="again"), path)
    assert "again" in svg_texts(path.read_text(encoding="utf-8"))


@pytest.mark.dot
def test_clustered_and_collapsed_drawings_render(tmp_path: Path) -> None:
    net = MLP([2, 3, 2, 1])
    loss = batch_loss(net, 2)
    for kwargs in (
        {"cluster": "neuron"},
        {"cluster": "layer", "collapse": "neuron"},
        {"collapse": "summary"},
    ):
        svg = render_svg(draw_graph(loss, module=net, **kwargs))
        assert svg_texts(svg)


def test_save_svg_into_a_missing_directory_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_svg(draw_graph(lecture()[0]), tmp_path / "no" / "f.svg")


def test_missing_dot_raises_dot_not_found_with_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(viz_graph.shutil, "which", lambda name: None)
    with pytest.raises(DotNotFoundError, match="install Graphviz"):
        save_svg(draw_graph(lecture()[0]), tmp_path / "f.svg")
    assert not list(tmp_path.iterdir())


def test_a_dot_that_runs_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: Any, **kwargs: Any) -> Any:
        raise subprocess.TimeoutExpired(cmd="dot", timeout=kwargs["timeout"])

    monkeypatch.setattr(viz_graph.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(viz_graph.subprocess, "run", slow)
    with pytest.raises(TimeoutError, match="did not finish within 3 s"):
        render_svg(draw_graph(lecture()[0]), timeout=3)


def test_digraph_shows_itself_in_jupyter() -> None:
    g = draw_graph(lecture()[0])
    assert hasattr(g, "_repr_mimebundle_")


def test_importing_viz_does_not_import_graphviz_or_matplotlib() -> None:
    code = "import sys, viz; print('graphviz' in sys.modules, 'matplotlib' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False"]


# -------------------------------------------------------------- the real nn
def test_the_real_nn_mlp_draws_one_cluster_per_neuron() -> None:
    net = nn.MLP(2, [3, 1], seed=0)
    out = net([0.5, -1.0])[0]
    src = draw_graph(out, module=net, cluster="neuron").source
    neurons = {name for name, m in net.named_modules() if type(m).__name__ == "Neuron"}
    assert neurons == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.0.neurons.2"} | {
        "layers.1.neurons.0"
    }
    assert set(clusters(src)) == {f"{name} (relu)" for name in neurons if name[7] == "0"} | {
        "layers.1.neurons.0 (linear)"
    }
    params = [a for a in nodes(src).values() if 'fillcolor="#fde68a"' in a]
    assert len(params) == len(net.parameters()) == 3 * 3 + 4
    # a parameter's record shows its dotted name (before its label "w2"), its value and,
    # before any backward, grad 0
    w = net.layers[1].neurons[0].w[2]
    assert w.label == "w2"
    expected = f"{{layers.1.neurons.0.w.2|data {w.data:.4f}|grad 0.0000}}"
    assert list(records(src).values()).count(expected) == 1


class _Twice(nn.Module):
    """A module that calls the same child twice per call: h = n(n(x))."""

    def __init__(self) -> None:
        self.inner = nn.Neuron(1, "tanh", weights=[0.5], bias=0.1)

    def forward(self, x: Value) -> Value:
        return self.inner([self.inner([x])])


def test_a_module_calling_the_same_child_twice_is_drawn_with_two_clusters() -> None:
    block = _Twice()
    x = Value(0.3, "x")
    out = block(x)
    out.backward()
    found = clusters(draw_graph(out, module=block, cluster="neuron").source)
    # one cluster per call of the neuron, each holding that call's own mul, add, tanh
    assert sorted(found) == ["inner (tanh) [call 1]", "inner (tanh) [call 2]"]
    first, second = ({n for n in found[k] if not n.endswith("_op")} for k in sorted(found))
    assert len(first) == len(second) == 3 and not first & second  # mul, add, tanh each
    # the outer module ran once: one cluster holding both calls of its child (a rebuild
    # from tags alone took the second call of the child for a second call of the parent)
    outer = clusters(draw_graph(out, module=block, cluster=1).source)
    assert list(outer) == ["_Twice"] and outer["_Twice"] >= first | second
    # and the records are exact: both calls of the neuron were made in the one call of block
    order = toposort(out)
    calls = {node.call for node in order if node.call is not None and node.call.tag is block.inner}
    assert len(calls) == 2 and all(c.parent.tag is block for c in calls)
    assert len({c.parent for c in calls}) == 1  # both made inside the one call of block
