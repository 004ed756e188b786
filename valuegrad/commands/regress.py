"""``valuegrad regress``: the lecture's first network, step by step, then trained by SGD.

Numeric options are read as text and checked here (not by argparse), so every bad value
ends in one line on stderr and exit status 2, via :class:`valuegrad.cli.UsageError`.
Ctrl-C stops the training after the current iteration: the report (and the files of
``-o``) then cover the iterations made, marked interrupted, and the status is 130.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from valuegrad.options import interrupt_of, output_dir, parse_float, parse_int, write_json

ORDER = 20
NAME = "regress"
HELP = "the lecture's first network (2-3-2, sigmoid): forward pass, gradients, SGD training"

__all__ = ["HELP", "MAX_STEPS", "NAME", "ORDER", "register", "run"]

MAX_STEPS = 1_000_000
"""The most iterations: every one's loss is kept and printed (a million take ~5 minutes)."""


# ------------------------------------------------------------------------ command
def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``regress`` sub-command."""
    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="The lecture's first network: 2 inputs, 3 sigmoid hidden units, 2 sigmoid "
        "outputs, loss 1/2 ||p - y||^2 on the sample x = [0.05, 0.1], y = [0.01, 0.99], from "
        "the lecture's weights. Prints the forward pass and every gradient as on the slides, "
        "then trains with SGD (only the weights, as the lecture's code does, unless "
        "--train-biases).",
    )
    parser.add_argument(
        "--steps",
        default="1000",
        metavar="N",
        help=f"SGD iterations: 1 to {MAX_STEPS:,} (default 1000)",
    )
    parser.add_argument(
        "--lr",
        default="0.5",
        metavar="ETA",
        help="learning rate eta, any finite number > 0 (default 0.5)",
    )
    parser.add_argument(
        "--train-biases", action="store_true", help="update the biases too (default: weights only)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "-o", "--output", metavar="DIR", help="write DIR/regress.json and DIR/regress_loss.svg"
    )
    parser.epilog = (
        "Integers may be written as 1e6. Exit status: 0 ok; 2 bad argument; 1 a numeric "
        "error or unwritable file; 130 interrupted by Ctrl-C (the iterations made so far "
        "are reported and written, marked interrupted)."
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the first experiment and report it."""
    from valuegrad.lecture import run_regression

    steps = parse_int("--steps", args.steps, 1, MAX_STEPS)
    lr = parse_float("--lr", args.lr, low=0.0)
    out_dir = output_dir(args.output)
    interrupt = interrupt_of(args)
    result = run_regression(
        steps=steps,
        lr=lr,
        train_biases=args.train_biases,
        progress=sys.stderr.isatty(),  # stderr: the --json document stays clean
        stop=interrupt,
    )
    payload = result.to_dict()
    interrupt.hold()  # from here on a second Ctrl-C waits until the files are whole
    if result.interrupted:
        print(
            f"valuegrad regress: interrupted after {result.steps_done:,} of {steps:,} iterations",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(payload))
    else:
        print(report(result))
    if out_dir is not None:
        from viz.plots import plot_losses

        write_json(out_dir / "regress.json", payload)
        path = out_dir / "regress_loss.svg"
        plot_losses(
            [result.losses],
            path,
            labels=["training loss"],
            per="step",
            title=f"The lecture's first network: SGD, eta = {lr:g}",
        )
        print(f"wrote {path}", file=sys.stderr)
    return 0


def report(result: Any) -> str:
    """The slide-style text report of a :class:`~valuegrad.lecture.RegressionResult`."""
    from valuegrad.lecture import (
        HIDDEN_BIAS,
        HIDDEN_WEIGHTS,
        OUTPUT_BIAS,
        OUTPUT_WEIGHTS,
        SLIDE,
        X,
        Y,
    )

    first = result.initial
    z, h, p = first.z, first.h, first.output
    lines = [
        "The lecture's first network: 2-3-2, sigmoid in both layers, loss l = 1/2 ||p - y||^2",
        f"  x = {X}, y = {Y}",
        f"  W0 = {HIDDEN_WEIGHTS}, hidden bias {HIDDEN_BIAS}",
        f"  W1 = {OUTPUT_WEIGHTS}, output bias {OUTPUT_BIAS}",
        "",
        "Forward pass:",
    ]
    for j in range(3):
        w = HIDDEN_WEIGHTS[j]
        terms = f"{X[0]:.2f} * {w[0]:g} + {X[1]:.2f} * {w[1]:g} + {HIDDEN_BIAS:g}"
        note = ""
        if j == 2:
            note = f"   (the slide prints {SLIDE['z'][2]:.4f}: a typo for {z[2]:.4f})"
        lines.append(f"  z{j} = {terms} = {z[j]:.4f}{note}")
    for j in range(3):
        lines.append(f"  [h]{j} = 1/(1+e^-z{j}) ~ {h[j]:.4f}")
    lines.append(f"  z3 ~ {z[3]:.4f}, z4 ~ {z[4]:.4f}")
    lines.append(f"  [p]0 = 1/(1+e^-z3) ~ {p[0]:.4f}, [p]1 = 1/(1+e^-z4) ~ {p[1]:.4f}")
    lines.append(f"  loss l ~ {first.loss:.4f}")
    lines += ["", "Backpropagation: the gradient of the loss with respect to every weight"]
    grads = first.gradients
    for name, g in grads.items():
        if name.startswith("["):
            lines.append(f"  dl/d{name:<6} = {g: .6f}")
    # The slide's worked example: dl/d[w3]0 = ([p]0 - [y]0) [p]0 (1 - [p]0) [h]0
    by_hand = (p[0] - Y[0]) * p[0] * (1 - p[0]) * h[0]
    lines.append(
        f"  check: dl/d[w3]0 = ([p]0 - [y]0) [p]0 (1 - [p]0) [h]0 = {by_hand:.6f} (chain rule)"
    )
    lines.append(
        f"  quiz: dl/d[w0]0 = {grads['[w0]0']:.6f} (the slide's answer: {SLIDE['dl/d[w0]0']})"
    )
    lines.append("  and every bias (updated only with --train-biases):")
    lines.extend(f"  dl/d{name:<6} = {g: .6f}" for name, g in grads.items() if name[0] == "b")
    trained = "every parameter" if result.train_biases else "the weights only"
    lines += ["", f"Training: SGD, eta = {result.lr:g}, {result.steps} iterations, {trained}"]
    done = result.steps_done
    for i in range(0, done, 100):
        lines.append(f"  iteration {i:>5}: loss {result.losses[i]:.6f}")
    final = result.final
    cut = f" (interrupted: {done} of {result.steps})" if result.interrupted else ""
    lines.append(f"  after {done} iterations{cut}: loss {final.loss:.6f}")
    lines.append(f"  p = [{final.output[0]:.4f}, {final.output[1]:.4f}]  (target {Y})")
    return "\n".join(lines)
