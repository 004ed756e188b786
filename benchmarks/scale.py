"""The compiled engine at scale, and the digits network per epoch against numpy and PyTorch.

Run:  python -m benchmarks.scale   [--quick] [--skip-largest] [--only-epochs | --only-growth]

Two tables.

1. **Per epoch on the handwritten digits.** The 64-32-10 ReLU network (and the one-layer
   64-10, with bias so that every engine trains the same parameters) trained with the
   ``classify --dataset digits`` defaults (Adam, lr 0.02, mini-batches of 32, 1347
   training images), from the same initial weights and in the same batch order, on:
   valuegrad eager (one epoch, once: it takes seconds), valuegrad compiled (the eager
   numbers to the bit), valuegrad fast (compiled with ``exact=False``: matrix products,
   equal to rounding), the same network written by hand in numpy
   (``benchmarks/references.py``, its BLAS on one thread) and PyTorch (CPU, float64,
   one thread). Each run measures the training
   accuracy after every epoch, as ``nn.train`` does. Time per epoch is the best of a
   few interleaved repeats of the epoch loop (the compiled engine's one-off recording
   is listed on its own). Then the compiled and the fast epochs taken apart: replaying
   the batches (forward + backward), the optimizer's update of the parameter array,
   train's checks for a finite loss and finite parameters, and the accuracy pass.

2. **Growth with graph size and batch size.** MLPs from 64-16-10 to the lecture's
   "Computation cost" network 784-512-256-10 (535,040 weights, 535,818 parameters; one
   sample's loss graph holds 1.6 million nodes), each in a fresh process: the time to
   record one sample's graph (the eager forward pass and loss), to build a ``Program``
   from that recording, and ``compile`` as ``train`` calls it (three recordings checked
   against each other, then the Program); peak memory (VmHWM) after compiling; then for
   each batch size the replay (``value_and_grad``: forward + backward, given the
   parameters as one array as ``train`` gives them; the first call, which also plans
   the buffers, and the best of the next ones), exact and with ``exact=False``, against
   the numpy reference's forward + backward of the same batch, and the peak memory
   after it.

Every engine's loss is checked against valuegrad's before it is timed. The machine
this runs on may be shared: the ratios, measured side by side, are the point.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Program, Value, compile, toposort
from benchmarks import references
from benchmarks.suite import _batches, _optional
from nn import MLP, Adam, cross_entropy, train
from nn.evaluate import labels, outputs
from nn.train import _compile_batches
from valuegrad import digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
D = digits.DIGITS_DEFAULTS

LADDER = [
    (64, 16, 10),
    (64, 32, 10),
    (64, 128, 10),
    (784, 32, 10),
    (784, 128, 10),
    (784, 512, 10),
    (784, 512, 256, 10),
]
"""The networks of the growth table, smallest to largest."""
BATCHES = (1, 8, 32, 128)
MAX_BUFFER_GIB = 6.0  # skip a batch size whose value + gradient arrays would pass this
# numpy's BLAS and torch run on one thread each, so that the references are measured as
# the scalar engine runs (one core) and a loaded machine does not starve one of them
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _s(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


# --------------------------------------------------------------------------- #
# 1. Per epoch on the digits                                                    #
# --------------------------------------------------------------------------- #


def _net(hidden: list[int], seed: int) -> MLP:
    return MLP(64, [*hidden, 10], activation="relu", seed=seed)


def epoch_row(hidden: list[int], epochs: int, repeats: int, torch: Any) -> dict[str, Any]:
    """Time per epoch of one digits network on every engine (see the module docstring)."""
    X, _, y, _ = digits.split_digits(D["test_fraction"], D["data_seed"])
    seed, lr, batch_size = D["seed"], D["lr"], D["batch_size"]
    start = _net(hidden, seed)
    weights = [np.array(w) for w in start.weights]
    biases = [np.array(b) for b in start.biases]
    order = _batches(len(y), "stochastic", epochs, batch_size, seed)
    losses: dict[str, list[float]] = {}
    best: dict[str, float] = {}

    def ours(engine: str, n_epochs: int) -> float:
        net = _net(hidden, seed)
        h = train(
            net,
            X,
            y,
            mode="stochastic",
            epochs=n_epochs,
            optimizer="adam",
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            engine=engine,
        )
        assert h.engine == engine
        losses[engine] = h.step_loss
        return h.seconds  # the epoch loop only: the recording happens before it

    def numpy_run() -> float:
        t = time.perf_counter()
        losses["numpy"], _ = references.numpy_train(
            [w.copy() for w in weights], [b.copy() for b in biases], X, y, order, "adam", lr
        )
        return time.perf_counter() - t

    def torch_run() -> float:
        t = time.perf_counter()
        losses["torch"], _ = references.torch_train(weights, biases, X, y, order, "adam", lr)
        return time.perf_counter() - t

    runs: dict[str, Callable[[], float]] = {
        "compiled": lambda: ours("compiled", epochs),
        "fast": lambda: ours("fast", epochs),
        "numpy": numpy_run,
    }
    if torch is not None:
        runs["torch"] = torch_run
    for _ in range(repeats):  # interleaved, garbage collected before each
        for name, run in runs.items():
            gc.collect()
            best[name] = min(best.get(name, float("inf")), run() / epochs)
    gc.collect()
    best["eager"] = ours("eager", 1)  # one epoch, once
    per_epoch = len(order[0])
    if losses["eager"] != losses["compiled"][:per_epoch]:
        raise RuntimeError("the eager and compiled losses differ")
    for name in ("fast", "numpy", "torch"):
        if name in losses and abs(losses[name][0] - losses["compiled"][0]) > 1e-12:
            raise RuntimeError(f"{name}'s first loss differs: {losses[name][0]!r}")
    t = time.perf_counter()
    _compile_batches(_net(hidden, seed), cross_entropy, "cross_entropy", X, y)
    best["record"] = time.perf_counter() - t
    best["breakdown"] = compiled_breakdown(hidden, X, y, order[0], repeats, exact=True)
    best["breakdown_fast"] = compiled_breakdown(hidden, X, y, order[0], repeats, exact=False)
    name = "-".join(map(str, [64, *hidden, 10]))
    return {"network": name, "params": start.num_parameters(), "updates": per_epoch, **best}


def compiled_breakdown(
    hidden: list[int],
    X: np.ndarray,
    y: np.ndarray,
    batches: list[np.ndarray],
    repeats: int,
    exact: bool,
) -> dict[str, float]:
    """One compiled epoch taken apart (seconds): the steps of ``nn.train``'s loop, each timed.

    Per batch, as ``nn.train``'s compiled engine does it: the replay (forward and
    backward, the loss and the gradient array, ``loss_and_grad`` on the parameter
    array), the optimizer (Adam's ``step_values`` on that array) and train's checks (a
    finite loss, finite parameters); then the parameters written back into the Values
    and the accuracy pass over the training set (the numpy forward, exact or with
    matrix products as the engine). The best epoch of ``repeats`` (after one that
    plans the buffers).
    """
    net = _net(hidden, D["seed"])
    batch = _compile_batches(net, cross_entropy, "cross_entropy", X, y, exact)
    opt = Adam(net.parameters(), D["lr"])
    values = opt.values()
    clock = time.perf_counter
    best: dict[str, float] = {}
    for _ in range(repeats + 1):
        gc.collect()
        parts = dict.fromkeys(("replay", "update", "checks", "evaluate"), 0.0)
        for idx in batches:
            t1 = clock()
            value, grads = batch.loss_and_grad(X[idx], y[idx], values)
            t2 = clock()
            opt.step_values(values, grads)
            t3 = clock()
            if not (math.isfinite(value) and np.isfinite(values).all()):
                raise RuntimeError("the breakdown's training diverged")
            t4 = clock()
            parts["update"] += t3 - t2
            parts["replay"] += t2 - t1
            parts["checks"] += t4 - t3
        t = clock()
        opt.store(values)
        labels(net, outputs(net, X, exact=exact))
        parts["evaluate"] = clock() - t
        if not best or sum(parts.values()) < sum(best.values()):
            best = parts
    return best


def format_epochs(rows: list[dict[str, Any]]) -> str:
    """The per-epoch table and the breakdown of the compiled epochs, as Markdown."""
    lines = [
        "| digits network (1347 images, batches of 32, Adam) | valuegrad eager | valuegrad "
        "compiled | valuegrad fast | numpy by hand | torch | compiled / numpy | fast / numpy "
        "| fast / torch | eager / compiled |",
        "|" + "---|" * 10,
    ]
    for r in rows:
        torch = r.get("torch")
        versus_torch = f"{r['fast'] / torch:.1f}x" if torch else "—"
        lines.append(
            f"| {r['network']} ({r['params']:,} parameters, {r['updates']} updates) "
            f"| {_ms(r['eager'])} | {_ms(r['compiled'])} | {_ms(r['fast'])} | {_ms(r['numpy'])} "
            f"| {_ms(torch) if torch else '—'} | {r['compiled'] / r['numpy']:.1f}x "
            f"| {r['fast'] / r['numpy']:.1f}x | {versus_torch} "
            f"| {r['eager'] / r['compiled']:.0f}x |"
        )
    lines += [
        "",
        "| one epoch, taken apart | replay (forward + backward) | optimizer "
        "(Adam's vectorised step) | train's finite checks | accuracy pass | sum | recording "
        "(once) |",
        "|" + "---|" * 7,
    ]
    for r in rows:
        for key, engine in (("breakdown", "compiled"), ("breakdown_fast", "fast")):
            b = r[key]
            total = sum(b.values())
            share = {k: f"{_ms(v)} ({v / total:.0%})" for k, v in b.items()}
            lines.append(
                f"| {r['network']}, {engine} | {share['replay']} | {share['update']} "
                f"| {share['checks']} | {share['evaluate']} | {_ms(total)} | {_ms(r['record'])} |"
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------- #
# 2. Growth                                                                     #
# --------------------------------------------------------------------------- #


def _memory() -> dict[str, float]:
    """VmHWM (peak) and VmRSS (now) of this process, in MiB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line[2:5].lower()] = int(line.split()[1]) / 1024
    return out


def probe(sizes: tuple[int, ...], batches: tuple[int, ...], repeats: int) -> dict[str, Any]:
    """Measure one network in this (fresh) process; returns a JSON-ready dict."""
    nin, widths = sizes[0], list(sizes[1:])
    result: dict[str, Any] = {"sizes": list(sizes), "base_mib": _memory()["hwm"]}
    net = MLP(nin, widths, activation="relu", seed=0)
    params = net.parameters()
    weights = [np.array(w) for w in net.weights]
    biases = [np.array(b) for b in net.biases]
    result["weights"] = sum(w.size for w in weights)
    result["params"] = len(params)
    rng = np.random.default_rng(0)
    n = max(batches)
    X = digits.split_digits()[0][:n] if nin == 64 else rng.uniform(0.0, 1.0, (n, nin))
    y = rng.integers(0, 10, n)
    columns = np.hstack([X, np.eye(10)[y]])  # inputs, then the one-hot target (as train)

    def sample_loss(*cols: Value) -> Value:
        return cross_entropy(net(list(cols[:nin])), list(cols[nin:]))

    t = time.perf_counter()
    inputs = [Value(float(v)) for v in columns[0]]
    loss = sample_loss(*inputs)
    result["record_s"] = time.perf_counter() - t
    result["nodes"] = len(toposort(loss))
    t = time.perf_counter()
    Program(loss, inputs, params)
    result["program_s"] = time.perf_counter() - t
    del loss, inputs
    gc.collect()
    t = time.perf_counter()
    program = compile(sample_loss, columns, params)
    result["compile_s"] = time.perf_counter() - t
    gc.collect()
    result["compile_mib"] = _memory()["hwm"]
    result["groups"] = program.num_groups
    t = time.perf_counter()
    fast = compile(sample_loss, columns, params, exact=False)  # matrix products
    result["compile_fast_s"] = time.perf_counter() - t
    result["dense"] = fast.num_dense
    # the parameters in one array, as training hands them to the replay (reading half a
    # million Values' .data would cost more than a small batch's replay)
    values = np.array([p.data for p in params])
    result["batches"] = []
    for b in batches:
        row: dict[str, Any] = {"batch": b}
        # the replay keeps one value and one gradient per node and sample (float64)
        need = 2 * program.num_nodes * b * 8 / 2**30
        if need > MAX_BUFFER_GIB:
            row["skipped"] = f"needs about {need:.1f} GiB of buffers"
            result["batches"].append(row)
            continue
        Xb, yb, cb = X[:b], y[:b], columns[:b]
        t = time.perf_counter()
        out, _ = program.value_and_grad(cb, param_values=values)
        row["first_s"] = time.perf_counter() - t
        expected, _ = references.numpy_loss_and_grads(weights, biases, Xb, yb)
        if abs(float(out[:, 0].mean()) - expected) > 1e-9 * max(1.0, abs(expected)):
            raise RuntimeError(f"{sizes}: compiled loss {out[:, 0].mean()!r} vs numpy {expected!r}")
        out_fast, _ = fast.value_and_grad(cb, param_values=values)  # (plans buffers)
        if abs(float(out_fast[:, 0].mean()) - expected) > 1e-9 * max(1.0, abs(expected)):
            raise RuntimeError(f"{sizes}: fast loss {out_fast[:, 0].mean()!r} vs {expected!r}")
        replay, replay_fast, ref = float("inf"), float("inf"), float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            program.value_and_grad(cb, param_values=values)
            replay = min(replay, time.perf_counter() - t)
            t = time.perf_counter()
            fast.value_and_grad(cb, param_values=values)
            replay_fast = min(replay_fast, time.perf_counter() - t)
            t = time.perf_counter()
            references.numpy_loss_and_grads(weights, biases, Xb, yb)
            ref = min(ref, time.perf_counter() - t)
        row.update(replay_s=replay, fast_s=replay_fast, numpy_s=ref, mib=_memory()["hwm"])
        result["batches"].append(row)
    return result


def growth_rows(
    ladder: list[tuple[int, ...]], batches: tuple[int, ...], repeats: int
) -> list[dict[str, Any]]:
    """``probe`` each network in a fresh interpreter (so that peak memory is its own)."""
    rows = []
    for sizes in ladder:
        arg = "-".join(map(str, sizes))
        print(f"  {arg} ...", file=sys.stderr, flush=True)
        command = [sys.executable, "-m", "benchmarks.scale", "--probe", arg]
        command += ["--batches", ",".join(map(str, batches)), "--repeats", str(repeats)]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            env={**os.environ, **ONE_THREAD},
        )
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            rows.append({"sizes": list(sizes), "failed": f"exit {done.returncode}: {tail}"})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def format_growth(rows: list[dict[str, Any]]) -> str:
    """The growth tables as Markdown."""
    lines = [
        "| network | weights | nodes per sample | record 1 sample | Program from it "
        "| compile (3 recordings) | peak memory after compile |",
        "|" + "---|" * 7,
    ]
    for r in rows:
        name = "-".join(map(str, r["sizes"]))
        if "failed" in r:
            lines.append(f"| {name} | failed: {r['failed']} |||||")
            continue
        lines.append(
            f"| {name} | {r['weights']:,} | {r['nodes']:,} | {_s(r['record_s'])} "
            f"| {_s(r['program_s'])} | {_s(r['compile_s'])} | {r['compile_mib']:,.0f} MiB |"
        )
    batches = sorted({b["batch"] for r in rows for b in r.get("batches", [])})
    lines += [
        "",
        "| network | "
        + " | ".join(
            f"batch {b}: exact replay (first call) · fast replay · numpy · peak memory"
            for b in batches
        )
        + " |",
        "|" + "---|" * (len(batches) + 1),
    ]
    for r in rows:
        if "failed" in r:
            continue
        cells = []
        by_batch = {b["batch"]: b for b in r["batches"]}
        for b in batches:
            m = by_batch.get(b)
            if m is None:
                cells.append("—")
            elif "skipped" in m:
                cells.append(f"skipped ({m['skipped']})")
            else:
                cells.append(
                    f"{_ms(m['replay_s'])} ({_ms(m['first_s'])}) = "
                    f"{m['replay_s'] / m['numpy_s']:.0f}x · {_ms(m['fast_s'])} = "
                    f"{m['fast_s'] / m['numpy_s']:.1f}x · {_ms(m['numpy_s'])} · "
                    f"{m['mib']:,.0f} MiB"
                )
        lines.append(f"| {'-'.join(map(str, r['sizes']))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- #


def _one_blas_thread() -> None:
    """Limit numpy's BLAS to one thread in this process (numpy is already imported)."""
    try:
        from threadpoolctl import threadpool_limits  # comes with scikit-learn
    except ImportError:  # pragma: no cover
        print("note: threadpoolctl is missing: numpy's BLAS may use several threads")
        return
    threadpool_limits(1)


def main(argv: list[str] | None = None) -> int:
    """Print both tables (or, with --probe, measure one network and print JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and epochs")
    parser.add_argument(
        "--skip-largest", action="store_true", help="leave out 784-512-256-10 (about a minute)"
    )
    parser.add_argument("--only-epochs", action="store_true", help="only the per-epoch table")
    parser.add_argument("--only-growth", action="store_true", help="only the growth tables")
    parser.add_argument("--probe", metavar="SIZES", help=argparse.SUPPRESS)
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        _one_blas_thread()
        sizes = tuple(int(s) for s in args.probe.split("-"))
        batches = tuple(int(b) for b in args.batches.split(","))
        print(json.dumps(probe(sizes, batches, args.repeats or 3)))
        return 0
    repeats = args.repeats or (2 if args.quick else 5)
    epochs = 2 if args.quick else 5
    _one_blas_thread()
    torch = _optional("torch")
    if torch is None:
        print("note: torch is not installed (sh bootstrap.sh dev): its column is empty")
    gc.collect()
    gc.freeze()  # torch's import leaves many long-lived objects: keep them out of the timings
    started = time.perf_counter()
    if not args.only_growth:
        print("Per epoch on the handwritten digits:", file=sys.stderr, flush=True)
        rows = [epoch_row(hidden, epochs, repeats, torch) for hidden in ([32], [])]
        print(format_epochs(rows))
        print()
    if not args.only_epochs:
        print("Growth with graph size and batch size:", file=sys.stderr, flush=True)
        ladder = LADDER[:-1] if args.skip_largest else LADDER
        if args.quick:
            ladder = [s for s in ladder if s[0] == 64]
        print(format_growth(growth_rows(ladder, BATCHES, repeats)))
    print(
        f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, numpy {np.__version__}"
        + (f", torch {torch.__version__} (1 thread)" if torch is not None else "")
        + ", numpy's BLAS on 1 thread"
        + f"; {time.perf_counter() - started:.0f} s in all"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
