"""Activation functions by name: the lecture's list, each on Values and on numpy arrays.

The slide "Activation functions h" lists six: identity (linear), binary step, logistic
(sigmoid), tanh, ReLU and softplus. Each entry here pairs the ``Value`` method that builds
the graph node with the same primitive's vectorised kernel (``Primitive.np_forward``), so
a fast numpy evaluation of a network uses exactly the engine's formulas. Each also names
the weight initialisation that keeps the signal's variance steady through it (see
:mod:`nn.layers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Value, ops
from autograd.numerics import elementwise
from autograd.syntax import render_formula

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "register_activation"]


def _identity(x: Any) -> Any:
    return x


@dataclass(frozen=True)
class Activation:
    """One activation: its name, its Value form, its numpy form and its default init."""

    name: str
    value_fn: Callable[[Value], Value]
    np_fn: Callable[[np.ndarray], np.ndarray]
    init: str  # "he" or "xavier"
    formula: str


# He initialisation suits the rectifiers (relu, softplus), which zero about half of their
# input's variance; Glorot/Xavier suits the functions that are roughly linear around 0.
ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation("linear", _identity, _identity, "xavier", "h(z) = z"),
    "step": Activation("step", Value.step, ops.STEP.np_forward, "xavier", "h(z) = 1[z >= 0]"),
    "sigmoid": Activation(
        "sigmoid", Value.sigmoid, ops.SIGMOID.np_forward, "xavier", "h(z) = 1 / (1 + e^-z)"
    ),
    "tanh": Activation("tanh", Value.tanh, ops.TANH.np_forward, "xavier", "h(z) = tanh(z)"),
    "relu": Activation("relu", Value.relu, ops.RELU.np_forward, "he", "h(z) = max(z, 0)"),
    "softplus": Activation(
        "softplus", Value.softplus, ops.SOFTPLUS.np_forward, "he", "h(z) = log(1 + e^z)"
    ),
}
"""The lecture's activations, by name, in the slide's order."""


def get_activation(name: str) -> Activation:
    """The activation called ``name``; a ValueError listing the known names otherwise."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}: choose one of {known}") from None


def register_activation(prim: ops.Primitive, *, init: str = "xavier") -> Activation:
    """Make a one-input primitive an activation, used by its name like the built-in ones.

    ``register_activation(swish, init="he")`` lets ``MLP(2, [8, 2], activation="swish")``
    build its neurons with the primitive; its ``np_forward`` (else its float forward,
    element by element) evaluates the network with numpy. Registering a name again
    replaces it; the lecture's six names cannot be replaced.
    """
    if not isinstance(prim, ops.Primitive):
        raise TypeError(f"register_activation needs an autograd Primitive, got {prim!r}")
    if prim.arity != 1:
        raise ValueError(f"an activation takes one input; {prim.name!r} takes {prim.arity}")
    if prim.name in _BUILTIN:
        raise ValueError(f"{prim.name!r} is one of the lecture's activations already")
    if init not in ("he", "xavier"):
        raise ValueError(f"init must be 'he' or 'xavier', got {init!r}")
    np_fn = prim.np_forward or elementwise(prim.forward)
    formula = render_formula(prim.formula, {"x": "z"}, style="math") if prim.formula else ""
    act = Activation(prim.name, prim, np_fn, init, f"h(z) = {formula}" if formula else "")
    ACTIVATIONS[prim.name] = act
    return act


_BUILTIN = frozenset(ACTIVATIONS)
