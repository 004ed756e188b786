"""Stage 3 of the compiler: run a laid-out graph over batches, forward and backward.

Buffers and views are planned once per batch size (:class:`_Plan`) and reused, so a
replay is a tight loop of numpy calls with no allocation of the big arrays. The forward
pass runs the groups in depth order, each with the same float kernels as the eager
engine; the backward pass walks them in reverse with the *same* derivative rules (the
rules of :mod:`autograd.ops` accept arrays) and sums each parameter's gradient over the
batch, from the last sample to the first, as ``backward`` adds them.

With ``exact=False`` a layer's weighted sums become one matrix product (BLAS), forward
and backward (:class:`~autograd.compile.layout.Dense`), the transcendental kernels use
numpy's vectorised ones (:func:`autograd.numerics.vector_math`) and sums over the batch
are numpy's: the same formulas, agreeing with the eager engine to rounding rather than
to the last bit, for a fraction of the time on wide layers.
"""

from __future__ import annotations

import enum
import numbers
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from autograd.compile.layout import Access, Dense, Group, Operand, find_dense, fuse_sums, lay_out
from autograd.compile.record import multi_toposort
from autograd.numerics import VECTOR_UFUNCS, fold_sum, vector_math
from autograd.value import Value

__all__ = ["GradTarget", "Program", "StepMode"]


def _sum_terms(terms: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Left-to-right sum over axis -2 of (..., terms, batch): ((t0 + t1) + t2) + ..."""
    out[...] = fold_sum(terms, axis=-2)
    return out


def _locals_where_needed(step: _Step) -> tuple[np.ndarray, ...]:
    """The rule's partials element by element where the upstream gradient is not 0 (0
    elsewhere, where nothing flows), as ``backward`` evaluates them; a clear error, naming
    the batch row, where a needed one does not exist."""
    prim = step.group.prim
    shape = step.out.shape
    args = [np.broadcast_to(a, shape) for a in step.args]
    upstream = np.broadcast_to(step.upstream, shape)
    partials = [np.zeros(shape) for _ in range(prim.arity)]
    for idx in map(tuple, np.argwhere(upstream != 0.0)):
        try:
            local = prim.deriv(*(float(a[idx]) for a in args), float(step.out[idx]))
        except (ArithmeticError, ValueError) as err:
            raise type(err)(
                f"compiled backward through '{prim.name}', batch row {idx[-1]}: {err}"
            ) from err
        for k in range(prim.arity):
            partials[k][idx] = float(local[k])
    return tuple(partials)


def _check_user_array_forms(nodes: dict[Any, list[Value]], most: int = 256) -> None:
    """Check each user-defined primitive's ``np_forward`` against its ``forward`` on its
    recorded nodes (the replay trusts it): element by element, the same shape, the same
    numbers to rounding. A wrong array form is an error here, not a wrong loss later."""
    for prim, used in nodes.items():
        used = used[:most]
        used = used + used[::-1]  # (at least two elements, even for a lone node)
        args = [np.array([n.parents[k].data for n in used]) for k in range(prim.arity)]
        want = np.array([n.data for n in used])
        name = f"compile: np_forward of primitive {prim.name!r}"
        try:
            with np.errstate(all="ignore"):
                got = np.asarray(prim.np_forward(*args), dtype=np.float64)
        except Exception as err:  # a user's function: any failure is its own
            raise TypeError(f"{name} fails on numpy arrays: {type(err).__name__}: {err}") from err
        if got.shape != want.shape:
            raise ValueError(
                f"{name} returns shape {got.shape} for inputs of shape {want.shape}: it "
                "must work element by element"
            )
        bad = np.flatnonzero(~np.isclose(got, want, rtol=1e-9, atol=1e-12))
        if len(bad):
            i = int(bad[0])
            at = ", ".join(repr(float(a[i])) for a in args)
            raise ValueError(
                f"{name} disagrees with its forward at ({at}): {float(got[i])!r} against "
                f"{float(want[i])!r}"
            )


def _real_array(X: Any, what: str) -> np.ndarray:
    """X as a float64 array; a TypeError for anything but real numbers (strings, bools,
    complex numbers and objects are refused, as ``Value`` refuses them)."""
    try:
        raw = np.asarray(X)
    except ValueError as err:  # ragged rows
        raise ValueError(f"compiled program: {what} must be a rectangular array: {err}") from None
    if raw.dtype.kind == "O":  # mixed Python objects: each must be a real number
        for v in raw.flat:
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"compiled program: {what} must hold real numbers, got {v!r:.40}")
        raw = raw.astype(np.float64)
    if raw.dtype.kind not in "fiu":
        raise TypeError(f"compiled program: {what} must hold real numbers, got dtype {raw.dtype}")
    return raw.astype(np.float64, copy=False)


def _weights(vector: np.ndarray, step: _Step) -> np.ndarray:
    """A DENSE step's W, (blocks, width), read from a vector in the order of the params:
    a strided view when the indices allow one (writing into it writes the vector), else a
    gathered copy."""
    assert step.dense is not None
    if step.dense.strides is None:
        return vector[step.dense.weights]
    first, row, col = step.dense.strides
    item = vector.strides[0]
    if vector.flags.c_contiguous:  # (np.ndarray over the buffer: cheaper than as_strided)
        return np.ndarray(
            step.dense.weights.shape,
            np.float64,
            buffer=vector,
            offset=first * item,
            strides=(row * item, col * item),
        )
    return np.lib.stride_tricks.as_strided(
        vector[first:], shape=step.dense.weights.shape, strides=(row * item, col * item)
    )


def _check_upstream(step: _Step, upstream: np.ndarray) -> None:
    """The gradient arriving at a step is finite, or an OverflowError naming it: each
    contribution to it was finite, so their sum overflowed (a node read many times)."""
    if np.isfinite(upstream).all():
        return
    row = int(np.argwhere(~np.isfinite(upstream))[0][-1])
    what = f"'{step.group.prim.name}'" if step.group.prim is not None else "a sum"
    raise OverflowError(
        f"compiled backward, batch row {row}: the gradient of {what} overflows a float "
        "(the sum of its consumers' contributions)"
    )


def _careful(step: _Step, k: int, upstream: np.ndarray, d: Any, contribution: Any) -> Any:
    """A contribution as the eager engine makes it: nothing where no gradient flows (so
    0 * inf is 0, not nan), and where one does, finite or a clear error naming the step."""
    _check_upstream(step, upstream)
    contribution = np.where(upstream != 0.0, contribution, 0.0)
    if np.isfinite(contribution).all():
        return contribution
    prim = step.group.prim
    assert prim is not None  # a sum's contributions are its (finite) upstream gradient
    shape = contribution.shape
    idx = tuple(int(i) for i in np.argwhere(~np.isfinite(contribution))[0])
    args = [float(np.broadcast_to(a, shape)[idx]) for a in step.args]
    where = f"compiled backward through '{prim.name}', batch row {idx[-1]}"
    try:
        local = prim.deriv(*args, float(np.broadcast_to(step.out, shape)[idx]))
    except (ArithmeticError, ValueError) as err:
        raise type(err)(f"{where}: {err}") from None
    up = float(upstream[idx])
    raise OverflowError(f"{where}: the gradient {up!r} * {float(local[k])!r} overflows a float")


class StepMode(enum.Enum):
    """How a step computes its group's values."""

    UFUNC = "ufunc"  # a numpy ufunc, writing into the group's rows (out=)
    SUM = "sum"  # a fused sum: a left fold over the terms
    CALL = "call"  # any other array function, its result assigned
    DENSE = "dense"  # a layer's weighted sums as one matrix product (exact=False)


class GradTarget(NamedTuple):
    """Where one operand of a step sends its gradient (a tuple: the hot loop unpacks it)."""

    position: int  # which operand
    access: Access
    target: np.ndarray | None  # a view of G to add into, or None: scatter by rows
    rows: Any
    block_order: Any  # TILE: the order in which the blocks' gradients are added


@dataclass
class _Reader:
    """How one operand's values are obtained: a fixed view, or a gather into a buffer."""

    array: np.ndarray  # the view, or the buffer the gather fills
    take: np.ndarray | None = None  # row indices to gather (None: ``array`` is a view)
    take_out: np.ndarray | None = None  # ``array`` as (rows, batch), np.take's out=


@dataclass
class _Step:
    """One group, bound to the plan's buffers, with everything the hot loops need."""

    group: Group
    readers: list[_Reader]
    out: np.ndarray  # view of V, shaped (*group shape, batch) ((nodes, batch) for a sum)
    upstream: np.ndarray  # the matching view of G (broadcast over the terms for a sum)
    takes: tuple[tuple[np.ndarray, np.ndarray], ...]  # gathers to run first: (rows, out)
    args: tuple[np.ndarray, ...]  # the operands' arrays
    mode: StepMode
    grads: tuple[GradTarget, ...]  # one per operand that needs a gradient
    param_grads: tuple[GradTarget, ...]  # those, but for the operands that read only inputs
    kernel: Any = None  # UFUNC, CALL: the forward on arrays
    dense: Dense | None = None  # DENSE: the product it computes
    matrix: np.ndarray | None = None  # DENSE: W, read from the parameters each forward


@dataclass
class _Plan:
    """Preallocated value and gradient arrays for one batch size, and the steps over them."""

    V: np.ndarray
    G: np.ndarray
    steps: list[_Step] = field(default_factory=list)
    live: list[slice] = field(default_factory=list)  # exact=False: the computed rows in use


class Program:
    """A recorded graph, replayed over batches of inputs (see :func:`compile`).

    One Program may be shared by threads: its replays take turns, each on its own
    numbers. It can be copied and pickled (the copy plans its own buffers).
    """

    _MAX_PLANS = 8  # batch sizes whose buffers are kept (a training loop uses two or three)

    def __init__(
        self,
        outputs: Value | Sequence[Value],
        inputs: Sequence[Value],
        params: Sequence[Value] = (),
        *,
        exact: bool = True,
    ) -> None:
        if not isinstance(exact, bool):
            raise TypeError(f"compile: exact must be True or False, got {exact!r}")
        self.exact = exact
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

        order = multi_toposort(outputs)
        user: dict[Any, list[Value]] = {}  # the nodes of each user-defined primitive
        for node in order:
            prim = node.primitive
            if prim is None or not prim.user:
                continue
            if prim.np_forward is None:
                raise TypeError(
                    f"compile: the primitive {prim.name!r} has no array form; declare it "
                    "with np_forward=... (a function of numpy arrays) to compile graphs "
                    "that use it"
                )
            user.setdefault(prim, []).append(node)
        _check_user_array_forms(user)
        self.n_inputs = len(self.inputs)
        self.n_outputs = len(outputs)
        self.num_nodes = len(order)
        self._layout = lay_out(order, fuse_sums(order, outputs), outputs, self.inputs, self.params)
        self.depth = self._layout.depth
        self._plans: OrderedDict[int, _Plan] = OrderedDict()
        # A replay writes the plan's buffers: two threads replaying one Program at once
        # would mix their numbers, so replays take turns (compile one per thread to run
        # them in parallel).
        self._lock = threading.Lock()
        self._dense: dict[int, Dense] = {}
        self._skip: set[int] = set()
        if not exact:
            self._dense = {d.sum_group: d for d in find_dense(self._layout, *self._sizes())}
            self._skip = {d.mul_group for d in self._dense.values()}
        self._constants_finite = bool(np.isfinite(self._layout.const_values).all())
        # Parameters some step reads from the (rows, batch) array; exact=False reads the
        # weights of a matrix product from the parameter vector instead.
        self._array_params = self._params_read_by_steps()

    def _sizes(self) -> tuple[int, int]:
        return self.n_inputs, len(self.params)

    def _params_read_by_steps(self) -> np.ndarray:
        """Indices of the parameters that steps read from the (rows, batch) array: all of
        them but the weights of matrix products (a DENSE step reads those from the
        parameter vector, and the products it replaces are skipped)."""
        n_in, n_params = self._sizes()
        read = np.zeros(n_params, dtype=bool)
        for k, g in enumerate(self._layout.groups):
            if k in self._skip:
                continue
            dense = self._dense.get(k)
            for rows in [dense.inputs] if dense is not None else [op.rows for op in g.operands]:
                if isinstance(rows, slice):
                    rows = np.arange(rows.start, rows.stop, rows.step or 1)
                inside = rows[(rows >= n_in) & (rows < n_in + n_params)]
                read[inside - n_in] = True
        outputs = self._layout.output_rows  # a parameter that is itself an output
        read[outputs[(outputs >= n_in) & (outputs < n_in + n_params)] - n_in] = True
        return np.flatnonzero(read)

    # ------------------------------------------------------------------ planning
    def _plan(self, batch: int) -> _Plan:
        plan = self._plans.get(batch)
        if plan is not None:
            self._plans.move_to_end(batch)
            return plan
        layout = self._layout
        V = np.zeros((layout.rows, batch), dtype=np.float64)
        G = np.zeros((layout.rows, batch), dtype=np.float64)
        V[layout.const_rows] = layout.const_values[:, None]
        plan = _Plan(V, G)
        for index, g in enumerate(layout.groups):
            if index in self._skip:
                continue  # a product that a DENSE step computes as part of W @ x
            out_shape = (*g.shape, batch) if g.prim is not None else (g.shape[0], batch)
            out = V[g.out].reshape(out_shape)
            upstream = G[g.out].reshape(out_shape)
            dense = self._dense.get(index)
            if dense is not None:
                plan.steps.append(
                    _Step(g, [], out, upstream, (), (), StepMode.DENSE, (), (), dense=dense)
                )
                continue
            readers = [self._reader(V, op, g, batch) for op in g.operands]
            if g.prim is None:
                upstream = upstream[:, None, :]  # every term of a sum gets the sum's gradient
                mode = StepMode.SUM
            else:
                kernel = g.prim.np_forward
                if not self.exact:  # numpy's own ufunc where that is the vector form
                    kernel = VECTOR_UFUNCS.get(kernel, kernel)
                mode = StepMode.UFUNC if isinstance(kernel, np.ufunc) else StepMode.CALL
            grads = tuple(
                GradTarget(k, op.access, self._target(G, op, g, batch), op.rows, op.block_order)
                for k, op in enumerate(g.operands)
                if op.needs_grad
            )
            # (the inputs' gradients only when asked for: training never needs them)
            param_grads = tuple(t for t in grads if not g.operands[t.position].inputs_only)
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
                    param_grads=param_grads,
                    kernel=None if g.prim is None else kernel,
                )
            )
        if not self.exact:
            plan.live = self._live_rows()
        self._plans[batch] = plan
        if len(self._plans) > self._MAX_PLANS:
            self._plans.popitem(last=False)
        return plan

    def _live_rows(self) -> list[slice]:
        """The computed rows a replay with exact=False writes, as runs: all but the
        products that matrix products replace (a handful of runs, one per layer)."""
        layout = self._layout
        first = layout.const_rows.stop  # the first computed row
        live = np.ones(layout.rows - first, dtype=bool)
        for k in self._skip:
            out = layout.groups[k].out
            live[out.start - first : out.stop - first] = False
        edges = np.flatnonzero(np.diff(np.concatenate(([0], live.astype(np.int8), [0]))))
        return [
            slice(first + int(a), first + int(b))
            for a, b in zip(edges[::2], edges[1::2], strict=True)
        ]

    @staticmethod
    def _strided(A: np.ndarray, op: Operand, shape: tuple[int, ...]) -> np.ndarray:
        """The rows start + sum_a j_a * stride_a of A, as a view of shape (*shape, batch)."""
        row_bytes = A.strides[0]
        return np.lib.stride_tricks.as_strided(
            A[op.start :],
            shape=(*shape, A.shape[1]),
            strides=(*(s * row_bytes for s in op.strides), A.strides[1]),
        )

    @classmethod
    def _reader(cls, V: np.ndarray, op: Operand, g: Group, batch: int) -> _Reader:
        if op.access is Access.TILE:
            return _Reader(V[op.rows][None])  # (1, width, batch): broadcasts over blocks
        if op.access is Access.AFFINE:
            return _Reader(cls._strided(V, op, g.shape))
        buffer = np.empty((*g.shape, batch), dtype=np.float64)
        return _Reader(buffer, op.rows, buffer.reshape(len(op.rows), batch))

    @classmethod
    def _target(cls, G: np.ndarray, op: Operand, g: Group, batch: int) -> np.ndarray | None:
        if not op.needs_grad:
            return None
        if op.access is Access.TILE:
            return G[op.rows]  # (width, batch): the blocks' gradients are summed into it
        if op.access is Access.AFFINE:
            return cls._strided(G, op, g.shape)  # distinct rows: safe to add into
        return None

    # ------------------------------------------------------------------ info
    @property
    def num_groups(self) -> int:
        """How many vectorised calls one forward pass makes."""
        return len(self._layout.groups)

    @property
    def num_dense(self) -> int:
        """How many layers' weighted sums run as one matrix product (0 when exact)."""
        return len(self._dense)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]  # (a lock cannot be pickled or copied: a copy gets its own)
        state["_plans"] = OrderedDict()  # buffers are planned again on first use
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        fast = f", exact=False, dense={self.num_dense}" if not self.exact else ""
        return (
            f"Program(inputs={self.n_inputs}, outputs={self.n_outputs}, "
            f"params={len(self.params)}, nodes={self.num_nodes}, groups={self.num_groups}, "
            f"depth={self.depth}{fast})"
        )

    # ------------------------------------------------------------------ running
    def _as_batch(self, X: Any) -> tuple[np.ndarray, bool]:
        arr = _real_array(X, "inputs")
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
            row, column = (int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise ValueError(
                f"compiled program: inputs[{row}][{column}] is {float(arr[row, column])!r} "
                "(inputs must be finite numbers)"
            )
        return arr, single

    def _param_values(self, values: Any) -> np.ndarray:
        """The parameters' values: ``values`` checked, or each ``p.data`` read."""
        n = len(self.params)
        if values is None:
            return np.fromiter((p.data for p in self.params), np.float64, n)
        arr = _real_array(values, "param_values")
        if arr.shape != (n,):
            raise ValueError(
                f"compiled program: param_values must have shape ({n},), got {np.shape(values)}"
            )
        return arr

    def _run_forward(self, X: np.ndarray, param_values: Any = None) -> _Plan:
        plan = self._plan(X.shape[0])
        V = plan.V
        V[: self.n_inputs] = X.T
        values = self._param_values(param_values)
        if self.exact:
            V[self._layout.param_rows] = values[:, None]
            self._forward_steps(plan)
            finite = np.isfinite(V).all()
        else:
            rows = self.n_inputs + self._array_params
            V[rows] = values[self._array_params][:, None]
            for step in plan.steps:
                if step.dense is not None:
                    step.matrix = _weights(values, step)
            with vector_math():
                self._forward_steps(plan)
            # every row a step wrote (the inputs were checked, the constants are finite
            # numbers, the skipped products' rows are never written)
            finite = (
                self._constants_finite
                and np.isfinite(values).all()
                and all(np.isfinite(V[rows]).all() for rows in plan.live)
            )
        if not finite:
            self._raise_non_finite(plan, values)
        return plan

    @staticmethod
    def _forward_steps(plan: _Plan) -> None:
        V = plan.V
        take = np.take
        with np.errstate(all="ignore"):
            for step in plan.steps:
                for rows, buffer in step.takes:
                    take(V, rows, axis=0, out=buffer)
                mode = step.mode
                if mode is StepMode.UFUNC:
                    step.kernel(*step.args, out=step.out)
                elif mode is StepMode.SUM:
                    _sum_terms(step.args[0], step.out)
                elif mode is StepMode.DENSE:
                    # z_j = sum_i W_ji x_i for every neuron j and sample: z = W @ x
                    np.matmul(step.matrix, V[step.dense.inputs], out=step.out)
                else:
                    try:
                        step.out[...] = step.kernel(*step.args)
                    except TypeError as err:
                        raise TypeError(
                            f"compiled forward: np_forward of primitive "
                            f"{step.group.prim.name!r} failed on numpy arrays: {err}"
                        ) from err

    def _raise_non_finite(self, plan: _Plan, values: np.ndarray) -> None:
        """Raise the error the eager engine would raise, for the first non-finite node."""
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise ValueError(
                f"compiled program: parameter {int(bad[0])} is {float(values[bad[0]])!r}"
            )
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
        with self._lock:
            plan = self._run_forward(arr)
            out = plan.V[self._layout.output_rows].T.copy()
        return out[0] if single else out

    __call__ = forward

    def value_and_grad(
        self,
        X: Any,
        output: int = 0,
        reduction: str = "mean",
        input_grads: bool = False,
        param_values: Any = None,
    ) -> tuple[np.ndarray, ...]:
        """Outputs for the batch and d(reduced output)/d(param) for every parameter.

        ``reduction`` is "mean" or "sum" over the batch of output column ``output``.
        Returns ``(outputs (batch, n_outputs), param_grads (n_params,))``, and with
        ``input_grads=True`` also d(reduced output)/d(inputs), shape (batch, n_inputs).
        ``param_values`` (an array in the order of ``params``) stands in for the
        parameters' ``.data``: a training loop that keeps them in an array passes it.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        if isinstance(output, bool) or not isinstance(output, (int, np.integer)):
            raise TypeError(f"output must be an int, got {output!r}")
        if not 0 <= output < self.n_outputs:
            raise ValueError(f"output must be an int in [0, {self.n_outputs}), got {output!r}")
        output = int(output)
        if not isinstance(input_grads, bool):
            raise TypeError(f"input_grads must be True or False, got {input_grads!r}")
        arr, _ = self._as_batch(X)
        with self._lock:
            return self._replay(arr, output, reduction, input_grads, param_values)

    def _replay(
        self, arr: np.ndarray, output: int, reduction: str, input_grads: bool, param_values: Any
    ) -> tuple[np.ndarray, ...]:
        """Forward and backward over a checked batch (the caller holds the lock)."""
        batch = arr.shape[0]
        plan = self._run_forward(arr, param_values)
        grads = self._backward(plan, batch, output, reduction, input_grads, careful=False)
        if grads is None:
            # Somewhere a gradient is not finite. The eager engine asks a rule only where
            # a gradient flows, so 0 * inf is no contribution there, not nan: run again
            # that way, and name the culprit if it is still not finite.
            grads = self._backward(plan, batch, output, reduction, input_grads, careful=True)
            assert grads is not None
        outputs = plan.V[self._layout.output_rows].T.copy()
        if input_grads:
            return outputs, grads, plan.G[: self.n_inputs].T.copy()
        return outputs, grads

    def _backward(
        self,
        plan: _Plan,
        batch: int,
        output: int,
        reduction: str,
        input_grads: bool,
        careful: bool,
    ) -> np.ndarray | None:
        """The parameters' gradients (and the inputs' in G), or None if one is not finite
        (``careful``: contributions only where a gradient flows, and a clear error)."""
        V, G = plan.V, plan.G
        if self.exact:
            G.fill(0.0)
        else:
            # the rows a backward step may add into: the inputs, the parameters read from
            # the array, the constants and the computed rows (the matrix products' weights
            # and the products they replace are never touched: on a wide network they are
            # most of the array)
            G[: self.n_inputs] = 0.0
            G[self.n_inputs + self._array_params] = 0.0
            G[self._layout.const_rows] = 0.0
            for rows in plan.live:
                G[rows] = 0.0
        # d(reduced)/d(output of sample b): 1/batch for the mean, 1 for the sum
        G[self._layout.output_rows[output]] = 1.0 / batch if reduction == "mean" else 1.0
        if self.exact:
            with np.errstate(all="ignore"):
                for step in reversed(plan.steps):
                    self._backward_step(step, G, batch, input_grads, careful)
            # The eager engine adds each sample's contribution to a parameter's grad from
            # the last sample to the first (reverse topological order); sum in that order.
            # (Accumulating along the outer axis keeps numpy's inner loop vectorised.)
            grads = fold_sum(G[self._layout.param_rows].T[::-1], axis=0)
        else:
            grads = np.zeros(len(self.params))
            with np.errstate(all="ignore"), vector_math():
                for step in reversed(plan.steps):
                    if step.dense is not None:
                        self._backward_dense(step, V, G, grads, input_grads, careful)
                    else:
                        self._backward_step(step, G, batch, input_grads, careful)
            # the other parameters' per-sample gradients, summed over the batch
            shared = self._array_params
            grads[shared] += G[self.n_inputs + shared].sum(axis=1)
        finite = bool(np.isfinite(grads).all()) and (
            not input_grads or bool(np.isfinite(G[: self.n_inputs]).all())
        )
        if finite:
            return grads
        if not careful:
            return None
        bad = np.flatnonzero(~np.isfinite(grads))
        if len(bad):
            i = int(bad[0])
            label = self.params[i].label
            named = f"parameter {i}" + (f" ({label!r})" if label else "")
            raise OverflowError(f"compiled backward: the gradient of {named} overflows a float")
        row, column = (int(i) for i in np.argwhere(~np.isfinite(G[: self.n_inputs].T))[0])
        raise OverflowError(
            f"compiled backward: the gradient of inputs[{row}][{column}] overflows a float"
        )

    @staticmethod
    def _backward_dense(
        step: _Step,
        V: np.ndarray,
        G: np.ndarray,
        grads: np.ndarray,
        input_grads: bool,
        careful: bool = False,
    ) -> None:
        """The chain rule through z = W @ x, the batch on the columns of z and x:
        dL/dW = dL/dz @ x^T (summed over the batch by the product itself) and
        dL/dx = W^T @ dL/dz."""
        dense = step.dense
        assert dense is not None and step.matrix is not None
        up = step.upstream  # (blocks, batch)
        x = V[dense.inputs]
        if careful:
            _check_upstream(step, up)
        if dense.strides is not None:
            _weights(grads, step)[...] += up @ x.T  # a view: the product adds in place
        else:
            grads[dense.weights] += up @ x.T  # distinct parameters: no scatter-add needed
        if dense.inputs_need_grad and (input_grads or not dense.inputs_only):
            G[dense.inputs] += step.matrix.T @ up

    @staticmethod
    def _backward_step(
        step: _Step, G: np.ndarray, batch: int, input_grads: bool = True, careful: bool = False
    ) -> None:
        g = step.group
        targets = step.grads if input_grads else step.param_grads
        if not targets:
            return
        upstream = step.upstream
        if g.prim is None:
            locals_: Sequence[Any] = (1.0,)  # d(sum)/d(term) = 1
        else:
            try:
                locals_ = g.prim.deriv(*step.args, step.out)
            except (ArithmeticError, ValueError):
                # Somewhere the rule is undefined; the eager engine asks it only where a
                # gradient flows (upstream != 0), so do that, element by element.
                locals_ = _locals_where_needed(step)
            except TypeError as err:
                raise TypeError(
                    f"compiled backward: the rule of primitive {g.prim.name!r} does not take "
                    f"numpy arrays (write it with arithmetic and autograd.fn): {err}"
                ) from err
        for k, access, target, rows, order in targets:
            d = locals_[k]
            # chain rule: parent gradient += upstream gradient * local derivative
            if type(d) is float:
                if d == 0.0:
                    continue
                contribution = upstream if d == 1.0 else upstream * d
            else:
                contribution = upstream * d
            if careful:
                contribution = _careful(step, k, upstream, d, contribution)
            if access is Access.TILE:
                # the blocks all read the same rows: their gradients add up (in eager order)
                if order is not None:
                    contribution = contribution[order]
                target += fold_sum(contribution, axis=0)
            elif target is not None:
                target += contribution
            else:
                flat = np.broadcast_to(contribution, (*g.shape, batch)).reshape(-1, batch)
                if access is Access.GATHER:
                    G[rows] += flat
                else:
                    np.add.at(G, rows, flat)

    def loss_and_grad(
        self, X: Any, output: int = 0, reduction: str = "mean", param_values: Any = None
    ) -> tuple[float, np.ndarray]:
        """(the reduced loss, its gradient for every parameter): what ``backward`` adds to
        ``p.grad``, as an array in the order of ``params``, with no ``p.grad`` touched
        (``param_values``: as for :meth:`value_and_grad`)."""
        outputs, grads = self.value_and_grad(
            X, output=output, reduction=reduction, param_values=param_values
        )
        # sum(losses) * (1/n), left to right: the arithmetic of the eager mean
        column = outputs[:, output].tolist()
        total = column[0]
        for v in column[1:]:
            total += v
        if reduction == "mean" and len(column) > 1:
            total *= 1.0 / len(column)
        return total, grads

    def backward(self, X: Any, output: int = 0, reduction: str = "mean") -> float:
        """Like ``loss.backward()`` for the reduced loss: add its gradient to each ``p.grad``.

        Returns the reduced loss (mean or sum over the batch of output column ``output``).
        """
        total, grads = self.loss_and_grad(X, output=output, reduction=reduction)
        for p, g in zip(self.params, grads.tolist(), strict=True):
            p.grad += g
        return total
