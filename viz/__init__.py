"""viz: drawings of computation graphs and networks, and plots of training.

* :func:`draw_graph` — a computation graph with every node's data and gradient
  (clusters per module call; big graphs collapse instead of hanging ``dot``);
  :func:`save_svg` / :func:`render_svg` — render with Graphviz ``dot``.
* :func:`trace` — the backward pass step by step, as the lecture's chain-rule table.
* :func:`explore` — the backward explorer: a self-contained page (inline in Jupyter)
  that steps through the forward pass and the chain rule node by node.
* :func:`draw_network` — an MLP as columns of neurons joined by its weights.
* :func:`plot_losses`, :func:`plot_decision_boundary`, :func:`plot_batch_vs_stochastic`,
  :func:`plot_datasets` — matplotlib figures of training (from :mod:`viz.plots`);
  :func:`plot_digits`, :func:`plot_digit_weights`, :func:`plot_confusion_matrix`,
  :func:`plot_misclassified` — handwritten digits, weight vectors as images, mistakes.
* :mod:`viz.expr` — the safe expression parser behind ``valuegrad graph``.

``import viz`` needs neither the ``graphviz`` package nor matplotlib: the drawing
functions import graphviz when called, and heavy modules listed in ``_LAZY`` are
imported on first use of one of their names.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported eagerly: these modules are light (autograd only). It also matters for
# ``trace`` and ``explore``: a lazily imported submodule viz.trace would become the
# package attribute ``viz.trace`` and shadow the function of the same name.
from viz.explore import Explorer, explore
from viz.expr import ExprError, parse_expr
from viz.graph import DEFAULT_MAX_NODES, DotNotFoundError, draw_graph, render_svg, save_svg
from viz.network import draw_network
from viz.trace import Trace, trace

# Heavy modules: public name -> submodule, imported on first use (add plotting here).
_LAZY: dict[str, str] = {
    "plot_losses": "viz.plots",
    "plot_decision_boundary": "viz.plots",
    "plot_batch_vs_stochastic": "viz.plots",
    "plot_datasets": "viz.plots",
    "plot_decision_boundaries": "viz.plots",
    "plot_digits": "viz.plots",
    "plot_digit_weights": "viz.plots",
    "plot_confusion_matrix": "viz.plots",
    "plot_misclassified": "viz.plots",
    "save_figure": "viz.plots",
}

__all__ = [
    "DEFAULT_MAX_NODES",
    "DotNotFoundError",
    "Explorer",
    "ExprError",
    "Trace",
    "draw_graph",
    "draw_network",
    "explore",
    "parse_expr",
    "render_svg",
    "save_svg",
    "trace",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value
