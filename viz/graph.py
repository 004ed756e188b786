"""Computation graphs drawn with their forward values and gradients.

:func:`draw_graph` turns the graph below a :class:`~autograd.Value` into a
``graphviz.Digraph`` (which shows itself inline in Jupyter); :func:`save_svg` renders it
with the Graphviz ``dot`` program and writes the SVG atomically.

Three things set it apart from micrograd's ``draw_dot`` and from torchviz:

* it walks the graph with the engine's iterative :func:`autograd.toposort` and names
  the nodes in that walk order (``n0, n1, ...``), so the same graph always gives the
  same DOT source, byte for byte, and a million-node chain is no problem;
* the nodes made inside a module call (``autograd.scope``) can be drawn as one
  labelled cluster per call (``cluster="neuron"``), without importing ``nn``: the tags
  are read by duck typing (``named_modules``, ``activation``);
* a graph too big to lay out is collapsed into one box per module call (or per
  module) automatically, so ``dot`` never gets more than ``max_nodes`` things to place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd import Call, Value, toposort
from autograd.syntax import render_formula
from viz._dot import (
    FONT,
    MAX_LABEL,
    MAX_TITLE,
    clean,
    escape_record,
    escape_text,
    fixed4,
    label,
    number,
    record,
)

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

__all__ = [
    "DEFAULT_MAX_NODES",
    "DotNotFoundError",
    "draw_graph",
    "escape_record",
    "node_kind",
    "node_names",
    "op_formula",
    "parameter_names",
    "render_svg",
    "save_svg",
]

# Why 500: a full drawing of n Values has about 2n DOT nodes (a record and an operation
# node per interior Value), and dot's layout time grows much faster than n. Measured with
# ``dot -Tsvg`` (Graphviz 2.43) on the 2-core reference machine, for MLP loss graphs:
# 500 Values 0.15 s, 1,000 Values 0.6 s, 1,700 Values 3.7 s, 3,300 Values 18 s; that is
# roughly n^2.5, so the 130,000 Values of a 200-sample batch loss would take days. 500
# keeps every drawing well under a second, and it is about where a drawing stops being
# readable anyway: the one-sample loss of the lecture's 2-4-6-6-4-2 classifier (about
# 340 Values) is drawn in full; a bigger graph reads better as one box per neuron call
# than as a thousand records.
DEFAULT_MAX_NODES = 500

# How long :func:`render_svg` lets ``dot`` run before giving up (seconds).
DOT_TIMEOUT = 120.0

_INSTALL_HINT = (
    "install Graphviz to render SVG (Debian/Ubuntu: apt install graphviz; macOS: brew install "
    "graphviz; conda: conda install graphviz)"
)

# ----------------------------------------------------------------------------- styles
# One place for the look of every kind of node; the legend in draw_graph's docstring
# describes these.
_STYLE: dict[str, dict[str, str]] = {
    "input": {"shape": "record", "style": "filled", "fillcolor": "#dbeafe"},
    "param": {"shape": "record", "style": "filled", "fillcolor": "#fde68a"},
    "constant": {
        "shape": "box",
        "style": "rounded,dashed",
        "color": "#6b7280",
        "fontcolor": "#374151",
    },
    "interior": {"shape": "record", "style": "filled", "fillcolor": "#ffffff"},
    "op": {
        "shape": "ellipse",
        "style": "filled",
        "fillcolor": "#e5e7eb",
        "margin": "0.02",
        "width": "0.3",
        "height": "0.3",
    },
    "box": {"shape": "Mrecord", "style": "filled", "fillcolor": "#ede9fe", "penwidth": "1.5"},
}
# The output keeps the fill of its kind and gets a thick red border on top.
_OUTPUT = {"penwidth": "2.5", "color": "#b91c1c"}
_CLUSTER = {"style": "rounded,dashed", "color": "#9ca3af", "labeljust": "l", **FONT}


class DotNotFoundError(FileNotFoundError):
    """The Graphviz ``dot`` program is not installed (the message says how to install it)."""


# --------------------------------------------------------------------------- text
# Every string that reaches dot goes through viz._dot (cleaned, clipped, escaped);
# escape_record, imported from there, is public here as it always was.


# ----------------------------------------------------------------------------- naming
def _named_modules(module: Any) -> dict[int, str]:
    """id(module) -> dotted name, from ``module.named_modules()`` when it has one."""
    names: dict[int, str] = {}
    named = getattr(module, "named_modules", None)
    if callable(named):
        for name, sub in named():
            names.setdefault(id(sub), name or type(sub).__name__)
    elif module is not None:
        names[id(module)] = type(module).__name__
    return names


def parameter_names(module: Any = None, params: Iterable[Value] | None = None) -> dict[Value, str]:
    """Parameter Value -> its dotted name (from ``module.named_parameters()``, else "")."""
    found: dict[Value, str] = {}
    if module is not None:
        named = getattr(module, "named_parameters", None)
        if callable(named):
            for name, p in named():
                if isinstance(p, Value):
                    found.setdefault(p, name)
        get = getattr(module, "parameters", None)
        if callable(get):
            for p in get():
                if isinstance(p, Value):
                    found.setdefault(p, "")
    if params is not None:
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__}: {p!r}")
            found.setdefault(p, "")
    return found


def node_kind(node: Value, params: Mapping[Value, str] | Container[Value] = ()) -> str:
    """What a node is, for drawings and traces: "interior" (made by an operation),
    "param" (a leaf in ``params``), "input" (a labelled leaf) or "constant" (any other
    leaf, such as the 2 of ``2 * x``)."""
    if not node.is_leaf():
        return "interior"
    if node in params:
        return "param"
    return "input" if node.label else "constant"


def node_names(
    order: list[Value], params: dict[Value, str] | None = None, unique: bool = False
) -> list[str]:
    """A display name per node of ``order``: its parameter name, else its label, else ``n<i>``.

    Parameter names come first because they are unique (``layers.0.neurons.2.w.1``)
    where labels repeat (every neuron labels its weights ``w0, w1, ...``). ``i`` is the
    node's position in ``order`` (the walk order), the same number the drawing uses for
    its DOT node names, so a trace and a drawing agree. Names are cleaned and clipped
    as every drawn text (``viz._dot.clean``). With ``unique=True`` a name
    shared by several nodes gets ``[n<i>]`` appended (and primes, in the odd case that
    a label already reads like that), so that every name is different.
    """
    params = params or {}
    # (cleaned and clipped as every text on its way to a drawing or a page: no control
    # characters or lone surrogates, at most MAX_LABEL characters)
    texts = [params.get(node, "") or node.label for node in order]
    names = [clean(text, MAX_LABEL) if text else f"n{i}" for i, text in enumerate(texts)]
    if unique:
        seen: dict[str, int] = {}
        for name in names:
            seen[name] = seen.get(name, 0) + 1
        taken = set(names)
        for i, name in enumerate(names):
            if seen[name] > 1:
                candidate = f"{name}[n{i}]"
                while candidate in taken:  # another node is labelled "x[n0]" itself
                    candidate += "'"
                taken.add(candidate)
                names[i] = candidate
    return names


# ------------------------------------------------------------------- module calls
def _tag_kind(tag: Any) -> str:
    """What ``collapse``/``cluster`` strings match: a str tag itself, else its class name."""
    return (tag if isinstance(tag, str) else type(tag).__name__).lower()


def _activation(tag: Any) -> str:
    act = getattr(tag, "activation", None)
    if isinstance(act, str):
        return act
    name = getattr(act, "__name__", None)
    return name if isinstance(name, str) else ""


@dataclass
class _Call:
    """One call of a module, as the drawing numbers it."""

    cid: int  # index in _Scopes.calls
    depth: int  # 1 = outermost
    tag: Any
    ordinal: int  # 1-based among the calls of the same tag, in walk order


class _Scopes:
    """The module calls of a graph, read from the nodes' call records.

    Every ``autograd.scope`` entry (every module call) is one :class:`autograd.Call`,
    which knows the call it happened in; a node records the innermost one. So the calls,
    their nesting and which nodes each made are exact, for any module: one that calls
    the same child twice shows two calls of it.
    """

    def __init__(self, order: list[Value], module: Any) -> None:
        # innermost call of a node -> the call ids from the outermost down to it
        self.chains: dict[Call, tuple[int, ...]] = {}
        self.calls: list[_Call] = []
        self.max_depth = 0
        self.kinds: dict[str, None] = {}  # tag kinds in order of appearance
        self._cid: dict[Call, int] = {}  # Calls hash by identity, like Values
        self._ncalls: dict[int, int] = {}  # id(tag) -> number of calls
        self._modules = _named_modules(module)
        self._fallback: dict[int, str] = {}
        self._per_type: dict[str, int] = {}
        for node in order:
            call = node.call
            if call is not None and call not in self.chains:
                self.chains[call] = self._place(call)

    def _place(self, call: Call) -> tuple[int, ...]:
        path = []
        c: Call | None = call
        while c is not None:
            path.append(c)
            c = c.parent
        path.reverse()  # outermost first
        self.max_depth = max(self.max_depth, len(path))
        chain = []
        for depth, c in enumerate(path, start=1):
            cid = self._cid.get(c)
            if cid is None:
                cid = self._cid[c] = self._new_call(depth, c.tag).cid
            chain.append(cid)
        for c in reversed(path):  # kinds innermost first: neuron, layer, mlp
            self.kinds.setdefault(_tag_kind(c.tag), None)
        return tuple(chain)

    def _new_call(self, depth: int, tag: Any) -> _Call:
        n = self._ncalls.get(id(tag), 0) + 1
        self._ncalls[id(tag)] = n
        call = _Call(len(self.calls), depth, tag, n)
        self.calls.append(call)
        unnamed = id(tag) not in self._modules and not isinstance(tag, str)
        if unnamed and id(tag) not in self._fallback:
            kind = type(tag).__name__
            k = self._per_type.get(kind, 0)
            self._per_type[kind] = k + 1
            self._fallback[id(tag)] = f"{kind}{k}"
        return call

    def tag_name(self, tag: Any) -> str:
        """The dotted module name of ``tag``, a str tag itself, or ClassName<k>."""
        if isinstance(tag, str):
            return tag
        return self._modules.get(id(tag)) or self._fallback.get(id(tag), type(tag).__name__)

    def ncalls(self, tag: Any) -> int:
        """How many calls of ``tag`` the graph holds."""
        return self._ncalls.get(id(tag), 0)

    def call_label(self, cid: int) -> str:
        """``layers.0.neurons.2 (relu)``, with ``[call k]`` when the module ran more than once."""
        call = self.calls[cid]
        text = self.tag_name(call.tag)
        act = _activation(call.tag)
        if act:
            text += f" ({act})"
        if self.ncalls(call.tag) > 1:
            text += f" [call {call.ordinal}]"
        return text

    def depth_for(self, sc: tuple, spec: str | int | None) -> int:
        """The depth (1 = outermost) of the call that ``spec`` selects for scope ``sc``, or 0."""
        if spec is None or not sc:
            return 0
        if isinstance(spec, int):
            return spec if len(sc) >= spec else 0
        want = spec.lower()
        for depth, tag in enumerate(sc, start=1):
            if _tag_kind(tag) == want:
                return depth
        return 0


def op_formula(prim: Any) -> str:
    """A primitive's forward formula in the slides' notation (``x·y``), "" if it has none."""
    formula = getattr(prim, "formula", "")
    if not formula:
        return ""
    return render_formula(formula, {}, style="math")


def _op_node(prim: Any) -> tuple[str, dict[str, str]]:
    """(label, attributes) of an operation's ellipse: its name, and its formula as the
    tooltip; a user-defined primitive shows its formula under its name as well."""
    name = prim.name
    formula = op_formula(prim)
    shown = f"{name}\n{formula}" if formula and getattr(prim, "user", False) else name
    tip = f"{name}: {formula}" if formula else name
    attrs = {**_STYLE["op"], "tooltip": escape_text(clean(tip, MAX_LABEL))}
    return escape_text(clean(shown, MAX_LABEL)), attrs


# ------------------------------------------------------------------ the graph model
@dataclass
class _Box:
    """A collapsed group of interior nodes, drawn as one node."""

    bid: str
    key: Any
    first: int  # walk index of its first member
    members: int = 0
    leaves: dict = field(default_factory=dict)  # walk indices of the leaves it reads
    outputs: dict = field(default_factory=dict)  # walk indices of members used outside it


# A level says what is collapsed: ("full", None, _) draws every node; ("calls", spec, _)
# one box per module call at the depth ``spec`` selects; ("summary", merge_outside, _) one
# box per outermost module with all its calls merged, and with ``merge_outside`` one more
# box for every interior node outside any module (the output always stays a node). The
# last item says whether inputs (labelled leaves) stay visible when only boxes read them.
_Level = tuple[str, Any, bool]


class GraphModel:
    """The walk of one graph and everything a drawing of it needs, by walk index.

    The model behind :func:`draw_graph`; :func:`viz.explore` builds its page on it too.
    """

    def __init__(self, value: Value, module: Any, params: Iterable[Value] | None) -> None:
        self.order = order = toposort(value)
        self.out = len(order) - 1  # toposort emits the root last
        index = {node: i for i, node in enumerate(order)}
        self.pidx = [tuple(index[p] for p in node.parents) for node in order]
        self.interior = [i for i, ps in enumerate(self.pidx) if ps]
        self.leaves = [i for i, ps in enumerate(self.pidx) if not ps]
        self.scope_of = [node.scope for node in order]  # tags, outermost first
        self.call_of = [node.call for node in order]  # the innermost module call
        self.module = module
        self.param_names = parameter_names(module, params)
        self.names = node_names(order, self.param_names)
        self._scopes: _Scopes | None = None

    @property
    def scopes(self) -> _Scopes:
        """The module calls (built on first use: plain expressions never pay for it)."""
        if self._scopes is None:
            self._scopes = _Scopes(self.order, self.module)
        return self._scopes

    def kind(self, i: int) -> str:
        """input, param, constant or interior (the output is marked separately)."""
        return node_kind(self.order[i], self.param_names)

    # ------------------------------------------------------------------ collapsing
    def check_spec(self, spec: Any, what: str) -> None:
        """A clear ValueError when a collapse/cluster spec selects nothing in this graph."""
        if spec is None:
            return
        scopes = self.scopes
        if not scopes.chains:
            return  # no module scopes at all: nothing to group, nothing to complain about
        if isinstance(spec, int):
            if not 1 <= spec <= scopes.max_depth:
                raise ValueError(
                    f"{what}={spec}: module calls in this graph are nested "
                    f"{scopes.max_depth} deep, so the depth must be 1..{scopes.max_depth}"
                )
        elif spec.lower() not in scopes.kinds:
            found = ", ".join(repr(k) for k in scopes.kinds)
            raise ValueError(f"{what}={spec!r} matches no module in this graph; found: {found}")

    def assign(self, level: _Level) -> list[Any]:
        """The box of every walk index under ``level`` (None: drawn as its own node)."""
        kind, spec, _ = level
        elem: list[Any] = [None] * len(self.order)
        if kind == "full":
            return elem
        if kind == "near":  # the output's neighbourhood: the rest in one box
            far = self.distances()
            for i in self.interior:
                if far[i] > spec:
                    elem[i] = ("rest", spec)
            return elem
        scopes, scope_of, out = self.scopes, self.scope_of, self.out
        depth_of: dict[Call, int] = {}
        for i in self.interior:
            sc = scope_of[i]
            if i == out:
                continue
            if kind == "calls":
                call = self.call_of[i]
                if call is None:
                    continue
                d = depth_of.get(call)
                if d is None:
                    d = depth_of[call] = scopes.depth_for(sc, spec)
                if d:
                    elem[i] = scopes.chains[call][d - 1]  # a call id
            elif sc:
                elem[i] = ("module", id(sc[0]))
            elif spec:
                elem[i] = ("outside",)
        return elem

    def distances(self) -> list[int]:
        """Per walk index, the fewest operations between the node and the output.

        The walk is topological, so one pass from the output down settles every node:
        all of a node's users come after it, and their distances are already final.
        """
        far = [len(self.order)] * len(self.order)
        far[self.out] = 0
        for i in range(self.out, -1, -1):
            d = far[i] + 1
            for p in self.pidx[i]:
                if d < far[p]:
                    far[p] = d
        return far

    def drawn_leaves(self, elem: list[Any], keep_inputs: bool) -> bytearray:
        """1 for each leaf drawn as a node: used by a node drawn on its own, or the output
        (or, with ``keep_inputs``, an input: a labelled leaf that is not a parameter).

        Other leaves read only by boxes are folded into them (each box counts its
        leaves), which is what keeps a collapsed batch loss small: a parameter read by
        200 calls would otherwise need 200 edges.
        """
        drawn = bytearray(len(self.order))
        pidx = self.pidx
        if keep_inputs:
            for i in self.leaves:
                if self.kind(i) == "input":
                    drawn[i] = 1
        for i in self.interior:
            if elem[i] is None:
                for p in pidx[i]:
                    drawn[p] = 1
        drawn[self.out] = 1
        return drawn

    def size(self, elem: list[Any], keep_inputs: bool) -> int:
        """How many nodes (Values drawn on their own, plus boxes) ``elem`` draws."""
        boxes = set()
        individual = 0
        for i in self.interior:
            e = elem[i]
            if e is None:
                individual += 1
            else:
                boxes.add(e)
        drawn = self.drawn_leaves(elem, keep_inputs)
        return len(boxes) + individual + sum(drawn[i] for i in self.leaves)

    def describe(self, level: _Level) -> str:
        """What one box stands for at ``level``, for the drawing's note."""
        kind, spec, _ = level
        if kind == "near":
            return f"the nodes within {spec} operations of the output; the rest in one box"
        if kind == "summary":
            text = "one box per module (all its calls merged)"
            return text + (", one for everything outside modules" if spec else "")
        if isinstance(spec, int):
            kinds = {
                _tag_kind(c.tag) for c in self.scopes.calls if c.depth == spec
            }  # e.g. {"layer"}
            return f"one box per module call at depth {spec} ({', '.join(sorted(kinds))})"
        return f"one box per {spec} call"

    # --------------------------------------------------------------------- drawing
    def cluster_of(self, i: int, spec: Any, box_depth: int = 0) -> int | None:
        """The call id of the cluster node ``i`` (or its box, at ``box_depth``) belongs to."""
        if spec is None:
            return None
        sc = self.scope_of[i]
        d = self.scopes.depth_for(sc, spec)
        if not d or (box_depth and d >= box_depth):
            return None
        return self.scopes.chains[self.call_of[i]][d - 1]

    def draw(
        self, elem: list[Any], keep_inputs: bool, cluster: Any, notes: list[str], rankdir: str
    ) -> graphviz.Digraph:
        """Build the Digraph: node statements (grouped by cluster), then edges."""
        import graphviz

        order, pidx, names, out = self.order, self.pidx, self.names, self.out
        drawn = self.drawn_leaves(elem, keep_inputs)
        boxes: dict[Any, _Box] = {}
        for i in self.interior:
            e = elem[i]
            if e is not None and e not in boxes:
                boxes[e] = _Box(f"b{len(boxes)}", e, i)

        def ref(i: int) -> str:
            e = elem[i]
            return f"n{i}" if e is None else boxes[e].bid

        # Edges. Edges between two nodes drawn on their own are kept one per argument
        # (x * x shows two arrows); edges into a box are deduplicated.
        edges: list[tuple[str, str]] = []
        box_edges: dict[tuple[str, str], None] = {}
        for i in self.interior:
            e = elem[i]
            if e is None:
                for p in pidx[i]:
                    edges.append((ref(p), f"n{i}_op"))
                    if elem[p] is not None:
                        boxes[elem[p]].outputs[p] = None
                edges.append((f"n{i}_op", f"n{i}"))
                continue
            box = boxes[e]
            box.members += 1
            for p in pidx[i]:
                pe = elem[p]
                if not pidx[p]:
                    box.leaves[p] = None
                    if drawn[p]:
                        box_edges[(f"n{p}", box.bid)] = None
                elif pe != e:
                    box_edges[(ref(p), box.bid)] = None
                    if pe is not None:
                        boxes[pe].outputs[p] = None

        # Node statements, each with the cluster it goes in (None: top level).
        statements: list[tuple[int | None, str, str, dict[str, str]]] = []
        for i, node in enumerate(order):
            e = elem[i]
            if e is not None:
                box = boxes[e]
                if box.first == i:
                    depth = self.scopes.calls[e].depth if isinstance(e, int) else 0
                    key = self.cluster_of(i, cluster, depth) if depth else None
                    statements.append((key, box.bid, self.box_label(box), _STYLE["box"]))
                continue
            if not pidx[i] and not drawn[i]:
                continue  # folded into the boxes that read it
            key = self.cluster_of(i, cluster)
            kind = self.kind(i)
            if kind == "constant" and i != out:
                statements.append((key, f"n{i}", escape_text(number(node.data)), _STYLE[kind]))
            else:
                text = record([names[i], f"data {fixed4(node.data)}", f"grad {fixed4(node.grad)}"])
                style = _STYLE["interior" if kind == "constant" else kind]
                statements.append((key, f"n{i}", text, {**style, **_OUTPUT} if i == out else style))
            if pidx[i]:
                statements.append((key, f"n{i}_op", *_op_node(node.primitive)))

        graph_attr = {"rankdir": rankdir, **FONT}
        if notes:
            graph_attr.update(label=label(escape_text("\n".join(notes))), labelloc="t")
        g = graphviz.Digraph(
            name="valuegrad",
            graph_attr=graph_attr,
            node_attr=dict(FONT),
            edge_attr={"arrowsize": "0.6", "color": "#4b5563"},
        )
        clusters: dict[int, list] = {}
        for key, name, text, attrs in statements:
            if key is None:
                g.node(name, label(text), **attrs)
            else:
                clusters.setdefault(key, []).append((name, text, attrs))
        for k, (key, members) in enumerate(clusters.items()):
            with g.subgraph(name=f"cluster_{k}") as sub:
                call = escape_text(clean(self.scopes.call_label(key), MAX_LABEL))
                sub.attr(label=label(call), **_CLUSTER)
                for name, text, attrs in members:
                    sub.node(name, label(text), **attrs)
        for src, dst in edges:
            g.edge(src, dst)
        for src, dst in box_edges:
            g.edge(src, dst)
        return g

    def box_label(self, box: _Box) -> str:
        """``{title|counts|data ...|grad ...}`` for one box."""
        key = box.key
        scopes = self.scopes
        if isinstance(key, int):
            title = scopes.call_label(key)
        elif key[0] == "module":
            tag = self.scope_of[box.first][0]
            n = scopes.ncalls(tag)
            title = scopes.tag_name(tag) + (f" ({n:,} calls merged)" if n > 1 else "")
        elif key[0] == "rest":
            title = f"the rest: more than {key[1]} operations from the output"
        else:
            title = "outside any module"
        nparams = sum(1 for p in box.leaves if self.order[p] in self.param_names)
        counts = f"{box.members:,} ops · {len(box.leaves):,} leaf inputs"
        if nparams:
            counts += f" ({nparams:,} params)"
        outs = [self.order[i] for i in box.outputs]
        if len(outs) == 1:
            data, grad = f"data {fixed4(outs[0].data)}", f"grad {fixed4(outs[0].grad)}"
        else:
            more = ", …" if len(outs) > 3 else ""
            data = f"{len(outs):,} outputs: data " + ", ".join(fixed4(v.data) for v in outs[:3])
            grad = "grad " + ", ".join(fixed4(v.grad) for v in outs[:3])
            data, grad = data + more, grad + more
        return record([title, counts, data, grad])


# ----------------------------------------------------------------------- public API
def draw_graph(
    value: Value,
    *,
    params: Iterable[Value] | None = None,
    module: Any = None,
    cluster: str | int | None = None,
    collapse: str | int | None = "auto",
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
    rankdir: str = "LR",
    depth: int | None = None,
) -> graphviz.Digraph:
    """Draw the computation graph below ``value`` with every node's data and gradient.

    Legend:

    * **record** ``label | data | grad`` — one per Value; its name is its label, else
      its parameter name (from ``module.named_parameters()``), else ``n<i>``, its
      position in the walk (the same numbers the DOT node names and :func:`viz.trace`
      use). White: an interior node. **Light blue**: an input (a labelled leaf).
      **Amber**: a parameter (in ``params`` or ``module.parameters()``).
    * **dashed rounded box** with just a number: a constant (an unlabelled leaf that
      is not a parameter, such as the ``2`` of ``2 * x``).
    * **thick red border**: the output, ``value`` itself.
    * **small grey ellipse**: the operation that made the record it points to
      (``+ - * / neg pow **2 exp log tanh sigmoid relu softplus logaddexp step``).
    * **dashed cluster**: the nodes one module call created (``cluster=``), labelled
      like ``layers.0.neurons.2 (relu)``, with ``[call k]`` when the module ran more
      than once (once per sample, say).
    * **lavender rounded record**: a collapsed box: its name, how many operations
      and leaves it holds, and the data and gradient of its output(s).

    Arguments:

    * ``params``: Values to draw as parameters; ``module``: a module (duck-typed:
      ``parameters()``, ``named_parameters()``, ``named_modules()``) whose parameters
      are drawn as such and whose submodule names label clusters and boxes.
    * ``cluster``: ``"neuron"``, ``"layer"`` (any module class name, case-insensitive,
      or a str tag), an int scope depth (1 = outermost), or None for no clusters.
    * ``collapse`` and ``max_nodes`` — the big-graph policy. ``dot`` needs minutes to
      hours for graphs of tens of thousands of nodes, so a drawing never holds more
      than ``max_nodes`` nodes (Values drawn on their own plus boxes):

      - ``"auto"`` (default): every node if they fit; otherwise the finest collapse
        that fits: one box per module call, innermost modules first (neuron calls,
        then layer calls, then network calls), then ``"summary"``. A note at the top
        says what was collapsed. Leaves read only by boxes are folded into them.
      - ``"neuron"``, ``"layer"``, ... or an int depth: one box per call of those
        modules; ``"summary"``: one box per outermost module with all its calls
        merged (plus, if still too big, one box for all nodes outside modules).
      - ``None``: every node.

      If the chosen drawing still has more than ``max_nodes`` nodes, a ``ValueError``
      says how to collapse it. (A value read by many operations far apart still makes
      many long edges, which ``dot`` can take tens of seconds to route; it is stopped
      after ``DOT_TIMEOUT`` seconds with a clear error.)
    * ``depth``: draw only the output's neighbourhood, the nodes at most ``depth``
      operations from it, and everything further away as one box (for big graphs that
      no module call splits up); it replaces ``collapse``.

    The graph is walked iteratively (no recursion limit). Needs the ``graphviz``
    Python package, imported only when called; rendering needs the ``dot`` program.
    """
    options = (cluster, collapse, max_nodes, title, rankdir, depth)
    return draw_model(value, params, module, *options)[0]


def draw_model(
    value: Value,
    params: Iterable[Value] | None,
    module: Any,
    cluster: str | int | None,
    collapse: str | int | None,
    max_nodes: int,
    title: str | None,
    rankdir: str,
    depth: int | None,
) -> tuple[graphviz.Digraph, GraphModel, list[Any], bool]:
    """:func:`draw_graph`, also returning what it drew: the graph, the box of each walk
    index (None: drawn on its own) and whether unread inputs were kept."""
    if not isinstance(value, Value):
        raise TypeError(f"draw_graph: value must be a Value, got {type(value).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    for what, spec in (("cluster", cluster), ("collapse", collapse)):
        if isinstance(spec, bool) or not isinstance(spec, (str, int, type(None))):
            raise TypeError(f"draw_graph: {what} must be a str, an int or None, got {spec!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be LR, RL, TB or BT, got {rankdir!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"draw_graph: title must be a str or None, got {title!r}")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        raise ValueError(f"draw_graph: depth must be a positive int or None, got {depth!r}")

    graph = GraphModel(value, module, params)
    if cluster is not None:
        graph.check_spec(cluster, "cluster")
    total = len(graph.order)

    # The levels to try, finest first; the first that fits is drawn. Inputs stay visible
    # as long as they fit (the lecture's picture starts from x), then they are folded.
    full: _Level = ("full", None, True)
    summary: list[_Level] = [("summary", False, False), ("summary", True, False)]
    explicit = depth is not None or collapse not in (None, "none", "auto")
    if depth is not None:
        levels = [("near", depth, True), ("near", depth, False)]
    elif not explicit:
        levels = [full]
        if collapse == "auto" and total > max_nodes:
            for d in range(graph.scopes.max_depth, 0, -1):
                levels += [("calls", d, True), ("calls", d, False)]
            levels += summary
    elif collapse == "summary":
        levels = summary
    else:
        graph.check_spec(collapse, "collapse")
        levels = [("calls", collapse, True), ("calls", collapse, False)]

    chosen: _Level | None = None
    elem: list[Any] = []
    size = total
    for level in levels:
        elem = graph.assign(level)
        size = total if level is full else graph.size(elem, level[2])
        if size <= max_nodes:
            chosen = level
            break
    if chosen is None:
        if levels == [full]:
            raise ValueError(
                f"draw_graph: the graph has {total:,} nodes, more than max_nodes={max_nodes}; "
                "laying it out would take dot minutes or more. Use collapse='auto' (one box "
                "per module call), collapse='layer', 'neuron' or 'summary', draw a smaller "
                "part (one sample's loss), or raise max_nodes"
            )
        if depth is not None:
            raise ValueError(
                f"draw_graph: depth={depth} still draws {size:,} nodes, more than "
                f"max_nodes={max_nodes}; use a smaller depth or raise max_nodes"
            )
        if collapse == "auto":
            raise ValueError(
                f"draw_graph: even collapsed as far as it goes ('summary') the graph draws "
                f"{size:,} nodes, more than max_nodes={max_nodes}; draw a smaller part or "
                "raise max_nodes"
            )
        raise ValueError(
            f"draw_graph: collapse={collapse!r} still draws {size:,} nodes, more than "
            f"max_nodes={max_nodes}; use a coarser collapse ('summary'), draw a smaller part "
            "(one sample's loss), or raise max_nodes"
        )

    notes = [clean(title, MAX_TITLE)] if title else []
    if chosen is not full and any(e is not None for e in elem):
        why = f"{total:,} nodes, " if explicit else f"{total:,} nodes > max_nodes={max_nodes}: "
        notes.append(f"{why}{graph.describe(chosen)}")
    return graph.draw(elem, chosen[2], cluster, notes, rankdir), graph, elem, chosen[2]


def render_svg(graph: graphviz.Digraph | str, timeout: float = DOT_TIMEOUT) -> str:
    """The SVG text of a Digraph (or DOT source), rendered by the ``dot`` program.

    Raises :class:`DotNotFoundError` when ``dot`` is not installed, ``TimeoutError``
    after ``timeout`` seconds, ``OSError`` when ``dot`` fails.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise DotNotFoundError(f"the Graphviz program 'dot' was not found: {_INSTALL_HINT}")
    source = graph if isinstance(graph, str) else graph.source
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"dot did not finish within {timeout:g} s; draw fewer nodes (max_nodes, collapse=)"
        ) from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = lines[0] if lines else "(no message)"
        raise OSError(f"dot -Tsvg failed with status {done.returncode}: {first}")
    return done.stdout.decode("utf-8")


def save_svg(
    graph: graphviz.Digraph | str, path: str | os.PathLike, timeout: float = DOT_TIMEOUT
) -> Path:
    """Render ``graph`` with ``dot`` and write the SVG to ``path``; returns the path.

    The file is written by :func:`nn.files.write_text`: a regular file is replaced in
    one step (a reader never sees half a file, a failure leaves the old one), a device
    or FIFO is written to, a symlink is written through. A path that cannot be written
    (a directory, a missing parent directory) fails before ``dot`` runs.
    """
    from nn.files import check_path, write_text

    check_path(path)
    return write_text(path, render_svg(graph, timeout))
