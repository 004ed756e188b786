"""``valuegrad demo``: run the whole lecture and write a browsable report.

The options follow the other commands' policy: a bad value or an ``-o`` that names a
file is a usage error (status 2), a numeric or file error status 1, each one line on
stderr. Ctrl-C ends the phase in progress after its current step; the report is then
written with what was done (marked interrupted) and the status is 130. The report
writes its files as it goes, so a second Ctrl-C does not cut it short: it is finished
(quickly, since no more training runs) and none of its files is left half-written.
"""

from __future__ import annotations

import argparse
import math
import sys

from valuegrad.options import check_updates, interrupt_of, output_dir, parse_int

ORDER = 0
NAME = "demo"
HELP = "run everything and write an HTML report (the main job)"

MAX_SEEDS = 1_000
"""The most --seeds (every run's model and history stay in memory for the report)."""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``demo`` sub-command."""
    from valuegrad.commands.classify import MAX_EPOCHS
    from valuegrad.report import DEFAULT_SEEDS

    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="Run the lecture end to end - the chain rule on (x+y)*z, the first "
        "network from its given weights, the second network in batch and stochastic mode "
        "over several seeds, the compiled engine against the eager one - and write "
        "DIR/index.html showing every picture.",
        epilog="Integers may be written as 1e3. Exit status: 0 ok; 2 bad argument (or -o "
        "naming a file); 1 a numeric error or unwritable file; 130 interrupted by Ctrl-C "
        "(the report is written with the phases done so far, marked interrupted).",
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
        default=str(DEFAULT_SEEDS),
        metavar="N",
        help=f"training runs per mode for the second network, 1 to {MAX_SEEDS:,} "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--epochs",
        default=None,
        metavar="N",
        help=f"epochs per run of the second network, 1 to {MAX_EPOCHS:,} (default: the "
        "classify default)",
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the eager-vs-compiled timing")
    parser.set_defaults(run=run)
    return parser


def _check_updates(seeds: int, epochs: int, speed: bool) -> None:
    """The demo's updates, against the same cap as ``classify`` (the losses are kept)."""
    from nn.data import DATASETS
    from valuegrad.lecture import CLASSIFY_DEFAULTS

    n, fraction = CLASSIFY_DEFAULTS["n"], CLASSIFY_DEFAULTS["test_fraction"]
    n_train = n - math.ceil(n * fraction)
    # a stochastic epoch makes per_epoch updates, a batch one 1; the sweep runs both
    per_epoch = math.ceil(n_train / CLASSIFY_DEFAULTS["batch_size"])
    runs = len(DATASETS) + (2 if speed else 0)  # stochastic runs besides the sweep
    updates = epochs * (seeds * (1 + per_epoch) + runs * per_epoch)
    check_updates(updates, f"--seeds {seeds:,} with {epochs:,} epochs per run")


def run(args: argparse.Namespace) -> int:
    """Build the report and say where it is."""
    from valuegrad.commands.classify import MAX_EPOCHS
    from valuegrad.lecture import CLASSIFY_DEFAULTS
    from valuegrad.report import build_report

    seeds = parse_int("--seeds", args.seeds, 1, MAX_SEEDS)
    epochs = None if args.epochs is None else parse_int("--epochs", args.epochs, 1, MAX_EPOCHS)
    _check_updates(seeds, epochs or CLASSIFY_DEFAULTS["epochs"], not args.no_speed)
    out = output_dir(args.output)
    interrupt = interrupt_of(args)
    interrupt.hold()  # the report writes as it goes: a second Ctrl-C waits for it
    report = build_report(
        out,
        seeds=seeds,
        epochs=epochs,
        speed=not args.no_speed,
        log=lambda message: print(message, flush=True),
        progress=sys.stderr.isatty(),
        stop=interrupt,
    )
    facts = report.facts
    xyz = facts["xyz"]
    print(
        f"f = (x + y) * z = {xyz['f']:g}; df/dx, df/dy, df/dz = "
        f"{xyz['grads']['x']:g}, {xyz['grads']['y']:g}, {xyz['grads']['z']:g}"
    )
    first = facts.get("first_network", {})
    if "final_loss" in first:
        print(
            f"first network: {first['agree']} of {first['checked']} slide numbers agree; "
            f"loss {first['loss']:.4f} -> {first['final_loss']:.6f} after {first['steps']} "
            "iterations"
        )
    for mode, s in facts.get("second_network", {}).items():
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
    if report.interrupted:
        print(f"valuegrad demo: interrupted during {report.interrupted}", file=sys.stderr)
    return 0
