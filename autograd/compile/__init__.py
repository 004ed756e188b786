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
  else (a neuron's weighted sum) becomes one *sum* node, a left fold
  (:func:`~autograd.numerics.fold_sum`), which adds in exactly that left-to-right order,
  so the result is the eager engine's to the last bit;
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

``compile(..., exact=False)`` gives up the last bit for speed on wide layers: a layer's
weighted sums (a fused sum of parameter-times-input products) run as one matrix product
``W @ x`` through BLAS, forward and backward, the transcendental kernels are numpy's
vectorised ones, and the batch sums are numpy's. Values and gradients then agree with
the eager engine to rounding (about 1e-15 relative per operation), and a training run
follows the exact one closely but not bit for bit. ``nn.train(engine="fast")`` uses it.

A graph whose *shape* depends on the data — Python code that branches on ``.data``, or
constants computed from the inputs — cannot be replayed. :func:`compile` records the
function on up to three different example rows and refuses, with a clear error, when
the recordings differ. (A branch that none of the examples takes cannot be seen; the
eager engine remains the reference.)

The compiler has three stages, one module each: :mod:`~autograd.compile.record`
(record the graph, check it does not depend on the data), :mod:`~autograd.compile.layout`
(rows, fused sums, groups, operand access) and :mod:`~autograd.compile.program` (plans
per batch size, the forward and backward loops).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from autograd.compile.program import Program
from autograd.compile.record import DataDependentGraphError, record
from autograd.graph import gc_paused
from autograd.numerics import fold_sum
from autograd.value import Value

__all__ = ["DataDependentGraphError", "Program", "compile", "fold_sum"]


def compile(
    fn: Callable[..., Value | Sequence[Value]],
    example_inputs: Any,
    params: Iterable[Value] = (),
    *,
    check: int = 3,
    exact: bool = True,
) -> Program:
    """Record ``fn(*inputs)`` once and return a :class:`Program` that replays it in batches.

    ``fn`` takes one Value per input column and returns a Value (or a list of them);
    ``params`` are the leaf Values (weights, biases) whose gradients you want — every
    other leaf is baked in as a constant. ``example_inputs`` is a 2-D array of sample
    rows: the graph is recorded on up to ``check`` distinct rows and must be the same
    each time, otherwise a :class:`DataDependentGraphError` says where it differs.
    ``exact=False`` trades the last bit for matrix products and vector math (see above).
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
    with gc_paused():  # recording and laying out a big graph: nothing cyclic to collect
        recording = record(fn, X, params, check)
        return Program(recording.outputs, recording.inputs, params, exact=exact)
