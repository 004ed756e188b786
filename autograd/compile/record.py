"""Stage 1 of the compiler: record the per-sample graph, and refuse one that depends on the data.

``fn`` is called on placeholder input Values, once per example row (up to ``check`` of
them, spread over the data); every recording is reduced to a *signature* (each node's
operation and wiring, each leaf's kind, each constant's value), and the recordings must
agree. A graph whose shape depends on the data — Python code that branches on ``.data``,
or constants computed from the inputs — gives different signatures, and is refused with
:class:`DataDependentGraphError` saying where they differ. (A branch that none of the
examples takes cannot be seen; the eager engine remains the reference.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.graph import toposort
from autograd.value import Value, enable_grad

__all__ = ["DataDependentGraphError", "Recording", "multi_toposort", "record"]


class DataDependentGraphError(ValueError):
    """The recorded graph changes with the input data, so it cannot be compiled."""


@dataclass(frozen=True)
class Recording:
    """One recording of ``fn``: its output Values and the placeholder inputs they read."""

    outputs: list[Value]
    inputs: list[Value]


def multi_toposort(outputs: Sequence[Value]) -> list[Value]:
    """Every node below any of ``outputs``, each once, each after all of its parents."""
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


def _example_rows(X: np.ndarray, count: int) -> list[np.ndarray]:
    """Up to ``count`` distinct rows of X, spread over the data."""
    picks: list[np.ndarray] = []
    for k in np.unique(np.linspace(0, len(X) - 1, num=min(len(X), 3 * count)).astype(int)):
        if not any(np.array_equal(X[k], r) for r in picks):
            picks.append(X[k])
        if len(picks) == count:
            break
    return picks


def record(
    fn: Callable[..., Value | Sequence[Value]],
    X: np.ndarray,
    params: Sequence[Value],
    check: int,
) -> Recording:
    """Record ``fn`` on up to ``check`` distinct rows of ``X``; the first recording, once
    every recording has been found to have the same structure."""
    recordings = []
    with enable_grad():
        for row in _example_rows(X, max(1, check)):
            inputs = [Value(float(v), f"x{i}") for i, v in enumerate(row)]
            result = fn(*inputs)
            outputs = _outputs(result)
            order = multi_toposort(outputs)
            recordings.append((outputs, inputs, _signature(order, inputs, params)))
    first_outputs, first_inputs, first_sig = recordings[0]
    for _, _, sig in recordings[1:]:
        if sig != first_sig:
            raise DataDependentGraphError(
                "compile: the graph depends on the input data ("
                + _describe_difference(first_sig, sig)
                + "), so one recording cannot stand for every sample; use the eager engine"
            )
    return Recording(first_outputs, first_inputs)


def _outputs(result: Any) -> list[Value]:
    if isinstance(result, Value):
        outputs = [result]
    elif isinstance(result, (list, tuple)):
        outputs = list(result)
    else:
        outputs = []
    if not outputs or not all(isinstance(o, Value) for o in outputs):
        raise TypeError(f"compile: fn must return a Value or a list of Values, got {result!r:.80}")
    return outputs
