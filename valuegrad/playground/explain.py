"""The computation graph of one input's loss at the current weights, as one HTML document.

Clicking a point in the playground opens this: the per-sample cross-entropy loss of the
input (x1, x2) with its label, built by the eager engine on a copy of the network's
current weights, backpropagated, and shown three ways:

* the numbers: the input, the class probabilities, the loss, and the gradients with
  respect to the two inputs and to the parameters this sample pulls on hardest (one
  SGD step on this sample alone would move each parameter by -lr times its gradient:
  that is how the point moves the boundary);
* the backward explorer (``viz.explore``): the graph as ``viz.draw_graph`` draws it,
  one box per neuron that opens on a click, and the forward pass then the chain rule
  stepped through edge by edge, with every node's value and gradient.

``explain`` is the one place that builds this page, so the endpoint and the page do not
change when the drawing does.
"""

from __future__ import annotations

import html

import numpy as np

from autograd import Value
from nn import MLP, predict_proba
from nn.losses import cross_entropy
from viz import DotNotFoundError
from viz.explore import assets, explore

__all__ = ["CLASS_NAMES", "explain"]

CLASS_NAMES = ("orange (0)", "blue (1)")
"""The two classes as the page colours them."""

_STYLE = """
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 12px 16px; }
h1 { font-size: 17px; margin: 0 0 6px; } h2 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; } td, th { padding: 2px 10px 2px 0; text-align: left; }
td.num { font-family: Menlo, Consolas, monospace; text-align: right; }
.c0 { color: #c2670b; font-weight: bold; } .c1 { color: #0877bd; font-weight: bold; }
body { --vg-height: 75vh; }
.note { color: #555; }
"""


def _num(v: float) -> str:
    return format(v, ".6g")


def explain(model: MLP, x: float, y: float, label: int, *, epoch: int | None = None) -> str:
    """A self-contained HTML page: the graph of ``cross_entropy(model([x, y]), label)``.

    ``model`` is used as it is (its gradients are overwritten): pass a copy of a model
    that is being trained elsewhere.
    """
    if label not in (0, 1):
        raise ValueError(f"label must be 0 or 1, got {label!r}")
    for p in model.parameters():
        p.grad = 0.0
    x1, x2 = Value(float(x), "x1"), Value(float(y), "x2")
    logits = model([x1, x2])
    loss = cross_entropy(logits, label)
    loss.label = "loss"
    loss.backward()
    probs = predict_proba(model, np.array([[float(x), float(y)]]))[0].tolist()
    names = dict(model.named_parameters())
    pulls = sorted(names.items(), key=lambda kv: -abs(kv[1].grad))[:8]

    title = f"loss of the point ({_num(x)}, {_num(y)}), class {CLASS_NAMES[label]}"
    if epoch is not None:
        title += f", at epoch {epoch}"
    try:
        explorer = explore(loss, module=model, title=title)
        graph_html = f'<div data-testid="explain-graph">{explorer.fragment()}</div>'
    except (DotNotFoundError, TimeoutError, OSError) as err:
        graph_html = (
            f'<p class="note" data-testid="explain-graph">No drawing: {html.escape(str(err))}</p>'
        )

    def row(name: str, value: float, testid: str = "") -> str:
        attr = f' data-testid="{testid}" data-value="{value!r}"' if testid else ""
        return f"<tr><th>{html.escape(name)}</th><td class=num{attr}>{_num(value)}</td></tr>"

    pull_rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td class=num>{_num(p.data)}</td>"
        f"<td class=num>{_num(p.grad)}</td></tr>"
        for n, p in pulls
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>{_STYLE}</style>{assets()}</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">The per-sample loss <code>cross_entropy(net([x1, x2]), label)</code>, built by the
eager engine at the current weights and backpropagated. Each gradient says how the loss of
this one point changes with that number; a gradient step on this point alone moves every
parameter by &minus;lr &times; its gradient, which is how it pulls the decision boundary.</p>
<table>
{row("x1", float(x), "explain-x")}
{row("x2", float(y), "explain-y")}
<tr><th>label</th><td class="c{label}" data-testid="explain-label"
  data-value="{label}">{CLASS_NAMES[label]}</td></tr>
{row("p(orange)", probs[0])}
{row("p(blue)", probs[1])}
{row("loss", loss.data, "explain-loss")}
{row("dloss/dx1", x1.grad, "explain-dx")}
{row("dloss/dx2", x2.grad, "explain-dy")}
</table>
<h2>The parameters this point pulls on hardest</h2>
<table><tr><th>parameter</th><th>value</th><th>dloss/dparameter</th></tr>{pull_rows}</table>
<h2>The computation graph: step through the forward pass and the chain rule</h2>
{graph_html}
</body></html>
"""
