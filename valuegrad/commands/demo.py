"""``valuegrad demo``: run the whole lecture and write a browsable report."""

from __future__ import annotations

import argparse
import sys

from valuegrad.cli import UsageError

ORDER = 0
NAME = "demo"
HELP = "run everything and write an HTML report (the main job)"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``demo`` sub-command."""
    from valuegrad.report import DEFAULT_SEEDS

    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="Run the lecture end to end - the chain rule on (x+y)*z, the first "
        "network from its given weights, the second network in batch and stochastic mode "
        "over several seeds, the compiled engine against the eager one - and write "
        "DIR/index.html showing every picture.",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default="valuegrad-report",
        help="directory for the report (default: %(default)s)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        help="training runs per mode for the second network (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs per run of the second network (default: the classify default)",
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the eager-vs-compiled timing")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the report and say where it is."""
    from valuegrad.report import build_report

    if args.seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {args.seeds}")
    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    report = build_report(
        args.output,
        seeds=args.seeds,
        epochs=args.epochs,
        speed=not args.no_speed,
        log=lambda message: print(message, flush=True),
    )
    facts = report.facts
    xyz = facts["xyz"]
    print(
        f"f = (x + y) * z = {xyz['f']:g}; df/dx, df/dy, df/dz = "
        f"{xyz['grads']['x']:g}, {xyz['grads']['y']:g}, {xyz['grads']['z']:g}"
    )
    first = facts["first_network"]
    print(
        f"first network: {first['agree']} of {first['checked']} slide numbers agree; "
        f"loss {first['loss']:.4f} -> {first['final_loss']:.6f} after 1000 iterations"
    )
    for mode, s in facts["second_network"].items():
        print(
            f"second network, {mode}: test accuracy min {s['min']:.3f} / median "
            f"{s['median']:.3f} / max {s['max']:.3f} over {s['runs']} seeds"
        )
    if "speed" in facts:
        sp = facts["speed"]
        print(
            f"compiled engine: {sp['ratio']:.0f}x faster than eager on the same run "
            f"(identical losses: {sp['identical_losses']})"
        )
    print(
        f"report: {report.index.resolve()}  ({len(report.files)} files, {report.seconds:.1f} s)",
        file=sys.stdout,
    )
    return 0
