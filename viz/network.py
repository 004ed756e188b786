"""Network diagrams: the lecture's picture of an MLP, drawn from the network itself.

Inputs, hidden layers and outputs are columns of neurons (left to right), each headed by
its role and activation (``hidden 1: relu``). On a small network every weight is an edge
label and every bias sits in its neuron, as on the slides; on a bigger one the labels
would be unreadable, so a weight becomes the edge's width (proportional to ``|w|``) and
colour (blue positive, red negative), as in the TensorFlow Playground, and its value
is the edge's tooltip in the SVG.

The network is read by duck typing (see ARCHITECTURE.md), so ``nn.MLP`` (and
micrograd's MLP) work without ``viz`` importing ``nn``: ``mlp.layers``, each layer's
``.neurons``, each neuron's ``.w`` (Values or numbers) and ``.b``; the activation name
from ``layer.activation`` or ``neuron.activation`` (or micrograd's ``neuron.nonlin``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from viz._dot import FONT, MAX_LABEL, MAX_TITLE, clean, escape_text, label, text_label

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

__all__ = ["LABEL_EDGES", "draw_network"]

# Up to this many weights, draw them as edge labels (the lecture's 2-3-2 net has 12;
# past about 40, labels overlap each other and the edges).
LABEL_EDGES = 40

_POSITIVE = "#2166ac"  # blue
_NEGATIVE = "#b2182b"  # red
_ZERO = "#9ca3af"  # grey
_FILL = {"input": "#dbeafe", "hidden": "#f3f4f6", "output": "#fee2e2"}


def _number(x: Any, what: str) -> float:
    data = getattr(x, "data", x)
    try:
        return float(data)
    except (TypeError, ValueError):
        raise TypeError(f"draw_network: {what} must be a Value or a number, got {x!r}") from None


def _activation_name(obj: Any) -> str:
    act = getattr(obj, "activation", None)
    if isinstance(act, str):
        return act
    name = getattr(act, "__name__", None)
    if isinstance(name, str):
        return name
    nonlin = getattr(obj, "nonlin", None)  # micrograd's Neuron: relu or linear
    if isinstance(nonlin, bool):
        return "relu" if nonlin else "linear"
    return ""


def _layers(mlp: Any) -> list[list[tuple[list[float], list[Any], float, str]]]:
    """Per layer, per neuron: (weights, weight objects, bias, activation)."""
    layers = getattr(mlp, "layers", None)
    if layers is None:
        raise TypeError(f"draw_network: expected an MLP with .layers, got {type(mlp).__name__}")
    out = []
    for li, layer in enumerate(layers):
        neurons = getattr(layer, "neurons", None)
        if not neurons:
            raise TypeError(f"draw_network: layers[{li}] has no .neurons")
        layer_act = _activation_name(layer)
        rows = []
        for j, neuron in enumerate(neurons):
            where = f"layers[{li}].neurons[{j}]"
            w = list(getattr(neuron, "w", None) or [])
            if not w:
                raise TypeError(f"draw_network: {where} has no weights .w")
            weights = [_number(wi, f"{where}.w[{i}]") for i, wi in enumerate(w)]
            bias = _number(getattr(neuron, "b", 0.0), f"{where}.b")
            act = clean(layer_act or _activation_name(neuron), MAX_LABEL)
            rows.append((weights, w, bias, act))
        out.append(rows)
    for li in range(1, len(out)):
        expected = len(out[li - 1])
        for j, (weights, *_) in enumerate(out[li]):
            if len(weights) != expected:
                raise ValueError(
                    f"draw_network: layers[{li}].neurons[{j}] has {len(weights)} weights but "
                    f"layers[{li - 1}] has {expected} neurons"
                )
    return out


def _names(given: Sequence[str] | None, n: int, prefix: str, what: str) -> list[str]:
    if given is None:
        return [f"{prefix}{i}" for i in range(n)]
    names = [clean(str(x), MAX_LABEL) for x in given]
    if len(names) != n:
        raise ValueError(f"draw_network: {what} has {len(names)} names for {n} neurons")
    return names


def draw_network(
    mlp: Any,
    *,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    labels: bool | None = None,
    grads: bool = False,
    title: str | None = None,
    rankdir: str = "LR",
) -> graphviz.Digraph:
    """Draw ``mlp`` as columns of neurons joined by its weights.

    ``labels``: True writes every weight on its edge (``%.2f``) and every bias in its
    neuron; False draws weights as width and colour; None (default) chooses labels for
    networks with at most :data:`LABEL_EDGES` weights. ``grads=True`` adds each
    weight's gradient to its label and tooltip (after a ``backward``). The output is
    deterministic (nodes ``x<i>``, ``l<layer>n<j>``, in order).
    """
    import graphviz

    layers = _layers(mlp)
    nin = len(layers[0][0][0])
    n_edges = sum(len(row[0]) for layer in layers for row in layer)
    if labels is None:
        labels = n_edges <= LABEL_EDGES
    biggest = max((abs(w) for layer in layers for row in layer for w in row[0]), default=0.0)

    if title is not None and not isinstance(title, str):
        raise TypeError(f"draw_network: title must be a str or None, got {title!r}")
    sizes = "-".join(str(n) for n in [nin, *(len(layer) for layer in layers)])
    notes = [clean(title or f"{type(mlp).__name__} {sizes}", MAX_TITLE)]
    if not labels:
        notes.append("weights: width ∝ |w|, blue > 0, red < 0 (hover for values)")
    g = graphviz.Digraph(
        name="network",
        graph_attr={
            "rankdir": rankdir,
            "ranksep": "1.4" if labels else "1.0",
            "nodesep": "0.5" if labels else "0.25",
            "label": label(escape_text("\n".join(notes))),
            "labelloc": "t",
            "splines": "line",
            **FONT,
        },
        node_attr={"shape": "circle", "style": "filled", "fixedsize": "false", **FONT},
        edge_attr={"arrowsize": "0.5", **FONT},
    )

    # Columns: per layer a header and its neurons, as nodes of one rank=same subgraph.
    # Invisible edges header -> n0 -> n1 -> ... inside the rank fix their order top to
    # bottom (dot would otherwise rotate a column to save crossings).
    inputs = _names(input_names, nin, "x", "input_names")
    columns: list[list[str]] = [[f"x{i}" for i in range(nin)]]
    column_nodes = [
        [
            (node_id, name, {"fillcolor": _FILL["input"]})
            for node_id, name in zip(columns[0], inputs, strict=True)
        ]
    ]
    headers = ["input"]
    for li, layer in enumerate(layers, start=1):
        last = li == len(layers)
        acts = {row[3] for row in layer}
        act = acts.pop() if len(acts) == 1 else "mixed"
        role = "output" if last else f"hidden {li}"
        headers.append(f"{role}: {act}" if act else role)
        names = (
            _names(output_names, len(layer), "y", "output_names")
            if last
            else [f"h{li}.{j}" for j in range(len(layer))]
        )
        ids = [f"l{li}n{j}" for j in range(len(layer))]
        columns.append(ids)
        nodes = []
        for node_id, name, (_, _, bias, neuron_act) in zip(ids, names, layer, strict=True):
            text = f"{name}\n{neuron_act}" if neuron_act else name
            if labels:
                text += f"\nb={bias:.2f}"
            attrs = {
                "fillcolor": _FILL["output" if last else "hidden"],
                "tooltip": escape_text(f"{name}: bias {bias:.4f}"),
            }
            nodes.append((node_id, text, attrs))
        column_nodes.append(nodes)
    for k, (header, nodes) in enumerate(zip(headers, column_nodes, strict=True)):
        with g.subgraph(name=f"column{k}") as sub:
            sub.attr(rank="same")
            sub.node(f"header{k}", text_label(header, 2 * MAX_LABEL), shape="plaintext", style="")
            for node_id, text, attrs in nodes:
                sub.node(node_id, label(escape_text(text)), **attrs)
            chain = [f"header{k}", *(node_id for node_id, _, _ in nodes)]
            for upper, lower in pairwise(chain):
                sub.edge(upper, lower, style="invis")

    for li, layer in enumerate(layers, start=1):
        for j, (weights, objects, _, _) in enumerate(layer):
            dst = columns[li][j]
            for i, w in enumerate(weights):
                src = columns[li - 1][i]
                grad = getattr(objects[i], "grad", None)
                tip = f"w={w:.4f}" + (f", grad={grad:.4f}" if grads and grad is not None else "")
                colour = _POSITIVE if w > 0 else _NEGATIVE if w < 0 else _ZERO
                attrs = {"tooltip": escape_text(tip)}
                if labels:
                    text = f"{w:.2f}"
                    if grads and grad is not None:
                        text += f"\n∇ {grad:.4f}"
                    # Near the head, beside its own edge: unambiguous where edges converge.
                    attrs.update(
                        headlabel=escape_text(text),
                        labeldistance="3.5",
                        labelangle="20",
                        color=colour,
                        fontcolor=colour,
                    )
                else:
                    # TensorFlow Playground style: width and opacity grow with |w|.
                    share = abs(w) / biggest if biggest > 0 else 0.0
                    alpha = round(255 * (0.25 + 0.75 * share))
                    attrs.update(
                        penwidth=f"{0.3 + 3.7 * share:.2f}",
                        color=f"{colour}{alpha:02x}",
                        arrowhead="none",
                    )
                g.edge(src, dst, **attrs)
    return g
