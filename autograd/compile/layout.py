"""Stage 2 of the compiler: lay the recorded graph out as rows and vectorised groups.

* every node becomes a row of a ``(rows, batch)`` array: inputs first, then parameters,
  constants, and the computed nodes in depth order;
* a chain of additions ``((t0 + t1) + t2) + ...`` whose partial sums are used nowhere
  else (a neuron's weighted sum) becomes one *sum* node, a left fold, so it adds in
  exactly the eager order (:func:`fuse_sums`);
* nodes are grouped by depth (the longest path from a leaf) and by operation: a group's
  nodes are independent of each other, so each group is one vectorised numpy call;
* each operand of a group gets the cheapest :class:`Access` to its rows: a strided
  view (no copy), a tile broadcast over the group's blocks (a layer's inputs, read by
  every neuron), or a gather into a buffer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import ops
from autograd.value import Value

__all__ = [
    "Access",
    "Dense",
    "Group",
    "Layout",
    "Operand",
    "ProgramNode",
    "find_dense",
    "fuse_sums",
    "lay_out",
]


@dataclass(eq=False)
class ProgramNode:
    """A node of the program: a primitive applied to parents, or a fused sum of terms."""

    value: Value  # the eager node it stands for
    prim: ops.Primitive | None  # None for a fused sum
    parents: list[Value]


class Access(enum.Enum):
    """How a group reads one operand's rows of the (rows, batch) array."""

    AFFINE = "affine"  # distinct rows at start + j*s_j + i*s_i: a strided view, no copy
    TILE = "tile"  # the same run of rows for every block of the group (a layer's inputs)
    GATHER = "gather"  # distinct rows in no regular order: gathered into a buffer
    GATHER_DUP = "gather_dup"  # rows with repeats: np.add.at scatters their gradients


def _progression(idx: np.ndarray) -> slice | None:
    """idx as a slice, if it is an increasing arithmetic progression."""
    if len(idx) == 1:
        return slice(int(idx[0]), int(idx[0]) + 1)
    steps = np.diff(idx)
    if steps[0] > 0 and np.all(steps == steps[0]):
        return slice(int(idx[0]), int(idx[-1]) + 1, int(steps[0]))
    return None


@dataclass
class Operand:
    """Rows of one operand of a group, shaped like the group."""

    access: Access
    rows: slice | np.ndarray  # TILE: the base run of rows; GATHER*: row indices
    needs_grad: bool
    start: int = 0  # AFFINE: first row ...
    strides: tuple[int, ...] = ()  # ... and the row step along each axis of the group shape
    # TILE: the order in which to add up the blocks' gradients (None: 0, 1, 2, ...)
    block_order: slice | np.ndarray | None = None
    # every row it reads is a program input: its gradient is wanted only on request
    inputs_only: bool = False


@dataclass
class Group:
    """Nodes of one depth and one operation: one vectorised call.

    ``shape`` is the group's shape before the batch axis: (nodes,) in general,
    (blocks, width) when an operand is a tile that broadcasts over the blocks, and
    (nodes, terms) for a fused sum.
    """

    prim: ops.Primitive | None  # None: fused sum
    out: slice  # rows written by this group (contiguous)
    operands: list[Operand]
    shape: tuple[int, ...]


def _tile_shape(idx: np.ndarray) -> tuple[int, slice] | None:
    """(blocks, base) if idx is one run of distinct rows ``base`` repeated ``blocks`` times."""
    n = len(idx)
    for width in range(1, n // 2 + 1):
        if n % width == 0 and np.array_equal(idx, np.tile(idx[:width], n // width)):
            base = _progression(idx[:width])
            return (n // width, base) if base is not None else None
    return None


def _classify(
    idx: np.ndarray, shape: tuple[int, ...], needs_grad: bool, inputs_only: bool
) -> Operand:
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
            return Operand(Access.AFFINE, idx, needs_grad, start, strides, None, inputs_only)
    kind = Access.GATHER if distinct else Access.GATHER_DUP
    return Operand(kind, idx, needs_grad, inputs_only=inputs_only)


def _block_order(members: list[ProgramNode], shape: tuple[int, ...], position: dict) -> Any:
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


@dataclass
class Layout:
    """Where every node lives and how it is computed: the output of :func:`lay_out`."""

    groups: list[Group]  # in depth order: each reads only rows written before it
    rows: int  # rows of the value and gradient arrays
    param_rows: slice
    const_rows: slice
    const_values: np.ndarray
    output_rows: np.ndarray
    depth: int  # the longest path from a leaf to an output


def fuse_sums(order: list[Value], outputs: list[Value]) -> dict[Value, ProgramNode]:
    """Program nodes: each primitive node, with left-fold addition chains fused."""
    uses: dict[Value, int] = {}
    for node in order:
        for p in node.parents:
            uses[p] = uses.get(p, 0) + 1
    keep = set(outputs)
    nodes: dict[Value, ProgramNode] = {}
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
                nodes[node] = ProgramNode(node, None, [*absorbed.parents, parents[1]])
                continue
        nodes[node] = ProgramNode(node, prim, parents)
    # A lone a + b stays an ordinary ADD; only chains become sums.
    for node, pn in list(nodes.items()):
        if pn.prim is None and len(pn.parents) == 2:
            nodes[node] = ProgramNode(node, ops.ADD, pn.parents)
    return nodes


def lay_out(
    order: list[Value],
    nodes: dict[Value, ProgramNode],
    outputs: list[Value],
    inputs: list[Value],
    params: list[Value],
) -> Layout:
    """Rows for every node and the groups that compute them, in depth order."""
    n_inputs = len(inputs)
    row: dict[Value, int] = {}
    for i, x in enumerate(inputs):
        row[x] = i
    for i, p in enumerate(params):
        row[p] = n_inputs + i
    leaves = [n for n in order if n.is_leaf()]
    constants = [n for n in leaves if n not in row]
    first_const = n_inputs + len(params)
    for k, c in enumerate(constants):
        row[c] = first_const + k
    const_set = set(constants)

    position = {node: k for k, node in enumerate(order)}
    # Depth of program nodes: leaves 0, else 1 + the deepest parent (or term).
    depth: dict[Value, int] = {leaf: 0 for leaf in leaves}
    for node in order:
        pn = nodes.get(node)
        if pn is not None:
            depth[node] = 1 + max(depth[p] for p in pn.parents)
    buckets: dict[tuple, list[ProgramNode]] = {}
    for node in order:
        pn = nodes.get(node)
        if pn is not None:
            key = (depth[node], id(pn.prim)) if pn.prim else (depth[node], "sum", len(pn.parents))
            buckets.setdefault(key, []).append(pn)

    next_row = first_const + len(constants)
    groups: list[Group] = []
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
            operands = [_classify(idx, shape, needs, bool(np.all(idx < n_inputs)))]
            groups.append(Group(None, slice(start, next_row), operands, shape))
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
            Operand(
                Access.TILE,
                tiles[k],
                needs,
                block_order=_block_order(members, shape, position),
                inputs_only=bool(np.all(idx < n_inputs)),
            )
            if k in tiles
            else _classify(idx, shape, needs, bool(np.all(idx < n_inputs)))
            for k, (idx, needs) in enumerate(columns)
        ]
        groups.append(Group(prim, slice(start, next_row), operands, shape))
    return Layout(
        groups=groups,
        rows=next_row,
        param_rows=slice(n_inputs, first_const),
        const_rows=slice(first_const, first_const + len(constants)),
        const_values=np.array([c.data for c in constants], dtype=np.float64),
        output_rows=np.array([row[o] for o in outputs], dtype=np.intp),
        depth=max(depth.values(), default=0),
    )


@dataclass
class Dense:
    """A layer's weighted sums, ``z_j = sum_i W_ji x_i`` for every neuron j: a matrix product.

    Found by :func:`find_dense` for ``Program(exact=False)``: a fused-sum group whose
    terms are exactly the rows of one multiplication group, parameter times layer input,
    read by nothing else. The product ``W @ x`` replaces both (BLAS adds in its own
    order, so the sums agree with the eager ones to rounding, not to the bit).
    """

    sum_group: int  # index of the fused-sum group it computes
    mul_group: int  # index of the multiplication group it makes unnecessary
    weights: np.ndarray  # (blocks, width) parameter indices: W_ji is params[weights[j, i]]
    inputs: slice | np.ndarray  # the ``width`` rows of the layer input x
    inputs_need_grad: bool
    inputs_only: bool  # x is a program input: its gradient only on request
    strides: tuple[int, int, int] | None = None  # W as a view of the parameters (_affine)


def _readers(groups: list[Group], rows: int) -> np.ndarray:
    """How many group operands read each row (a tile counts once per row)."""
    count = np.zeros(rows, dtype=np.intp)
    for g in groups:
        for op in g.operands:
            if isinstance(op.rows, slice):
                count[op.rows] += 1
            else:
                np.add.at(count, op.rows, 1)
    return count


def _affine(weights: np.ndarray) -> tuple[int, int, int] | None:
    """(first, row step, column step) when ``weights[j, i] == first + j*row + i*col`` (an
    MLP's parameters, neuron after neuron: W is then a strided view of the parameter
    vector, no gather), else None."""
    blocks, width = weights.shape
    first = int(weights[0, 0])
    row = int(weights[1, 0] - first) if blocks > 1 else 0
    col = int(weights[0, 1] - first) if width > 1 else 0
    if row < 0 or col < 0:
        return None
    expected = first + row * np.arange(blocks)[:, None] + col * np.arange(width)[None, :]
    return (first, row, col) if np.array_equal(weights, expected) else None


def find_dense(layout: Layout, n_inputs: int, n_params: int) -> list[Dense]:
    """Every weighted sum of the layout that is a matrix product (see :class:`Dense`)."""
    groups = layout.groups
    by_start = {g.out.start: k for k, g in enumerate(groups)}
    readers = _readers(groups, layout.rows)
    outputs = layout.output_rows
    found = []
    for s, g in enumerate(groups):
        if g.prim is not None or len(g.operands) != 1:
            continue
        blocks, width = g.shape
        (terms,) = g.operands
        m = by_start.get(terms.start) if terms.access is Access.AFFINE else None
        if m is None or terms.strides not in ((width, 1), (0, 1)):
            continue
        mul = groups[m]
        n_terms = mul.out.stop - mul.out.start
        if mul.prim is not ops.MUL or n_terms != blocks * width:
            continue
        used_elsewhere = np.any(readers[mul.out] != 1) or np.any(
            (outputs >= mul.out.start) & (outputs < mul.out.stop)
        )
        if used_elsewhere:
            continue  # a product is used elsewhere too: it must stay
        dense = _dense_operands(mul, blocks, width, n_inputs, n_params)
        if dense is not None:
            weights, x = dense
            found.append(
                Dense(s, m, weights, x.rows, x.needs_grad, x.inputs_only, _affine(weights))
            )
    return found


def _dense_operands(
    mul: Group, blocks: int, width: int, n_inputs: int, n_params: int
) -> tuple[np.ndarray, Operand] | None:
    """(parameter indices (blocks, width), the layer-input operand) of a product group
    ``W_ji * x_i`` (either way round), or None when it is not one."""
    for k in (0, 1):
        w, x = mul.operands[k], mul.operands[1 - k]
        if isinstance(w.rows, slice) or w.access not in (Access.AFFINE, Access.GATHER):
            continue
        if not np.all((w.rows >= n_inputs) & (w.rows < n_inputs + n_params)):
            continue  # W must be parameters: the same numbers for every sample
        if mul.shape == (blocks, width) and x.access is Access.TILE:
            return (w.rows.reshape(blocks, width) - n_inputs, x)
        if blocks == 1 and mul.shape == (width,) and x.access is Access.AFFINE:
            return (w.rows.reshape(1, width) - n_inputs, x)
    return None
