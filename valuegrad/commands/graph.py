"""``valuegrad graph EXPR NAME=VALUE ...``: see one expression's graph, values and gradients.

The expression goes through the safe parser of :mod:`autograd.expr` (``ast`` and a
whitelist, never ``eval``). Exit status: 0 on success; 2 for a bad expression or
binding (a one-line message that points at the offending part); 1 for a math error
(overflow, log of a non-positive number, division by zero) or a file that cannot be
written. When the Graphviz ``dot`` program is missing, the results are still printed,
a note on stderr says the SVG was skipped and how to install Graphviz, and the status
is 0: the numbers were the point, the picture is a bonus.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from valuegrad.cli import UsageError

ORDER = 10
NAME = "graph"
HELP = "draw an expression's computation graph with its values and gradients"

_EPILOG = """\
examples:
  valuegrad graph "(x+y)*z" x=-2 y=5 z=-4            the lecture's example; writes graph.svg
  valuegrad graph "tanh(w*x + b)" w=0.5 x=2 b=-1 --trace -o neuron.svg
  valuegrad graph -- "-x**2" x=3                       (use -- before an EXPR starting with -)
  valuegrad graph "x*x + x" x=1 --html walk.html        step through the chain rule in a browser

EXPR may use names, numbers, + - * / **, unary - and +, and the functions
exp log tanh sigmoid relu softplus step sin cos abs sqrt (one argument each) and
maximum minimum logaddexp (two arguments). Every name needs exactly
one NAME=VALUE, and every NAME=VALUE must be used. Options may come before or after
the NAME=VALUE bindings.

exit status: 0 ok; 2 bad expression or NAME=VALUE; 1 math error (overflow, log of a
non-positive number, division by zero) or unwritable file. Without Graphviz's dot
program the results are still printed, the SVG (and --html page) is skipped with a
note, and the status is 0.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``graph`` sub-command to the CLI."""
    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="Parse EXPR (safely, never eval), build its computation graph, "
        "backpropagate, print the value and the gradient for every name, and write the "
        "graph as SVG.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expr", metavar="EXPR", help='the expression, e.g. "(x+y)*z"')
    parser.add_argument(
        "bindings", metavar="NAME=VALUE", nargs="*", help="a value for each name in EXPR"
    )
    parser.add_argument(
        "-o", "--output", default="graph.svg", metavar="FILE", help="SVG file (default graph.svg)"
    )
    parser.add_argument("--no-svg", action="store_true", help="do not render or write the SVG")
    parser.add_argument("--trace", action="store_true", help="print the backward pass step by step")
    parser.add_argument(
        "--html",
        metavar="PATH",
        help="also write the backward explorer: a page that steps through the chain rule",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"value": v, "grads": {name: g}} (and "trace" with --trace) as JSON',
    )
    # NAME=VALUE may also come after the options (graph "x+y" --json x=1 y=2): cli.py
    # appends the positionals that argparse leaves over to this list
    parser.set_defaults(run=run, positional_tail="bindings")
    return parser


def _fmt(x: float) -> str:
    return format(x, ".10g")


def _can_print(text: str) -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _write_explorer(out: Any, title: str, path: str, quiet: bool) -> None:
    """Write the explorer page for ``out`` (``--html``); without dot, say so and go on."""
    from viz.explore import explore
    from viz.graph import DotNotFoundError

    try:
        written = explore(out, title=title).save(path)
    except DotNotFoundError as err:
        print(f"valuegrad graph: HTML skipped: {err}", file=sys.stderr)
        return
    print(f"wrote {written}", file=sys.stderr if quiet else sys.stdout)


def run(args: argparse.Namespace) -> int:
    """Run ``valuegrad graph``; returns the exit status."""
    from viz.expr import ExprError, build, parse_bindings, parse_expr
    from viz.graph import DotNotFoundError, draw_graph, save_svg
    from viz.trace import trace

    if (
        args.html is not None
        and not args.no_svg
        and os.path.abspath(args.html) == os.path.abspath(args.output)
    ):
        raise UsageError(
            f"--html and -o name the same file ({args.html}): the SVG would replace the page"
        )
    try:
        expr = parse_expr(args.expr)
        built = build(expr, parse_bindings(args.bindings))
    except ExprError as err:
        raise UsageError(str(err)) from None
    out = built.output
    out.backward()
    grads = {name: leaf.grad for name, leaf in built.leaves.items()}
    steps = trace(out) if args.trace else None

    if args.json:
        doc: dict[str, Any] = {"value": out.data, "grads": grads}
        if steps is not None:
            doc["trace"] = steps.to_dict()
        print(json.dumps(doc))
    else:
        print(f"{out.label} = {expr.text} = {_fmt(out.data)}")
        if grads:
            # One row per name: its value and d(output)/d(name).
            head = ("name", "value", f"d{out.label}/dname")
            rows = [(n, _fmt(built.leaves[n].data), _fmt(g)) for n, g in grads.items()]
            widths = [max(len(r[k]) for r in [head, *rows]) for k in range(3)]
            for r in [head, *rows]:
                print(f"  {r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}")
        if steps is not None:
            text = steps.text()
            print(text if _can_print(text) else steps.text(unicode=False))

    if args.html is not None:
        _write_explorer(out, f"{out.label} = {expr.text}", args.html, args.json)
    if args.no_svg:
        return 0
    graph = draw_graph(out, title=f"{out.label} = {expr.text}")
    try:
        path = save_svg(graph, args.output)
    except DotNotFoundError as err:
        # The numbers are printed; say why the picture is missing and carry on (status 0).
        print(f"valuegrad graph: SVG skipped: {err}", file=sys.stderr)
        return 0
    note = f"wrote {path}"
    print(note, file=sys.stderr if args.json else sys.stdout)
    return 0
