"""The backward explorer: step through the chain rule node by node, in a browser or Jupyter.

:func:`explore` draws a graph as :func:`viz.draw_graph` draws it (same layout, same DOT
node names ``n<i>``, ``n<i>_op``, ``b<k>``) and turns the engine's own walk into steps
that a page plays back:

* **forward**: one step per node in the engine's topological order
  (:func:`autograd.toposort`): the node's ``data`` appears;
* **backward**: the seed step (d out/d out = 1), then one step per edge in the order
  ``backward`` visits them (the steps of :func:`viz.trace`): the parent's gradient
  grows by upstream gradient times local derivative. Edges into *constants* (the ``2``
  of ``2 * x``) are left out, as :meth:`viz.Trace.text` leaves them out: a constant's
  gradient is never shown, so its ``grad`` stays ``null`` in the page's ``state()``.

Every number in the page comes from :func:`viz.trace` (which equals ``backward`` bit for
bit) and every chain-rule line is the line :meth:`viz.Trace.text` prints; the script
only shows them. The page is one self-contained HTML document: the SVG rendered by
Graphviz ``dot`` here, the script ``viz/static/explorer.js`` and the style
``viz/static/explorer.css`` are inlined, and nothing is fetched from anywhere.

Step numbering (the page's ``state()``): ``step`` is how many steps have been applied,
from 0 (nothing computed) to ``steps`` (phase ``"done"``). Steps 1..N (N nodes) are the
forward phase, step N+1 is the seed and the rest are the edges. Clicking a node jumps
to the step that completes its gradient (its last contribution; the seed for the
output; its forward step for a constant).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograd import Value
from autograd.syntax import as_atom as _wrap
from autograd.syntax import render_formula
from viz._dot import factor, fixed4, number
from viz.graph import DEFAULT_MAX_NODES, GraphModel, draw_model, render_svg
from viz.trace import Step, Trace, trace

__all__ = ["DEFAULT_MAX_VALUES", "Explorer", "assets", "explore"]

DEFAULT_MAX_VALUES = 20_000
"""The most Values :func:`explore` accepts: each becomes one forward step and each of its
edges one backward step, and the page carries every one of them (a few hundred bytes
each, so 20,000 Values make a page of a few megabytes)."""

# Clusters start open when the graph has at most this many Values (the first network's
# loss has 57 and is best read whole), closed above it (the second network's 346).
_EXPAND_LIMIT = 100

# The most nodes a neighbourhood drawing (see explore) holds by default. Far fewer than
# draw_graph's max_nodes: a raw graph's leaves are often read all along it (x in a long
# recurrence), and dot's edge-crossing pass slows down sharply with such long edges.
# Measured with dot 2.43 on the 2-core machine, for a recurrence that reads x at every
# other step: 60 drawn nodes 0.17 s, 80 nodes 0.35 s, 100 nodes 0.7 s, 150 nodes 10 s.
_NEIGHBOURHOOD_NODES = 80

# How many leaves the "largest |grad|" table lists.
_LEAVES_SHOWN = 20

_STATIC = Path(__file__).resolve().parent / "static"


# --------------------------------------------------------------------- formulas
# Both come from the primitive table (autograd.ops): the trace renders each step's local
# derivative, and a node's forward formula is its primitive's, with names put in.
def _local_formula(step: Step) -> str:
    """The local derivative of ``step`` in symbols ("z" for ∂(q*z)/∂q), "" if unknown."""
    return step.formula


def _forward_formula(node: Value, args: list[str]) -> str:
    """The forward formula of ``node``'s primitive with ``args`` for its inputs, in the
    slides' notation (``"q·z"``); "" for a leaf or a primitive without a formula."""
    prim = node.primitive
    if prim is None or not prim.formula:
        return ""
    return render_formula(prim.formula, dict(zip(prim.inputs, args, strict=True)), style="math")


# ------------------------------------------------------------------- the Explorer
class Explorer:
    """The backward explorer of one graph: ``.html``, ``.save(path)``, ``_repr_html_()``.

    Made by :func:`explore`. ``trace`` is the walk it plays, ``svg`` the drawing, and
    ``steps`` the number of steps of the page's walk.
    """

    def __init__(self, tr: Trace, svg: str, payload: dict[str, Any], title: str) -> None:
        self.trace = tr
        self.svg = svg
        self.title = title
        self._payload = payload
        self._json = _script_json(payload)

    @property
    def steps(self) -> int:
        """How many steps the page walks (``state().steps``)."""
        return len(self._payload["steps"])

    def data(self) -> dict[str, Any]:
        """The page's data as plain Python (nodes, steps, clusters), for tests and tools."""
        return json.loads(self._json)

    def fragment(self) -> str:
        """The explorer as an HTML fragment, to embed in a page that also holds :func:`assets`."""
        n = self.steps
        return _FRAGMENT.format(
            steps=n,
            title=html.escape(self.title),
            svg=self.svg,
            note=html.escape(self._payload["note"]),
            data=self._json,
        )

    @property
    def html(self) -> str:
        """One self-contained HTML document: inline SVG, script and style, nothing fetched."""
        return (
            "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(self.title)}</title>"
            "<style>body{margin:8px;--vg-height:calc(100vh - 18px)}</style>"
            f"{assets()}</head><body>\n{self.fragment()}\n</body></html>\n"
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write :attr:`html` to ``path`` as every file is written (``nn.files``: a regular
        file replaced atomically, a device or FIFO written directly); returns the path."""
        from nn.files import write_text  # nn, the lowest layer that writes files

        return write_text(path, self.html)

    def _repr_html_(self) -> str:
        """The page in an ``<iframe srcdoc=...>``, for Jupyter.

        The whole document sits in the ``srcdoc`` attribute, so the output is
        self-contained and interactive in JupyterLab, the classic Notebook and VS Code
        without any widget manager or kernel extension, and it is saved with the
        notebook: it shows again when the notebook is reopened and trusted (Jupyter
        shows untrusted HTML output without its script, as it does for any output).
        The iframe runs the page's script in a sandbox (``allow-scripts``, no access
        to the notebook itself).
        """
        return (
            f'<iframe class="valuegrad-explorer" title="{html.escape(self.title, quote=True)}" '
            'sandbox="allow-scripts" style="width:100%;height:640px;border:1px solid #d1d5db;'
            f'border-radius:6px" srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Explorer({self.trace.output!r}: {len(self.trace.names)} nodes, {self.steps} steps)"


# ---------------------------------------------------------------- page assets
@lru_cache(maxsize=2)  # the script and the style
def _static(name: str) -> str:
    text = (_STATIC / name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        raise RuntimeError(f"viz/static/{name} must not contain a closing script or style tag")
    return text


def assets() -> str:
    """The explorer's ``<style>`` and ``<script>``, once per page that embeds fragments.

    The script waits for the document to be parsed and then starts every explorer on
    the page, so it may stand anywhere (and twice does no harm).
    """
    return f"<style>{_static('explorer.css')}</style><script>{_static('explorer.js')}</script>"


def script_source_hash() -> str:
    """The explorer script's Content-Security-Policy source, ``'sha256-...'``.

    A server that sends a strict policy with a page built from :func:`assets` allows
    exactly this inline script with ``script-src`` and this value, and nothing else.
    """
    digest = hashlib.sha256(_static("explorer.js").encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


_FRAGMENT = """<div class="vg-explorer" tabindex="0" role="application" \
aria-label="backward explorer: {title}">
<div class="vg-toolbar">
<button type="button" data-testid="reset" title="back to step 0 (Home)">&#x21BA; reset</button>
<button type="button" data-testid="prev" title="previous step (&#x2190;)">&#x25C0; prev</button>
<button type="button" data-testid="play" title="play or pause (space)">&#x25B6; play</button>
<button type="button" data-testid="next" title="next step (&#x2192;)">next &#x25B6;</button>
<label title="steps per second while playing">speed <select data-testid="speed">\
<option value="1">1/s</option><option value="2" selected>2/s</option>\
<option value="4">4/s</option><option value="8">8/s</option><option value="16">16/s</option>\
<option value="60">60/s</option></select></label>
<input type="range" data-testid="slider" min="0" max="{steps}" value="0" step="1" \
aria-label="step">
<span class="vg-counter" data-testid="counter">step 0 of {steps}</span>
<span class="vg-view">
<button type="button" data-testid="zoom-in" title="zoom in (or the mouse wheel)">+</button>
<button type="button" data-testid="zoom-out" title="zoom out">&#x2212;</button>
<button type="button" data-testid="fit" title="fit the whole graph">fit</button>
<button type="button" data-testid="expand-all" title="open every box">expand all</button>
<button type="button" data-testid="collapse-all" title="close every box">collapse all</button>
</span>
</div>
<div class="vg-main">
<div class="vg-graph" data-testid="graph">{svg}</div>
<div class="vg-panel">
<div class="vg-title">{title}</div>
<div class="vg-phase" data-testid="phase"></div>
<pre class="vg-line" data-testid="panel"></pre>
<div class="vg-formula" data-testid="formula"></div>
<div class="vg-details" data-testid="details"></div>
<details class="vg-leaves" data-testid="leaves"><summary>leaves, largest final |grad| \
first</summary><table></table></details>
<p class="vg-note">{note}</p>
</div>
</div>
<script type="application/json" class="vg-data">{data}</script>
</div>"""


def _script_json(payload: dict[str, Any]) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` left to close it."""
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        bad = next(
            (n["label"] for n in payload["nodes"] if not _finite(n["data"])), "a node"
        )  # only data can be non-finite: trace already refuses non-finite gradients
        raise ValueError(
            f"explore: {bad} has a non-finite value; the explorer shows finite numbers only"
        ) from None
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(x: float) -> bool:
    return x == x and x not in (float("inf"), float("-inf"))


# ------------------------------------------------------------------- the SVG
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _inline_svg(svg: str) -> str:
    """Graphviz's SVG file made fit for inlining: no XML prolog, DOCTYPE or comments."""
    return _COMMENT.sub("", _PROLOG.sub("", svg, count=1)).strip()


_SUBGRAPH = re.compile(r"^\s*subgraph (\w+) \{")
_STATEMENT = re.compile(r"^\s*(\w+) \[")


def _cluster_members(body: list[str]) -> dict[str, list[str]]:
    """Cluster name -> the DOT names of the nodes declared in it, read from the source."""
    members: dict[str, list[str]] = {}
    stack: list[str] = []
    for line in body:
        m = _SUBGRAPH.match(line)
        if m:
            stack.append(m.group(1))
            members.setdefault(m.group(1), [])
        elif line.strip() == "}":
            if stack:
                stack.pop()
        elif stack:
            s = _STATEMENT.match(line)
            if s and s.group(1) not in ("graph", "node", "edge"):
                members[stack[-1]].append(s.group(1))
    return {name: names for name, names in members.items() if name.startswith("cluster")}


# ------------------------------------------------------------------ the steps
def _text_lines(tr: Trace) -> tuple[str, list[list[str]]]:
    """The seed line and, per non-constant step, its lines of :meth:`Trace.text`.

    The text is ``Trace.text()`` itself, cut into its lines: the seed, one line per
    step that reaches a non-constant, and after the last of several contributions one
    more line with their sum. Line breaks inside names are replaced by spaces first so
    that one step is one line.
    """

    def flat(text: str) -> str:
        return text.replace("\r", " ").replace("\n", " ")

    clean = replace(
        tr,
        output=flat(tr.output),
        steps=tuple(
            replace(s, node=flat(s.node), parent=flat(s.parent), formula=flat(s.formula))
            for s in tr.steps
        ),
    )
    lines = clean.text().split("\n")
    seed, k = lines[1], 2
    out: list[list[str]] = []
    for s in tr.steps:
        if s.constant:
            continue
        n = 2 if s.count > 1 and s.index == s.count else 1
        out.append(lines[k : k + n])
        k += n
    if k != len(lines):
        raise RuntimeError(f"explore: Trace.text() has {len(lines)} lines, expected {k}")
    return seed, out


# A sum of more contributions than this is shown with its middle terms left out.
_SUM_TERMS = 8


def _short_sum(line: str, contributions: list[float], total: float) -> str:
    """The line ``d/dp = a + b + ... = total`` of Trace.text() for a node used many times,
    with the middle terms elided: ``d/dp = a + b + c + … (1,495 more) + y + z = total``."""
    if len(contributions) <= _SUM_TERMS:
        return line
    lhs = line.split(" = ", 1)[0]
    # the terms as Trace.text() writes them: the first bare, the rest ready to be added
    terms = [number(c) if k == 0 else factor(number(c)) for k, c in enumerate(contributions)]
    head, tail = terms[: _SUM_TERMS // 2], terms[-(_SUM_TERMS // 2) :]
    hidden = len(terms) - len(head) - len(tail)
    body = " + ".join([*head, f"… ({hidden:,} more)", *tail])
    return f"{lhs} = {body} = {number(total)}"


def _leaf_text(kind: str, name: str, data: float) -> str:
    if kind == "constant":
        return f"the constant {number(data)}"
    what = {"param": "a parameter", "input": "an input", "output": "the output: a leaf"}[kind]
    return f"{name} = {number(data)}   ({what})"


class _Builder:
    """Turns a Trace and a drawing into the page's nodes, steps, boxes and clusters."""

    def __init__(self, tr: Trace, graph: GraphModel, elem: list[Any], keep_inputs: bool) -> None:
        self.tr = tr
        self.graph = graph
        order = graph.order
        if len(order) != len(tr.names):
            raise RuntimeError("explore: the trace and the drawing walked different graphs")
        self.index = {name: i for i, name in enumerate(tr.names)}
        # The DOT name each walk index is drawn as: n<i>, a box b<k>, or None (a leaf
        # folded into the boxes that read it).
        bids: dict[Any, str] = {}
        for i in graph.interior:
            e = elem[i]
            if e is not None and e not in bids:
                bids[e] = f"b{len(bids)}"
        drawn = graph.drawn_leaves(elem, keep_inputs)
        self.el: list[str | None] = []
        for i, ps in enumerate(graph.pidx):
            if elem[i] is not None:
                self.el.append(bids[elem[i]])
            elif ps or drawn[i]:
                self.el.append(f"n{i}")
            else:
                self.el.append(None)
        self.boxed = [elem[i] is not None for i in range(len(order))]
        self.box_members: dict[str, list[int]] = {}
        for i in graph.interior:
            if elem[i] is not None:
                self.box_members.setdefault(bids[elem[i]], []).append(i)
        self.children: list[list[int]] = [[] for _ in order]
        for i, ps in enumerate(graph.pidx):
            for p in ps:
                if i not in self.children[p]:
                    self.children[p].append(i)
        # symbols as the trace writes them: constants as their number, names wrapped
        self.raw = [
            format(node.data, "g") if tr.kinds[i] == "constant" else tr.names[i]
            for i, node in enumerate(order)
        ]
        self.sym = [_wrap(text) for text in self.raw]

    def edges_into(self, i: int, positions: Iterable[int]) -> list[list[Any]]:
        """The drawn edges (title, occurrence) from the arguments at ``positions`` into the
        operation that made node ``i``."""
        ps = self.graph.pidx[i]
        dst = f"n{i}_op" if not self.boxed[i] else self.el[i]
        out = []
        for k in positions:
            src = self.el[ps[k]]
            if src is None or src == dst:
                continue  # a folded leaf, or an edge inside one box: not drawn
            if self.boxed[i]:
                out.append([f"{src}->{dst}", 0])  # edges into a box are drawn once
            else:
                # x * x draws two arrows n0 -> n1_op: the m-th belongs to the m-th such use
                m = sum(1 for q in ps[:k] if self.el[q] == src)
                out.append([f"{src}->{dst}", m])
        return out

    def out_edge(self, i: int) -> list[list[Any]]:
        return [] if self.boxed[i] else [[f"n{i}_op->n{i}", 0]]

    def forward_text(self, i: int) -> tuple[str, str]:
        """(the forward step's line with numbers, the node's formula in names)."""
        tr, graph = self.tr, self.graph
        node = graph.order[i]
        name, data = tr.names[i], tr.data[i]
        ps = graph.pidx[i]
        if not ps:
            return _leaf_text(tr.kinds[i], name, data), ""
        syms = [self.raw[p] for p in ps]
        nums = [number(tr.data[p]) for p in ps]
        symbolic, numeric = _forward_formula(node, syms), _forward_formula(node, nums)
        if not symbolic:
            syms = [self.sym[p] for p in ps]
            symbolic = f"{node.op}({', '.join(syms)})"
            numeric = f"{node.op}({', '.join(nums)})"
        parts = [name, symbolic] + ([numeric] if numeric != symbolic else []) + [number(data)]
        return " = ".join(parts), f"{name} = {symbolic}"

    def build(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        tr, graph = self.tr, self.graph
        n = len(graph.order)
        out = graph.out
        nodes: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        for i in range(n):
            text, formula = self.forward_text(i)
            kind = tr.kinds[i]
            nodes.append(
                {
                    "id": f"n{i}",
                    "label": tr.names[i],
                    "kind": kind,
                    "op": graph.order[i].op,
                    "formula": formula,
                    "data": tr.data[i],
                    "data4": fixed4(tr.data[i]),
                    "data6": number(tr.data[i]),
                    "grad": None if kind == "constant" else tr.grads[tr.names[i]],
                    "parents": list(graph.pidx[i]),
                    "children": self.children[i],
                    "el": self.el[i],
                }
            )
            ps = graph.pidx[i]
            steps.append(
                {
                    "phase": "forward",
                    "node": i,
                    "text": text,
                    "formula": formula,
                    "edges": self.edges_into(i, range(len(ps))) + self.out_edge(i) if ps else [],
                }
            )
        seed, lines = _text_lines(tr)
        steps.append(
            {
                "phase": "backward",
                "seed": True,
                "node": out,
                "grad": 1.0,
                "grad4": fixed4(1.0),
                "grad6": number(1.0),
                "text": seed,
                "formula": f"the seed: d{self.sym[out]}/d{self.sym[out]} = 1",
                "edges": [],
            }
        )
        backward = [s for s in tr.steps if not s.constant]
        received: dict[int, list[float]] = {}
        for s, text in zip(backward, lines, strict=True):
            i, p = self.index[s.node], self.index[s.parent]
            received.setdefault(p, []).append(s.contribution)
            if len(text) == 2:
                text = [text[0], _short_sum(text[1], received[p], s.total)]
            local = _local_formula(s)
            symbol = f"∂{self.sym[i]}/∂{self.sym[p]}"
            about = (
                f"local derivative {symbol} = {local}" if local else f"local derivative {symbol}"
            )
            forward = nodes[i]["formula"]
            steps.append(
                {
                    "phase": "backward",
                    "node": p,
                    "from": i,
                    "position": s.position,
                    "grad": s.total,
                    "grad4": fixed4(s.total),
                    "grad6": number(s.total),
                    "index": s.index,
                    "count": s.count,
                    "text": "\n".join(text),
                    "formula": f"{about}, from {forward}" if forward else about,
                    "edges": self.out_edge(i) + self.edges_into(i, [s.position]),
                }
            )
        return nodes, steps

    def boxes(self) -> list[dict[str, Any]]:
        """Each collapsed box with the walk indices of its members' outside users' inputs."""
        out = []
        for bid, members in self.box_members.items():
            inside = set(members)
            used = [
                i
                for i in members
                if i == self.graph.out or any(c not in inside for c in self.children[i])
            ]
            out.append({"id": bid, "members": members, "outputs": used})
        return out

    def clusters(self, members: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Each drawn cluster: its DOT names, the walk indices inside, and its outputs."""
        result = []
        for name, names in members.items():
            inside: list[int] = []
            for dot in names:
                if dot.startswith("b"):
                    inside.extend(self.box_members.get(dot, []))
                elif dot.startswith("n") and not dot.endswith("_op"):
                    inside.append(int(dot[1:]))
            seen = set(inside)
            outputs = [
                i
                for i in inside
                if self.graph.pidx[i]
                and (i == self.graph.out or any(c not in seen for c in self.children[i]))
            ]
            result.append({"name": name, "members": names, "nodes": inside, "outputs": outputs})
        return result

    def leaves(self) -> list[int]:
        """Inputs and parameters, the largest final |grad| first."""
        tr = self.tr
        found = [i for i, k in enumerate(tr.kinds) if k in ("input", "param")]
        found.sort(key=lambda i: -abs(tr.grads[tr.names[i]]))
        return found


# ---------------------------------------------------------------------- explore
def _auto_cluster(graph: GraphModel) -> str | int | None:
    """One cluster per neuron call if there are neurons, else per innermost module call."""
    scopes = graph.scopes
    if not scopes.chains:
        return None
    return "neuron" if "neuron" in scopes.kinds else scopes.max_depth


def _auto_depth(graph: GraphModel, max_nodes: int) -> int:
    """The largest neighbourhood of the output (in operations) that draws in max_nodes."""
    far = graph.distances()
    lo, hi = 1, max(far[i] for i in graph.interior) if graph.interior else 1

    def fits(d: int) -> bool:
        elem = graph.assign(("near", d, True))
        return min(graph.size(elem, True), graph.size(elem, False)) <= max_nodes

    if not fits(lo):
        return lo  # draw_graph explains why even depth 1 is too big
    while lo < hi:  # the drawn size grows with the depth: bisect for the last that fits
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def explore(
    value: Value,
    *,
    module: Any = None,
    params: Iterable[Value] | None = None,
    cluster: str | int | None = "auto",
    collapse: str | int | None = "auto",
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
    rankdir: str = "LR",
    depth: int | None = None,
    expand: bool | str = "auto",
    max_values: int = DEFAULT_MAX_VALUES,
) -> Explorer:
    """The backward explorer of the graph below ``value``: a page that steps through the
    forward pass and then the chain rule, edge by edge, in the engine's own order.

    The drawing options are those of :func:`viz.draw_graph` (``module``, ``params``,
    ``cluster``, ``collapse``, ``max_nodes``, ``title``, ``rankdir``, ``depth``), with
    these defaults:

    * ``cluster="auto"``: one box per neuron call for graphs made by ``nn`` modules
      (per innermost module call for other modules), none for plain expressions.
      In the page each cluster is covered by a labelled box that shows the call's
      output data and gradient; a click opens it (the nodes are laid out in place,
      several may be open at once) and a click on its frame closes it again.
      ``expand`` says how they start: ``True`` open, ``False`` closed, ``"auto"`` open
      for graphs of at most 100 Values.
    * a graph of more than ``max_nodes`` Values is drawn collapsed, as ``draw_graph``
      collapses it (one box per module call; such boxes do not open: their contents
      were never laid out). One that no module call splits up is drawn as the output's
      neighbourhood instead: every node within ``depth`` operations of the output
      (by default the largest depth that draws at most 80 nodes, which ``dot`` lays
      out in well under a second) and the rest as one box. The page always walks
      every node, and lists the inputs and parameters by their final |grad|.

    In the page, ``state().phase`` is ``"forward"`` from step 0 to step N (N nodes),
    ``"backward"`` from the seed (step N + 1) on, and ``"done"`` at the last step;
    a click on a node jumps to the step that completes its gradient.

    Every number and chain-rule line comes from :func:`viz.trace` (the engine's own
    walk and local derivatives); ``.grad`` is neither read nor changed. Raises what
    ``trace`` and ``draw_graph`` raise, ``ValueError`` for a graph of more than
    ``max_values`` Values, and :class:`viz.DotNotFoundError` without Graphviz ``dot``.
    """
    if not isinstance(value, Value):
        raise TypeError(f"explore: value must be a Value, got {type(value).__name__}")
    if expand not in ("auto", True, False):
        raise ValueError(f"explore: expand must be True, False or 'auto', got {expand!r}")
    if isinstance(max_values, bool) or not isinstance(max_values, int) or max_values < 1:
        raise ValueError(f"explore: max_values must be a positive int, got {max_values!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"explore: max_nodes must be a positive int, got {max_nodes!r}")
    graph = GraphModel(value, module, params)
    total = len(graph.order)
    if total > max_values:
        raise ValueError(
            f"explore: the graph has {total:,} Values, more than max_values={max_values:,}; "
            "explore a smaller part (one sample's loss) or raise max_values"
        )
    tr = trace(value, module=module, params=params)
    if cluster == "auto":
        cluster = _auto_cluster(graph)
    if depth is None and collapse == "auto" and total > max_nodes and not graph.scopes.chains:
        depth = _auto_depth(graph, min(max_nodes, _NEIGHBOURHOOD_NODES))
    digraph, drawn, elem, keep = draw_model(
        value, params, module, cluster, collapse, max_nodes, title, rankdir, depth
    )
    svg = _inline_svg(render_svg(digraph))

    builder = _Builder(tr, drawn, elem, keep)
    nodes, steps = builder.build()
    clusters = builder.clusters(_cluster_members(digraph.body))
    boxes = builder.boxes()
    notes = []
    if boxes:
        hidden = sum(len(b["members"]) for b in boxes)
        how = (
            f"the nodes within {depth} operations of the output are drawn, the rest is one box"
            if depth is not None
            else f"{len(boxes)} box(es) stand for {hidden:,} operations"
        )
        notes.append(f"{how}; the walk still visits every node.")
    if clusters:
        what = f"{cluster} call" if isinstance(cluster, str) else "module call"
        notes.append(
            f"One box per {what} ({len(clusters)}): click a box to open it, click the frame "
            "of an open one to close it."
        )
    notes.append(
        "Keys: \u2192 next, \u2190 previous, space play or pause, Home reset, End the last "
        "step. Wheel zooms, drag pans, click a node for its details."
    )
    opened = total <= _EXPAND_LIMIT if expand == "auto" else bool(expand)
    payload = {
        "title": title or f"{tr.output} = {number(tr.value)}",
        "output": graph.out,
        "nodes": nodes,
        "steps": steps,
        "forward": total,
        "clusters": clusters,
        "boxes": boxes,
        "expanded": opened,
        "rankdir": rankdir,
        "leaves": builder.leaves()[:_LEAVES_SHOWN],
        "leafCount": len(builder.leaves()),
        "note": " ".join(notes),
    }
    return Explorer(tr, svg, payload, payload["title"])
