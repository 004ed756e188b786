"""``compile``: replay a recorded scalar graph over numpy arrays with a batch dimension.

The eager engine spends about a microsecond of Python per node per sample. But a model
applied to many samples builds the *same* graph again and again, only with other input
numbers. So record that graph once, from placeholder inputs, and replay it for a whole
batch at a time:

* every node becomes a row of a ``(rows, batch)`` array;
* nodes are grouped by depth (the longest path from a leaf) and by operation; a group's
  nodes are independent of each other, so each group is one vectorised numpy call
  (the neurons of a layer share one call per level, whatever the batch size);
* a chain of additions ``((t0 + t1) + t2) + ...`` whose partial sums are used nowhere
  else (a neuron's weighted sum) becomes one *sum* node, computed as a running sum
  (``np.add.accumulate``), which adds in exactly that left-to-right order, so the result
  is the eager engine's to the last bit;
* the backward pass walks the groups in reverse with the *same* derivative rules as the
  eager engine (the rules in :mod:`autograd.ops` accept arrays), and sums each
  parameter's gradient over the batch;
* buffers and views are planned once per batch size and reused, so a replay is a tight
  loop of numpy calls with no allocation of the big arrays.

Each node computes the same formula, with the same float kernels (``math.exp`` and
friends, applied element by element, where numpy's own would differ in the last bit),
in the same order as the eager engine, so every value is the eager one to the last
bit. Gradients are too wherever the order in which a node's gradient contributions
arrive can be matched: a parameter's contributions are summed from the last sample to
the first, and a layer input's from the last neuron to the first, as ``backward`` adds
them, which makes layered networks (MLPs) and their whole training runs bit-for-bit
equal. Elsewhere (a node used by operations at different depths) two contributions may
be added in the other order: equal up to rounding.

A graph whose *shape* depends on the data — Python code that branches on ``.data``, or
constants computed from the inputs — cannot be replayed. :func:`compile` records the
function on up to three different example rows and refuses, with a clear error, when
the recordings differ. (A branch that none of the examples takes cannot be seen; the
eager engine remains the reference.)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import ops
from autograd.graph import toposort
from autograd.numerics import fold_sum
from autograd.value import Value, enable_grad

__all__ = ["DataDependentGraphError", "Program", "compile", "fold_sum"]


class DataDependentGraphError(ValueError):
    """The recorded graph changes with the input data, so it cannot be compiled."""


# ---------------------------------------------------------------------------------- #
# The fused n-ary sum: forward is a left fold, every term's local derivative is 1.    #
# ---------------------------------------------------------------------------------- #


def _sum_terms(terms: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Left-to-right sum over axis -2 of (..., terms, batch): ((t0 + t1) + t2) + ..."""
    out[...] = fold_sum(terms, axis=-2)
    return out


@dataclass(eq=False)
class _Node:
    """A node of the program: a primitive applied to parents, or a fused sum of terms."""

    value: Value  # the eager node it stands for
    prim: ops.Primitive | None  # None for a fused sum
    parents: list[Value]


# ---------------------------------------------------------------------------------- #
# Operand layout: how a group reads one operand's rows of the (rows, batch) array.    #
# ---------------------------------------------------------------------------------- #

_AFFINE = 0  # distinct rows at start + j*s_j + i*s_i: a strided view, no copy
_TILE = 1  # the same run of rows for every block of the group (a layer's inputs)
_GATHER = 2  # distinct rows in no regular order: gathered into a buffer
_GATHER_DUP = 3  # rows with repeats in no regular pattern: np.add.at scatters gradients


def _progression(idx: np.ndarray) -> slice | None:
    """idx as a slice, if it is an increasing arithmetic progression."""
    if len(idx) == 1:
        return slice(int(idx[0]), int(idx[0]) + 1)
    steps = np.diff(idx)
    if steps[0] > 0 and np.all(steps == steps[0]):
        return slice(int(idx[0]), int(idx[-1]) + 1, int(steps[0]))
    return None


@dataclass
class _Operand:
    """Rows of one operand of a group, shaped like the group."""

    kind: int
    rows: slice | np.ndarray  # _TILE: the base run of rows; _GATHER*: row indices
    needs_grad: bool
    start: int = 0  # _AFFINE: first row ...
    strides: tuple[int, ...] = ()  # ... and the row step along each axis of the group shape
    # _TILE: the order in which to add up the blocks' gradients (None: 0, 1, 2, ...)
    block_order: slice | np.ndarray | None = None


@dataclass
class _Group:
    """Nodes of one depth and one operation: one vectorised call.

    ``shape`` is the group's shape before the batch axis: (nodes,) in general,
    (blocks, width) when an operand is a tile that broadcasts over the blocks, and
    (nodes, terms) for a fused sum.
    """

    prim: ops.Primitive | None  # None: fused sum
    out: slice  # rows written by this group (contiguous)
    operands: list[_Operand]
    shape: tuple[int, ...]


def _tile_shape(idx: np.ndarray) -> tuple[int, slice] | None:
    """(blocks, base) if idx is one run of distinct rows ``base`` repeated ``blocks`` times."""
    n = len(idx)
    for width in range(1, n // 2 + 1):
        if n % width == 0 and np.array_equal(idx, np.tile(idx[:width], n // width)):
            base = _progression(idx[:width])
            return (n // width, base) if base is not None else None
    return None


def _classify(idx: np.ndarray, shape: tuple[int, ...], needs_grad: bool) -> _Operand:
    """The cheapest layout for rows ``idx`` read in the group's ``shape``."""
    grid = idx.reshape(shape)
    distinct = len(np.unique(idx)) == len(idx)
    if distinct:
        start = int(grid.flat[0])
        strides = tuple(
            int(np.take(grid, 1, axis=a).flat[0]) - start if shape[a] > 1 else 0
            for a in range(len(shape))
        )
        expected = start + sum(
            s * np.arange(n).reshape([-1 if b == a else 1 for b in range(len(shape))])
            for a, (s, n) in enumerate(zip(strides, shape, strict=True))
        )
        if all(s >= 0 for s in strides) and np.array_equal(grid, expected):
            return _Operand(_AFFINE, idx, needs_grad, start, strides)
    return _Operand(_GATHER if distinct else _GATHER_DUP, idx, needs_grad)


def _block_order(members: list[_Node], shape: tuple[int, ...], position: dict) -> Any:
    """The order in which the eager engine adds up a tile's gradients from the blocks.

    ``backward`` visits consumers in reverse topological order, so a layer input's
    gradient is summed from the last neuron to the first; summing the blocks in that
    order makes the compiled result bit-for-bit the eager one.
    """
    blocks, width = shape
    rank = np.array([position[pn.value] for pn in members]).reshape(blocks, width)
    orders = {tuple(np.argsort(-rank[:, i], kind="stable")) for i in range(width)}
    if len(orders) != 1:
        return None  # no single order: keep 0, 1, 2, ... (equal up to rounding)
    order = np.array(orders.pop(), dtype=np.intp)
    if np.array_equal(order, np.arange(blocks)):
        return None
    if np.array_equal(order, np.arange(blocks)[::-1]):
        return slice(None, None, -1)
    return order


# ---------------------------------------------------------------------------------- #
# Recording helpers.                                                                   #
# ---------------------------------------------------------------------------------- #


def _data(v: Value) -> float:
    return v.data


def _multi_toposort(outputs: Sequence[Value]) -> list[Value]:
    order: list[Value] = []
    seen: set[Value] = set()
    for out in outputs:
        for node in toposort(out):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _signature(order: list[Value], inputs: Sequence[Value], params: Sequence[Value]) -> list:
    """The structure of a recording: ops, wiring, leaf kinds and constant values."""
    position = {node: k for k, node in enumerate(order)}
    input_pos = {x: i for i, x in enumerate(inputs)}
    param_pos = {p: i for i, p in enumerate(params)}
    sig = []
    for node in order:
        prim = node.primitive
        if prim is not None:
            sig.append((prim.name, tuple(position[p] for p in node.parents)))
        elif node in input_pos:
            sig.append(("input", input_pos[node]))
        elif node in param_pos:
            sig.append(("param", param_pos[node]))
        else:
            sig.append(("constant", node.data))
    return sig


def _describe_difference(a: list, b: list) -> str:
    if len(a) != len(b):
        return f"one recording has {len(a)} nodes, another {len(b)}"
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            if x[0] == "constant" and y[0] == "constant":
                return f"node {k} is a constant computed from the data ({x[1]!r} vs {y[1]!r})"
            return f"node {k} is {x[0]!r} in one recording and {y[0]!r} in another"
    return "the recordings differ"  # pragma: no cover


# ---------------------------------------------------------------------------------- #
# Execution plans: buffers and views for one batch size.                              #
# ---------------------------------------------------------------------------------- #


@dataclass
class _Reader:
    """How one operand's values are obtained: a fixed view, or a gather into a buffer."""

    array: np.ndarray  # the view, or the buffer the gather fills
    take: np.ndarray | None = None  # row indices to gather (None: ``array`` is a view)
    take_out: np.ndarray | None = None  # ``array`` as (rows, batch), np.take's out=


@dataclass
class _Step:
    """One group, bound to the plan's buffers, with everything the hot loops need."""

    group: _Group
    readers: list[_Reader]
    out: np.ndarray  # view of V, shaped (*group shape, batch) ((nodes, batch) for a sum)
    upstream: np.ndarray  # the matching view of G (broadcast over the terms for a sum)
    takes: tuple[tuple[np.ndarray, np.ndarray], ...]  # gathers to run first: (rows, out)
    args: tuple[np.ndarray, ...]  # the operands' arrays
    mode: int  # 0: ufunc with out=, 1: fused sum, 2: other function, assigned
    # per operand needing a gradient: (index, kind, target view or None, rows, block order)
    grads: tuple[tuple[int, int, np.ndarray | None, Any, Any], ...]


@dataclass
class _Plan:
    """Preallocated value and gradient arrays for one batch size, and the steps over them."""

    V: np.ndarray
    G: np.ndarray
    steps: list[_Step] = field(default_factory=list)


class Program:
    """A recorded graph, replayed over batches of inputs (see :func:`compile`)."""

    _MAX_PLANS = 8  # batch sizes whose buffers are kept (a training loop uses two or three)

    def __init__(
        self,
        outputs: Value | Sequence[Value],
        inputs: Sequence[Value],
        params: Sequence[Value] = (),
    ) -> None:
        outputs = [outputs] if isinstance(outputs, Value) else list(outputs)
        self.inputs = list(inputs)
        self.params = list(params)
        for name, values in (
            ("outputs", outputs),
            ("inputs", self.inputs),
            ("params", self.params),
        ):
            for i, v in enumerate(values):
                if not isinstance(v, Value):
                    raise TypeError(f"compile: {name}[{i}] must be a Value, got {type(v).__name__}")
        for name, values in (("inputs", self.inputs), ("params", self.params)):
            for i, v in enumerate(values):
                if not v.is_leaf():
                    raise ValueError(f"compile: {name}[{i}] must be a leaf Value, got {v!r}")
            if len(set(values)) != len(values):
                raise ValueError(f"compile: {name} contains the same Value twice")
        if set(self.inputs) & set(self.params):
            raise ValueError("compile: a Value cannot be both an input and a parameter")

        order = _multi_toposort(outputs)
        for node in order:
            prim = node.primitive
            if prim is not None and prim.np_forward is None:
                raise TypeError(
                    f"compile: the primitive {prim.name!r} has no array form; declare it "
                    "with np_forward=... (a function of numpy arrays) to compile graphs "
                    "that use it"
                )
        self.n_inputs = len(self.inputs)
        self.n_outputs = len(outputs)
        self.num_nodes = len(order)
        nodes = self._fuse_sums(order, outputs)
        self._build_groups(order, nodes, outputs)
        self._plans: OrderedDict[int, _Plan] = OrderedDict()

    # ------------------------------------------------------------------ building
    def _fuse_sums(self, order: list[Value], outputs: list[Value]) -> dict[Value, _Node]:
        """Program nodes: each primitive node, with left-fold addition chains fused."""
        uses: dict[Value, int] = {}
        for node in order:
            for p in node.parents:
                uses[p] = uses.get(p, 0) + 1
        keep = set(outputs)
        nodes: dict[Value, _Node] = {}
        for node in order:
            prim = node.primitive
            if prim is None:
                continue
            parents = list(node.parents)
            if prim is ops.ADD and not parents[1].is_leaf():
                # (A leaf term - a neuron's bias - ends the chain: the terms then stay
                # contiguous rows of one group and the sum reads them without a copy.)
                left = parents[0]
                absorbed = nodes.get(left)
                if (
                    absorbed is not None
                    and (absorbed.prim is None or absorbed.prim is ops.ADD)
                    and uses[left] == 1
                    and left not in keep
                ):
                    # ((...) + t) where the partial sum is used only here: extend the chain
                    del nodes[left]
                    nodes[node] = _Node(node, None, [*absorbed.parents, parents[1]])
                    continue
            nodes[node] = _Node(node, prim, parents)
        # A lone a + b stays an ordinary ADD; only chains become sums.
        for node, pn in list(nodes.items()):
            if pn.prim is None and len(pn.parents) == 2:
                nodes[node] = _Node(node, ops.ADD, pn.parents)
        return nodes

    def _build_groups(
        self, order: list[Value], nodes: dict[Value, _Node], outputs: list[Value]
    ) -> None:
        row: dict[Value, int] = {}
        for i, x in enumerate(self.inputs):
            row[x] = i
        for i, p in enumerate(self.params):
            row[p] = self.n_inputs + i
        leaves = [n for n in order if n.is_leaf()]
        constants = [n for n in leaves if n not in row]
        first_const = self.n_inputs + len(self.params)
        for k, c in enumerate(constants):
            row[c] = first_const + k
        const_set = set(constants)
        self._param_rows = slice(self.n_inputs, first_const)
        self._const_rows = slice(first_const, first_const + len(constants))
        self._const_values = np.array([c.data for c in constants], dtype=np.float64)

        position = {node: k for k, node in enumerate(order)}
        # Depth of program nodes: leaves 0, else 1 + the deepest parent (or term).
        depth: dict[Value, int] = {leaf: 0 for leaf in leaves}
        for node in order:
            pn = nodes.get(node)
            if pn is not None:
                depth[node] = 1 + max(depth[p] for p in pn.parents)
        buckets: dict[tuple, list[_Node]] = {}
        for node in order:
            pn = nodes.get(node)
            if pn is not None:
                key = (
                    (depth[node], id(pn.prim)) if pn.prim else (depth[node], "sum", len(pn.parents))
                )
                buckets.setdefault(key, []).append(pn)

        next_row = first_const + len(constants)
        self._groups: list[_Group] = []
        for _, members in sorted(buckets.items(), key=lambda kv: kv[0][0]):
            start = next_row
            for pn in members:
                row[pn.value] = next_row
                next_row += 1
            prim = members[0].prim
            if prim is None:  # fused sum: one operand, shaped (nodes, terms)
                shape: tuple[int, ...] = (len(members), len(members[0].parents))
                idx = np.array([row[t] for pn in members for t in pn.parents], dtype=np.intp)
                needs = not all(t in const_set for pn in members for t in pn.parents)
                operands = [_classify(idx, shape, needs)]
                self._groups.append(_Group(None, slice(start, next_row), operands, shape))
                continue
            columns = []
            shape = (len(members),)
            tiles: dict[int, slice] = {}
            for k in range(prim.arity):
                parents = [pn.parents[k] for pn in members]
                idx = np.array([row[p] for p in parents], dtype=np.intp)
                needs = not all(p in const_set for p in parents)  # constants need no gradient
                columns.append((idx, needs))
                tile = _tile_shape(idx) if _progression(idx) is None else None
                if tile is not None and (len(shape) == 1 or shape[0] == tile[0]):
                    # a layer's inputs, read by every neuron: broadcast instead of copying
                    shape = (tile[0], len(members) // tile[0])
                    tiles[k] = tile[1]
            operands = [
                _Operand(_TILE, tiles[k], needs, block_order=_block_order(members, shape, position))
                if k in tiles
                else _classify(idx, shape, needs)
                for k, (idx, needs) in enumerate(columns)
            ]
            self._groups.append(_Group(prim, slice(start, next_row), operands, shape))
        self._rows = next_row
        self._output_rows = np.array([row[o] for o in outputs], dtype=np.intp)
        self.depth = max(depth.values(), default=0)

    # ------------------------------------------------------------------ planning
    def _plan(self, batch: int) -> _Plan:
        plan = self._plans.get(batch)
        if plan is not None:
            self._plans.move_to_end(batch)
            return plan
        V = np.zeros((self._rows, batch), dtype=np.float64)
        G = np.zeros((self._rows, batch), dtype=np.float64)
        V[self._const_rows] = self._const_values[:, None]
        plan = _Plan(V, G)
        for g in self._groups:
            out_shape = (*g.shape, batch) if g.prim is not None else (g.shape[0], batch)
            readers = [self._reader(V, op, g, batch) for op in g.operands]
            out = V[g.out].reshape(out_shape)
            upstream = G[g.out].reshape(out_shape)
            if g.prim is None:
                upstream = upstream[:, None, :]  # every term of a sum gets the sum's gradient
                mode = 1
            else:
                mode = 0 if isinstance(g.prim.np_forward, np.ufunc) else 2
            grads = tuple(
                (k, op.kind, self._target(G, op, g, batch), op.rows, op.block_order)
                for k, op in enumerate(g.operands)
                if op.needs_grad
            )
            plan.steps.append(
                _Step(
                    group=g,
                    readers=readers,
                    out=out,
                    upstream=upstream,
                    takes=tuple((r.take, r.take_out) for r in readers if r.take is not None),
                    args=tuple(r.array for r in readers),
                    mode=mode,
                    grads=grads,
                )
            )
        self._plans[batch] = plan
        if len(self._plans) > self._MAX_PLANS:
            self._plans.popitem(last=False)
        return plan

    @staticmethod
    def _strided(A: np.ndarray, op: _Operand, shape: tuple[int, ...]) -> np.ndarray:
        """The rows start + sum_a j_a * stride_a of A, as a view of shape (*shape, batch)."""
        row_bytes = A.strides[0]
        return np.lib.stride_tricks.as_strided(
            A[op.start :],
            shape=(*shape, A.shape[1]),
            strides=(*(s * row_bytes for s in op.strides), A.strides[1]),
        )

    @classmethod
    def _reader(cls, V: np.ndarray, op: _Operand, g: _Group, batch: int) -> _Reader:
        if op.kind == _TILE:
            return _Reader(V[op.rows][None])  # (1, width, batch): broadcasts over blocks
        if op.kind == _AFFINE:
            return _Reader(cls._strided(V, op, g.shape))
        buffer = np.empty((*g.shape, batch), dtype=np.float64)
        return _Reader(buffer, op.rows, buffer.reshape(len(op.rows), batch))

    @classmethod
    def _target(cls, G: np.ndarray, op: _Operand, g: _Group, batch: int) -> np.ndarray | None:
        if not op.needs_grad:
            return None
        if op.kind == _TILE:
            return G[op.rows]  # (width, batch): the blocks' gradients are summed into it
        if op.kind == _AFFINE:
            return cls._strided(G, op, g.shape)  # distinct rows: safe to add into
        return None

    # ------------------------------------------------------------------ info
    @property
    def num_groups(self) -> int:
        """How many vectorised calls one forward pass makes."""
        return len(self._groups)

    def __repr__(self) -> str:
        return (
            f"Program(inputs={self.n_inputs}, outputs={self.n_outputs}, "
            f"params={len(self.params)}, nodes={self.num_nodes}, groups={self.num_groups}, "
            f"depth={self.depth})"
        )

    # ------------------------------------------------------------------ running
    def _as_batch(self, X: Any) -> tuple[np.ndarray, bool]:
        arr = np.asarray(X, dtype=np.float64)
        single = arr.ndim == 1
        if single:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.n_inputs:
            raise ValueError(
                f"compiled program: expected inputs of shape (batch, {self.n_inputs}), "
                f"got {np.shape(X)}"
            )
        if arr.shape[0] == 0:
            raise ValueError("compiled program: the batch is empty")
        if not np.isfinite(arr).all():
            raise ValueError("compiled program: the inputs contain nan or inf")
        return arr, single

    def _run_forward(self, X: np.ndarray) -> _Plan:
        plan = self._plan(X.shape[0])
        V = plan.V
        V[: self.n_inputs] = X.T
        V[self._param_rows] = np.array(list(map(_data, self.params)), dtype=np.float64)[:, None]
        take = np.take
        with np.errstate(all="ignore"):
            for step in plan.steps:
                for rows, buffer in step.takes:
                    take(V, rows, axis=0, out=buffer)
                mode = step.mode
                if mode == 0:
                    step.group.prim.np_forward(*step.args, out=step.out)
                elif mode == 1:
                    _sum_terms(step.args[0], step.out)
                else:
                    step.out[...] = step.group.prim.np_forward(*step.args)
        if not np.isfinite(V).all():
            self._raise_non_finite(plan)
        return plan

    def _raise_non_finite(self, plan: _Plan) -> None:
        """Raise the error the eager engine would raise, for the first non-finite node."""
        for step in plan.steps:
            bad = ~np.isfinite(step.out)
            if not bad.any():
                continue
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            sample = position[-1]
            where = f"compiled program, batch row {sample}"
            if step.group.prim is None:
                raise OverflowError(f"{where}: a sum overflows a float")
            scalars = [
                float(np.broadcast_to(r.array, step.out.shape)[position]) for r in step.readers
            ]
            try:
                step.group.prim.forward(*scalars)  # the eager kernel raises its own clear error
            except (ArithmeticError, ValueError) as err:
                raise type(err)(f"{where}: {err}") from None
            shown = f" {step.group.prim.name} ".join(repr(x) for x in scalars)
            raise OverflowError(f"{where}: {shown} overflows a float")

    def forward(self, X: Any) -> np.ndarray:
        """The outputs for a batch: ``X`` of shape (batch, inputs) -> (batch, outputs).

        A single sample of shape (inputs,) gives an array of shape (outputs,).
        """
        arr, single = self._as_batch(X)
        plan = self._run_forward(arr)
        out = plan.V[self._output_rows].T.copy()
        return out[0] if single else out

    __call__ = forward

    def value_and_grad(
        self, X: Any, output: int = 0, reduction: str = "mean", input_grads: bool = False
    ) -> tuple[np.ndarray, ...]:
        """Outputs for the batch and d(reduced output)/d(param) for every parameter.

        ``reduction`` is "mean" or "sum" over the batch of output column ``output``.
        Returns ``(outputs (batch, n_outputs), param_grads (n_params,))``, and with
        ``input_grads=True`` also d(reduced output)/d(inputs), shape (batch, n_inputs).
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        if not (isinstance(output, int) and 0 <= output < self.n_outputs):
            raise ValueError(f"output must be an int in [0, {self.n_outputs}), got {output!r}")
        arr, _ = self._as_batch(X)
        batch = arr.shape[0]
        plan = self._run_forward(arr)
        V, G = plan.V, plan.G
        G.fill(0.0)
        # d(reduced)/d(output of sample b): 1/batch for the mean, 1 for the sum
        G[self._output_rows[output]] = 1.0 / batch if reduction == "mean" else 1.0
        with np.errstate(all="ignore"):
            for step in reversed(plan.steps):
                self._backward_step(step, G, batch)
        # The eager engine adds each sample's contribution to a parameter's grad from the
        # last sample to the first (reverse topological order); sum in that order.
        # (Accumulating along the outer axis keeps numpy's inner loop vectorised.)
        grads = fold_sum(G[self._param_rows].T[::-1], axis=0)
        if not np.isfinite(grads).all():
            raise OverflowError("compiled backward: a parameter gradient overflowed")
        outputs = V[self._output_rows].T.copy()
        if input_grads:
            return outputs, grads, G[: self.n_inputs].T.copy()
        return outputs, grads

    @staticmethod
    def _backward_step(step: _Step, G: np.ndarray, batch: int) -> None:
        g = step.group
        upstream = step.upstream
        if g.prim is None:
            locals_: Sequence[Any] = (1.0,)  # d(sum)/d(term) = 1
        else:
            try:
                locals_ = g.prim.deriv(*step.args, step.out)
            except (ArithmeticError, ValueError) as err:
                raise type(err)(f"compiled backward through '{g.prim.name}': {err}") from err
        for k, kind, target, rows, order in step.grads:
            d = locals_[k]
            # chain rule: parent gradient += upstream gradient * local derivative
            if type(d) is float:
                if d == 0.0:
                    continue
                contribution = upstream if d == 1.0 else upstream * d
            else:
                contribution = upstream * d
            if kind == _TILE:
                # the blocks all read the same rows: their gradients add up (in eager order)
                if order is not None:
                    contribution = contribution[order]
                target += fold_sum(contribution, axis=0)
            elif target is not None:
                target += contribution
            else:
                flat = np.broadcast_to(contribution, (*g.shape, batch)).reshape(-1, batch)
                if kind == _GATHER:
                    G[rows] += flat
                else:
                    np.add.at(G, rows, flat)

    def backward(self, X: Any, output: int = 0, reduction: str = "mean") -> float:
        """Like ``loss.backward()`` for the reduced loss: add its gradient to each ``p.grad``.

        Returns the reduced loss (mean or sum over the batch of output column ``output``).
        """
        outputs, grads = self.value_and_grad(X, output=output, reduction=reduction)
        for p, g in zip(self.params, grads.tolist(), strict=True):
            p.grad += g
        # sum(losses) * (1/n), left to right: the arithmetic of the eager mean
        column = outputs[:, output].tolist()
        total = column[0]
        for v in column[1:]:
            total += v
        return total * (1.0 / len(column)) if reduction == "mean" and len(column) > 1 else total


def _example_rows(X: np.ndarray, count: int) -> list[np.ndarray]:
    """Up to ``count`` distinct rows of X, spread over the data."""
    picks: list[np.ndarray] = []
    for k in np.unique(np.linspace(0, len(X) - 1, num=min(len(X), 3 * count)).astype(int)):
        if not any(np.array_equal(X[k], r) for r in picks):
            picks.append(X[k])
        if len(picks) == count:
            break
    return picks


def compile(
    fn: Callable[..., Value | Sequence[Value]],
    example_inputs: Any,
    params: Iterable[Value] = (),
    *,
    check: int = 3,
) -> Program:
    """Record ``fn(*inputs)`` once and return a :class:`Program` that replays it in batches.

    ``fn`` takes one Value per input column and returns a Value (or a list of them);
    ``params`` are the leaf Values (weights, biases) whose gradients you want — every
    other leaf is baked in as a constant. ``example_inputs`` is a 2-D array of sample
    rows: the graph is recorded on up to ``check`` distinct rows and must be the same
    each time, otherwise a :class:`DataDependentGraphError` says where it differs.
    """
    X = np.asarray(example_inputs, dtype=np.float64)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.size == 0:
        raise ValueError(
            "compile: example_inputs must be a non-empty 2-D array (rows are samples), "
            f"got shape {np.shape(example_inputs)}"
        )
    params = list(params)
    recordings = []
    with enable_grad():
        for row in _example_rows(X, max(1, check)):
            inputs = [Value(float(v), f"x{i}") for i, v in enumerate(row)]
            result = fn(*inputs)
            if isinstance(result, Value):
                outputs = [result]
            elif isinstance(result, (list, tuple)):
                outputs = list(result)
            else:
                outputs = []
            if not outputs or not all(isinstance(o, Value) for o in outputs):
                raise TypeError(
                    f"compile: fn must return a Value or a list of Values, got {result!r:.80}"
                )
            order = _multi_toposort(outputs)
            recordings.append((outputs, inputs, _signature(order, inputs, params)))
    first_outputs, first_inputs, first_sig = recordings[0]
    for _, _, sig in recordings[1:]:
        if sig != first_sig:
            raise DataDependentGraphError(
                "compile: the graph depends on the input data ("
                + _describe_difference(first_sig, sig)
                + "), so one recording cannot stand for every sample; use the eager engine"
            )
    return Program(first_outputs, first_inputs, params)
