"""``valuegrad classify``: the lecture's second network on a two-class data set.

One run trains the 2-4-6-6-4-2 ReLU network once; ``--runs N`` trains it for seeds
S..S+N-1 in both modes (or the chosen one) and prints the spread of test accuracy, the
lecture's "run the code several times to find a potential pattern".

Every numeric option has bounds (see ``--help``) that keep a run within memory: the loss
of every update is kept, so the updates of one command are capped at
``options.MAX_UPDATES``, and the eager engine, which builds a graph per sample, at
``MAX_EAGER_BATCH`` samples per batch. Ctrl-C stops after the current update: the runs
and epochs made so far are reported and written, marked interrupted (status 130).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from valuegrad.cli import Interrupt, UsageError
from valuegrad.options import (
    MAX_UPDATES,
    check_updates,
    interrupt_of,
    output_dir,
    parse_float,
    parse_int,
    write_json,
)

ORDER = 30
NAME = "classify"
HELP = "the lecture's second network (2-4-6-6-4-2, ReLU) on moons, circles, xor, ..."

__all__ = [
    "HELP",
    "MAX_EAGER_BATCH",
    "MAX_EPOCHS",
    "MAX_POINTS",
    "MAX_RUNS",
    "MAX_SEED",
    "NAME",
    "ORDER",
    "register",
    "run",
]

MAX_POINTS = 100_000
"""The most points (--n) and the largest --batch-size."""
MAX_EPOCHS = 1_000_000
"""The most epochs (and, with MAX_UPDATES, the most updates)."""
MAX_RUNS = 1_000
"""The most --runs (each run's model and history stay in memory for the summary)."""
MAX_SEED = 2**32 - 1
"""The largest seed (--seed, --data-seed, and the last seed of --runs)."""
MAX_EAGER_BATCH = 10_000
"""The most samples per batch on the eager engine: it builds a graph of about 350 nodes
per sample of a batch; a batch of 10,000 samples peaks at about 0.45 GB."""


def _defaults() -> dict[str, Any]:
    from valuegrad.lecture import CLASSIFY_DEFAULTS

    return CLASSIFY_DEFAULTS


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``classify`` sub-command."""
    from nn.train import ENGINES

    d = _defaults()
    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="Train the lecture's second network (2 inputs, ReLU hidden layers of 4, "
        "6, 6 and 4 units, 2 outputs with softmax cross-entropy) on a two-class data set, in "
        "batch mode (one update per epoch on the whole training set) or stochastic mode "
        "(shuffled mini-batches). --runs N repeats over seeds to show the spread.",
    )
    add = parser.add_argument
    add(
        "--dataset",
        default=d["dataset"],
        metavar="NAME",
        help="moons, circles, xor, gaussians or spiral, or digits: the 8x8 handwritten digits, "
        "10 classes, on a 64-32-10 network (see --hidden) (default %(default)s)",
    )
    add(
        "--n",
        default=str(d["n"]),
        metavar="N",
        help=f"number of points, 2 to {MAX_POINTS:,} (default %(default)s)",
    )
    add(
        "--noise",
        default=str(d["noise"]),
        metavar="X",
        help="std of the Gaussian noise on each coordinate, a finite number >= 0 "
        "(default %(default)s)",
    )
    add(
        "--test-fraction",
        default=str(d["test_fraction"]),
        metavar="F",
        help="fraction of the points held out for testing, in (0, 1) (default %(default)s)",
    )
    add(
        "--data-seed",
        default=str(d["data_seed"]),
        metavar="S",
        help=f"seed of the data set and the split, 0 to {MAX_SEED:,} (default %(default)s)",
    )
    add(
        "--mode",
        default=None,
        metavar="{batch,stochastic}",
        help="batch: one update per epoch on all points; stochastic: shuffled mini-batches "
        "(default: stochastic; with --runs, both)",
    )
    add(
        "--epochs",
        default=str(d["epochs"]),
        metavar="N",
        help=f"epochs, 1 to {MAX_EPOCHS:,} (default %(default)s)",
    )
    add(
        "--lr",
        default=str(d["lr"]),
        metavar="X",
        help="learning rate, a finite number > 0 (default %(default)s)",
    )
    add(
        "--optimizer",
        default=d["optimizer"],
        metavar="{sgd,adam}",
        help="optimizer (default %(default)s)",
    )
    add("--momentum", default="0", metavar="MU", help="SGD momentum, in [0, 1) (default 0)")
    add(
        "--batch-size",
        default=str(d["batch_size"]),
        metavar="B",
        help=f"mini-batch size in stochastic mode, 1 to {MAX_POINTS:,} (default %(default)s)",
    )
    add(
        "--init",
        default=d["init"],
        metavar="{auto,he,xavier,normal}",
        help="weight init: auto = He for ReLU; normal = std 1, like the lecture's "
        "np.random.randn (default %(default)s)",
    )
    add(
        "--seed",
        default=str(d["seed"]),
        metavar="S",
        help=f"seed of the initial weights and the shuffling, 0 to {MAX_SEED:,} "
        "(default %(default)s)",
    )
    add(
        "--runs",
        default="1",
        metavar="N",
        help=f"train N times, seeds S..S+N-1, and print the spread; 1 to {MAX_RUNS:,} (default 1)",
    )
    add(
        "--engine",
        default=d["engine"],
        metavar="NAME",
        help=f"per-batch engine: {', '.join(ENGINES)}; compiled is the eager engine's "
        "numbers to the bit, fast uses matrix products (equal to rounding, several times "
        "faster on the digits) (default %(default)s)",
    )
    add("--json", action="store_true", help="print the results as JSON")
    add(
        "-o",
        "--output",
        metavar="DIR",
        help="write the history JSON, loss curves and decision boundaries into DIR",
    )
    parser.epilog = (
        f"Integers may be written as 1e5. In all, one command makes at most "
        f"{MAX_UPDATES:,} updates (runs x modes x epochs x mini-batches per epoch), and "
        f"the eager engine takes at most {MAX_EAGER_BATCH:,} samples per batch. Exit "
        "status: 0 ok; 2 bad argument; 1 a numeric error (a diverging training, data too "
        "large for the network) or unwritable file; 130 interrupted by Ctrl-C (the runs "
        "and epochs made so far are reported and written, marked interrupted)."
    )
    from valuegrad import digits

    digits.add_arguments(parser)  # --hidden, and the digits' own defaults
    parser.set_defaults(run=run)
    return parser


def _choice(option: str, value: str, choices: Any) -> str:
    if value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _settings(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """The checked settings for run_classification / run_sweep, and the number of runs."""
    from nn.data import DATASETS
    from nn.layers import INITS
    from nn.train import ENGINES, MODES, OPTIMIZERS

    settings: dict[str, Any] = {
        "dataset": _choice("--dataset", args.dataset, DATASETS),
        "n": parse_int("--n", args.n, 2, MAX_POINTS),
        "noise": parse_float("--noise", args.noise, low=0.0, low_open=False),
        "test_fraction": parse_float("--test-fraction", args.test_fraction, low=0.0, high=1.0),
        "data_seed": parse_int("--data-seed", args.data_seed, 0, MAX_SEED),
        "epochs": parse_int("--epochs", args.epochs, 1, MAX_EPOCHS),
        "lr": parse_float("--lr", args.lr, low=0.0),
        "optimizer": _choice("--optimizer", args.optimizer, OPTIMIZERS),
        "batch_size": parse_int("--batch-size", args.batch_size, 1, MAX_POINTS),
        "init": _choice("--init", args.init, INITS),
        "seed": parse_int("--seed", args.seed, 0, MAX_SEED),
        "engine": _choice("--engine", args.engine, ENGINES),
    }
    momentum = parse_float("--momentum", args.momentum, low=0.0, high=1.0, low_open=False)
    if momentum:
        if settings["optimizer"] != "sgd":
            raise UsageError("--momentum applies to --optimizer sgd only")
        settings["momentum"] = momentum
    if args.mode is not None:
        settings["mode"] = _choice("--mode", args.mode, MODES)
    n_train = settings["n"] - math.ceil(settings["n"] * settings["test_fraction"])
    if n_train <= 0:
        raise UsageError(
            f"--test-fraction {args.test_fraction} of --n {settings['n']} leaves no training data"
        )
    runs = parse_int("--runs", args.runs, 1, MAX_RUNS)
    if settings["seed"] + runs - 1 > MAX_SEED:
        raise UsageError(
            f"--seed {settings['seed']} with --runs {runs} goes past the largest seed, {MAX_SEED:,}"
        )
    default_modes = list(MODES) if runs > 1 else [_defaults()["mode"]]
    modes = [settings["mode"]] if "mode" in settings else default_modes
    _check_size(settings, modes, runs, n_train)
    return settings, runs


def _check_size(settings: dict[str, Any], modes: list[str], runs: int, n_train: int) -> None:
    """UsageErrors for a command that would not fit in memory (see the module docstring)."""
    batch = min(settings["batch_size"], n_train)
    per_epoch = {"batch": 1, "stochastic": math.ceil(n_train / batch)}
    updates = runs * settings["epochs"] * sum(per_epoch[m] for m in modes)
    check_updates(
        updates,
        f"--epochs {settings['epochs']:,} of {' and '.join(modes)} training on {n_train:,} "
        f"training points"
        + (f", mini-batches of {batch:,}" if "stochastic" in modes else "")
        + (f", {runs:,} runs" if runs > 1 else ""),
    )
    if settings["engine"] == "eager":
        largest = n_train if "batch" in modes else batch
        if largest > MAX_EAGER_BATCH:
            option = "--n" if "batch" in modes else "--batch-size"
            raise UsageError(
                f"--engine eager builds a graph per sample: a batch of {largest:,} samples "
                f"is more than {MAX_EAGER_BATCH:,} (use --engine compiled, or a smaller {option})"
            )


def run(args: argparse.Namespace) -> int:
    """Train once, or --runs times, and report."""
    from valuegrad import digits

    if digits.handles(args):
        return digits.run_cli(args)
    settings, runs = _settings(args)
    out_dir = output_dir(args.output)
    progress = sys.stderr.isatty()  # on stderr: the --json document stays clean
    interrupt = interrupt_of(args)
    if runs == 1:
        return _single(settings, args.json, out_dir, progress, interrupt)
    return _sweep(settings, runs, args.json, out_dir, progress, interrupt)


# ------------------------------------------------------------------ one run
def _single(
    settings: dict[str, Any],
    as_json: bool,
    out_dir: Path | None,
    progress: bool,
    interrupt: Interrupt,
) -> int:
    from valuegrad.lecture import CLASSIFY_DEFAULTS, run_classification

    if not as_json:
        mode = settings.get("mode", CLASSIFY_DEFAULTS["mode"])
        print(_header(settings, [mode], f"seed {settings['seed']}"), flush=True)
    result = run_classification(**settings, progress=progress, stop=interrupt)
    payload = result.to_dict()
    interrupt.hold()  # from here on a second Ctrl-C waits until the files are whole
    if result.interrupted:
        h = result.history
        print(
            f"valuegrad classify: interrupted after {h.epochs_done:,} of {h.epochs:,} epochs "
            f"({h.steps:,} updates)",
            file=sys.stderr,
        )
    if as_json:
        print(json.dumps(payload))
    else:
        print(_epoch_table(result))
        print(_result_lines(result))
    if out_dir is not None:
        _write_single(result, out_dir, payload)
    return 0


def _write_single(result: Any, out_dir: Path, payload: dict[str, Any]) -> None:
    from viz.plots import plot_losses

    stem = f"classify_{result.mode}"
    write_json(out_dir / f"{stem}.json", payload)
    if result.history.loss:  # none when interrupted within the first epoch
        path = out_dir / f"{stem}_loss.svg"
        title = f"{result.dataset}: {result.mode} training ({result.optimizer}, lr {result.lr:g})"
        plot_losses({result.mode: result.history}, path, title=title)
        print(f"wrote {path}", file=sys.stderr)
    _boundary(
        result,
        out_dir / f"{stem}_boundary.svg",
        f"{result.mode}: test accuracy {result.test_accuracy:.3f}",
    )


def _boundary(result: Any, path: Path, title: str) -> None:
    """Save one run's decision boundary, with its training and test points."""
    from viz.plots import plot_decision_boundary

    plot_decision_boundary(
        result.model,
        result.X_train,
        result.y_train,
        path,
        X_test=result.X_test,
        y_test=result.y_test,
        title=title,
    )
    print(f"wrote {path}", file=sys.stderr)


def _header(settings: dict[str, Any], modes: list[str], seeds: str) -> str:
    from valuegrad.lecture import CLASSIFY_DEFAULTS, SECOND_NETWORK_SIZES

    s = {**CLASSIFY_DEFAULTS, **settings}
    n_test = math.ceil(s["n"] * s["test_fraction"])
    sizes = "-".join(str(k) for k in [2, *SECOND_NETWORK_SIZES])
    how = {
        "batch": "full batch, one update per epoch",
        "stochastic": f"shuffled mini-batches of {s['batch_size']}",
    }
    optimizer = s["optimizer"] + (f" momentum {s['momentum']:g}" if s.get("momentum") else "")
    return "\n".join(
        [
            f"The lecture's second network: {sizes}, ReLU hidden layers, softmax cross-entropy",
            f"  data: {s['dataset']}, n = {s['n']} ({s['n'] - n_test} train / {n_test} test), "
            f"noise {s['noise']:g}, data seed {s['data_seed']}",
            f"  training: {' and '.join(f'{m} ({how[m]})' for m in modes)}",
            f"  {optimizer} lr {s['lr']:g}, {s['epochs']} epochs, init {s['init']}, {seeds}, "
            f"{s['engine']} engine",
        ]
    )


def _epoch_table(result: Any) -> str:
    h = result.history
    done = h.epochs_done
    every = max(1, done // 10)
    lines = []
    for e in range(done):
        if e % every == 0 or e == done - 1:
            lines.append(
                f"  epoch {e + 1:>5}  loss {h.loss[e]:.4f}  test loss {h.test_loss[e]:.4f}  "
                f"train acc {h.train_accuracy[e]:.3f}  test acc {h.test_accuracy[e]:.3f}"
            )
    return "\n".join(lines)


def _dead_text(result: Any) -> str:
    widths = [layer.nout for layer in result.model.layers[:-1]]
    per_layer = ", ".join(f"{d}/{w}" for d, w in zip(result.dead, widths, strict=True))
    return f"dead ReLUs {sum(result.dead)}/{sum(widths)} (per layer {per_layer})"


def _result_lines(result: Any) -> str:
    h = result.history
    return (
        f"test accuracy {result.test_accuracy:.3f}, train accuracy {result.train_accuracy:.3f}"
        f"  ({h.steps} updates, {h.seconds:.1f} s, {1e3 * h.seconds_per_epoch:.0f} ms per epoch)"
        f"\n{_dead_text(result)}"
        + (
            "\nstuck near 50%: the network's output no longer depends on its input"
            if result.stuck and not result.interrupted
            else ""
        )
        + (
            f"\ninterrupted after {h.epochs_done} of {h.epochs} epochs ({h.steps} updates); "
            "the accuracies are those of the model after its last update"
            if result.interrupted
            else ""
        )
    )


# ---------------------------------------------------------------- many runs
def _whole_layer_dead(result: Any) -> bool:
    widths = [layer.nout for layer in result.model.layers[:-1]]
    return any(d == w for d, w in zip(result.dead, widths, strict=True))


def _sweep(
    settings: dict[str, Any],
    runs: int,
    as_json: bool,
    out_dir: Path | None,
    progress: bool,
    interrupt: Interrupt,
) -> int:
    from nn.train import MODES
    from valuegrad.lecture import run_sweep

    modes = [settings.pop("mode")] if "mode" in settings else list(MODES)
    seed = settings.pop("seed")
    if not as_json:
        seeds = f"seeds {seed}..{seed + runs - 1} ({runs} runs per mode)"
        print(_header(settings, modes, seeds))

    def on_run(r: Any) -> None:
        if as_json:
            return
        h = r.history
        loss = f"loss {h.loss[-1]:.4f}" if h.loss else "loss -"
        line = (
            f"  {r.mode:<10} seed {r.seed:>4}: test acc {r.test_accuracy:.3f}  train acc "
            f"{r.train_accuracy:.3f}  {loss}  {_dead_text(r)}  {h.seconds:.1f} s"
            + ("  <- stuck" if r.stuck and not r.interrupted else "")
            + (f"  (interrupted after {h.epochs_done} epochs)" if r.interrupted else "")
        )
        if progress:
            from tqdm import tqdm

            tqdm.write(line, file=sys.stdout)  # above the progress bars, not through them
        else:
            print(line, flush=True)

    sweep = run_sweep(
        runs, modes, seed, on_run=on_run, progress=progress, stop=interrupt, **settings
    )
    payload = sweep.to_dict()
    interrupt.hold()  # from here on a second Ctrl-C waits until the files are whole
    if sweep.interrupted:
        done = ", ".join(f"{len(sweep.completed(m))} {m}" for m in sweep.modes)
        print(
            f"valuegrad classify: interrupted after {done} of {runs} runs per mode",
            file=sys.stderr,
        )
    if as_json:
        print(json.dumps(payload))
    else:
        print(_sweep_summary(sweep))
    if out_dir is not None:
        _write_sweep(sweep, out_dir, payload)
    return 0


def _sweep_summary(sweep: Any) -> str:
    lines = ["", "Test accuracy over the runs (the pattern):"]
    if sweep.interrupted:
        lines[1] = "Test accuracy over the runs completed before the interruption:"
    for mode in sweep.summarised_modes:
        s = sweep.summary(mode)
        runs = sweep.completed(mode)
        stuck = [r for r in runs if r.stuck]
        lines.append(
            f"  {mode:<10} min {s.min:.3f}  median {s.median:.3f}  max {s.max:.3f}  "
            f"({s.at_least_95}/{s.runs} runs >= 0.95, {s.stuck} stuck near 50%, "
            f"{s.dead_mean:.1f} dead ReLUs per run, {s.seconds_mean:.1f} s per run)"
        )
        if stuck:
            dead_layer = sum(_whole_layer_dead(r) for r in stuck)
            seeds = ", ".join(str(r.seed) for r in stuck)
            lines.append(
                f"    stuck runs (seeds {seeds}): {dead_layer} of {len(stuck)} ended with a whole "
                "hidden layer of dead ReLUs (zero on every training point, so no gradient "
                "flows back through it)"
            )
    if len(sweep.summarised_modes) == 2:
        a, b = (sweep.summary(m) for m in sweep.summarised_modes)
        lines.append(
            f"  median test accuracy: {a.mode} {a.median:.3f} vs {b.mode} {b.median:.3f} "
            f"after the same number of epochs ({sweep.completed(a.mode)[0].history.steps} vs "
            f"{sweep.completed(b.mode)[0].history.steps} updates)"
        )
    if not sweep.summarised_modes:
        lines.append("  (no run was completed)")
    return "\n".join(lines)


def _write_sweep(sweep: Any, out_dir: Path, payload: dict[str, Any]) -> None:
    from viz.plots import plot_batch_vs_stochastic, plot_losses

    write_json(out_dir / "classify_runs.json", payload)
    curves = {f"{r.mode} seed {r.seed}": r.history.loss for r in sweep.runs if r.history.loss}
    if curves:
        path = out_dir / "classify_runs_loss.svg"
        plot_losses(curves, path, title="Training loss per epoch, every run")
        print(f"wrote {path}", file=sys.stderr)
    first = {mode: sweep.completed(mode)[0] for mode in sweep.summarised_modes}
    if not first:
        return
    r0 = next(iter(first.values()))
    if len(first) == 2:
        path = out_dir / "batch_vs_stochastic.svg"
        plot_batch_vs_stochastic(
            {m: r.model for m, r in first.items()},
            {m: r.history for m, r in first.items()},
            r0.X_train,
            r0.y_train,
            path,
            X_test=r0.X_test,
            y_test=r0.y_test,
            title=f"{r0.dataset}: batch vs stochastic (seed {r0.seed})",
        )
        print(f"wrote {path}", file=sys.stderr)
    else:
        _boundary(
            r0,
            out_dir / f"classify_{r0.mode}_boundary.svg",
            f"{r0.mode} (seed {r0.seed}): test accuracy {r0.test_accuracy:.3f}",
        )
