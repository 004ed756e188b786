"""The benchmark suite: one table of every engine on the same workloads.

Run:  python -m benchmarks.suite   [--quick]

Columns: micrograd, valuegrad eager, valuegrad compiled, the same network written
directly in numpy (the lecture's style, ``benchmarks/references.py``) and PyTorch on the
CPU (float64, one thread). micrograd and torch come from the ``bench`` extra; a missing
one is skipped with a note. Timings are the best of a few repeats, interleaved between
the engines, with garbage collected before each (``benchmarks/timing.py``); every
engine's result is checked against the eager engine's before it is timed.

Every engine's training run also measures the training accuracy after each epoch, as
``nn.train`` does. Workloads:

* ``mlp 2-16-16-1``: micrograd's demo — a ReLU MLP, forward and backward of the mean
  hinge loss over 100 points, from the same weights in every engine;
* ``classify batch`` / ``classify stochastic``: ``valuegrad classify`` — the lecture's
  2-4-6-6-4-2 network trained on moons, full-batch or in mini-batches of 20, with the
  same data, initial weights, batch order and optimizer in every engine;
* peak memory (RSS) of a 1,000,000-node eager graph and of the compiled classifier,
  each measured in a fresh process.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Value, compile
from benchmarks import references
from benchmarks.engine import make_data
from benchmarks.timing import best_times
from nn import MLP, train
from valuegrad import lecture

Row = dict[str, Any]


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


# --------------------------------------------------------------------------- #
# micrograd's MLP workload                                                      #
# --------------------------------------------------------------------------- #


def _hinge(outputs: list[Value], target: Any) -> Value:
    """max(0, 1 - y * score), micrograd's demo loss, for one sample."""
    return (1 - target * outputs[0]).relu()


def mlp_workload(repeats: int, micrograd: Any, torch: Any) -> Row:
    """Forward and backward of the mean hinge loss of a 2-16-16-1 ReLU MLP, 100 points."""
    points, labels = make_data()
    X, y = np.array(points), np.array(labels)
    rng = np.random.default_rng(1)
    weights = [
        rng.uniform(-1, 1, (16, 2)),
        rng.uniform(-1, 1, (16, 16)),
        rng.uniform(-1, 1, (1, 16)),
    ]
    biases = [np.zeros(16), np.zeros(16), np.zeros(1)]
    net = MLP(2, [16, 16, 1], weights=weights, biases=biases)
    params = net.parameters()

    def eager() -> float:
        for p in params:
            p.grad = 0.0
        total = None
        for x, t in zip(points, labels, strict=True):
            loss = _hinge(net(list(x)), t)
            total = loss if total is None else total + loss
        mean = total * (1.0 / len(points))
        mean.backward()
        return mean.data

    program = compile(lambda x0, x1, t: _hinge(net([x0, x1]), t), np.column_stack([X, y]), params)
    batch = np.column_stack([X, y])

    def compiled() -> float:
        for p in params:
            p.grad = 0.0
        return program.backward(batch)

    reference = eager()
    grads = np.array([p.grad for p in params])
    runs: dict[str, Callable[[], object]] = {"eager": eager, "compiled": compiled}
    checks = {"compiled": compiled()}
    checks_grads = {"compiled": np.array([p.grad for p in params])}

    if micrograd is not None:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP as MMLP

        sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # micrograd recurses
        random.seed(0)
        mnet = MMLP(2, [16, 16, 1])
        for layer, W, b in zip(mnet.layers, weights, biases, strict=True):
            for neuron, row, bj in zip(layer.neurons, W, b, strict=True):
                neuron.w = [MValue(float(w)) for w in row]
                neuron.b = MValue(float(bj))

        mparams = mnet.parameters()

        def micro() -> float:
            for p in mparams:
                p.grad = 0
            scores = [mnet(list(x)) for x in points]
            losses = [(1 + -t * s).relu() for t, s in zip(labels, scores, strict=True)]
            mean = sum(losses) * (1.0 / len(losses))
            mean.backward()
            return mean.data

        runs["micrograd"] = micro
        checks["micrograd"] = micro()
        checks_grads["micrograd"] = np.array([p.grad for p in mparams])

    runs["numpy"] = lambda: references.numpy_hinge_step(weights, biases, X, y)
    checks["numpy"] = references.numpy_hinge_step(weights, biases, X, y)[0]
    if torch is not None:
        model = references.torch_mlp(weights, biases)
        inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
        runs["torch"] = lambda: references.torch_hinge_step(model, inputs, targets)
        checks["torch"] = references.torch_hinge_step(model, inputs, targets)

    for name, value in checks.items():
        if abs(value - reference) > 1e-9 * max(1.0, abs(reference)):
            raise RuntimeError(f"{name} computes loss {value!r}, eager {reference!r}")
    for name, g in checks_grads.items():
        # micrograd orders parameters w..., b per neuron, as nn does
        if not np.allclose(g, grads, rtol=1e-9, atol=1e-12):
            raise RuntimeError(f"{name}'s gradients differ from the eager engine's")
    times = best_times(runs, repeats=repeats)
    return {"workload": "mlp 2-16-16-1, 100 points, fwd+bwd", **times, "note": "losses agree"}


# --------------------------------------------------------------------------- #
# The lecture's classifier                                                      #
# --------------------------------------------------------------------------- #


def _batches(n: int, mode: str, epochs: int, batch_size: int, seed: int) -> list[list[np.ndarray]]:
    """Per epoch, the row order of ``nn.train``: a seeded permutation in stochastic mode."""
    if mode == "batch":
        return [[np.arange(n)] for _ in range(epochs)]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        out.append([order[i : i + batch_size] for i in range(0, n, batch_size)])
    return out


def classify_workload(mode: str, repeats: int, torch: Any, epochs: int) -> Row:
    """Train the 2-4-6-6-4-2 network on moons with the classify defaults, every engine."""
    d = lecture.CLASSIFY_DEFAULTS
    X, _, y, _ = lecture.split_data()
    seed = d["seed"]
    start = lecture.second_network(seed)
    weights = [np.array(w) for w in start.weights]
    biases = [np.array(b) for b in start.biases]
    histories: dict[str, list[float]] = {}

    def run(engine: str) -> None:
        net = lecture.second_network(seed)
        h = train(
            net,
            X,
            y,
            mode=mode,
            epochs=epochs,
            lr=d["lr"],
            optimizer=d["optimizer"],
            batch_size=d["batch_size"],
            seed=seed,
            engine=engine,
        )
        histories[engine] = h.step_loss

    batches = _batches(len(y), mode, epochs, d["batch_size"], seed)

    def numpy_run() -> None:
        histories["numpy"], _ = references.numpy_train(
            [w.copy() for w in weights],
            [b.copy() for b in biases],
            X,
            y,
            batches,
            d["optimizer"],
            d["lr"],
        )

    runs: dict[str, Callable[[], object]] = {
        "eager": lambda: run("eager"),
        "compiled": lambda: run("compiled"),
        "numpy": numpy_run,
    }
    if torch is not None:

        def torch_run() -> None:
            histories["torch"], _ = references.torch_train(
                weights, biases, X, y, batches, d["optimizer"], d["lr"]
            )

        runs["torch"] = torch_run
    times = best_times(runs, repeats=repeats)
    identical = histories["eager"] == histories["compiled"]
    for name in ("numpy", "torch"):
        if name in histories:
            other = np.array(histories[name])
            ours = np.array(histories["eager"])
            # another summation order: equal to rounding for a while, then apart (Adam)
            if abs(other[0] - ours[0]) > 1e-12 * abs(ours[0]):
                raise RuntimeError(f"{name}'s first loss differs: {other[0]!r} vs {ours[0]!r}")
    updates = len(histories["eager"])
    note = f"{updates} updates; eager and compiled losses {'identical' if identical else 'DIFFER'}"
    return {"workload": f"classify {mode}, {epochs} epochs", **times, "note": note}


# --------------------------------------------------------------------------- #
# Memory                                                                        #
# --------------------------------------------------------------------------- #

_MEMORY_SCRIPTS = {
    "eager graph, 1,000,000 nodes": """
from autograd import Value
x = Value(1.0)
v = x
for _ in range(1_000_000):
    v = v + 1.0
v.backward()
""",
    "compiled classifier (225 samples)": """
from nn.losses import cross_entropy
from nn.train import _compile_batches
from valuegrad import lecture
X, _, y, _ = lecture.split_data()
net = lecture.second_network(0)
batch = _compile_batches(net, cross_entropy, "cross_entropy", X, y)
batch(net, cross_entropy, X, y)
""",
    "python + numpy + the library (baseline)": """
import numpy as np
import autograd, nn
""",
}


def memory_rows() -> list[Row]:
    """Peak RSS (MiB) of each memory script, each in a fresh interpreter."""
    rows = []
    for name, script in _MEMORY_SCRIPTS.items():
        # VmHWM: the high-water mark of this process image's resident memory (ru_maxrss
        # would also count the parent's memory at fork time, kept across exec).
        probe = script + (
            "\nfor line in open('/proc/self/status'):\n"
            "    if line.startswith('VmHWM:'):\n"
            "        print(int(line.split()[1]))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        rows.append({"what": name, "peak_mib": int(out.stdout.strip().splitlines()[-1]) / 1024})
    return rows


# --------------------------------------------------------------------------- #


COLUMNS = ("micrograd", "eager", "compiled", "numpy", "torch")


def _cell(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def format_table(rows: list[Row]) -> str:
    """The timings as a Markdown table, with the ratios that matter."""
    head = (
        "| workload | micrograd | valuegrad eager | valuegrad compiled | numpy | torch "
        "| micrograd / eager | eager / compiled | compiled / best of numpy, torch |"
    )
    lines = [head, "|" + "---|" * 9]
    for row in rows:
        cells = [_cell(row.get(c)) for c in COLUMNS]
        micro = f"{row['micrograd'] / row['eager']:.1f}x" if "micrograd" in row else "—"
        speedup = f"{row['eager'] / row['compiled']:.1f}x"
        refs = [row[c] for c in ("numpy", "torch") if c in row]
        versus = f"{row['compiled'] / min(refs):.2f}" if refs else "—"
        lines.append(
            f"| {row['workload']} | " + " | ".join([*cells, micro, speedup, versus]) + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every workload and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and epochs")
    args = parser.parse_args(argv)
    repeats, epochs = (2, 20) if args.quick else (5, lecture.CLASSIFY_DEFAULTS["epochs"])
    micrograd, torch = _optional("micrograd"), _optional("torch")
    for name, module in (("micrograd", micrograd), ("torch", torch)):
        if module is None:
            print(f"note: {name} is not installed (pip install -e '.[bench]'): its column is empty")
    # Importing torch leaves hundreds of thousands of long-lived objects; freezing them
    # keeps every later garbage collection from re-scanning them inside the timings.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    rows = [mlp_workload(repeats, micrograd, torch)]
    for mode in ("batch", "stochastic"):
        rows.append(classify_workload(mode, max(2, repeats - 2), torch, epochs))
    print(format_table(rows))
    print()
    for row in rows:
        print(f"{row['workload']}: {row['note']}")
    print()
    print("| peak memory (RSS, fresh process) | MiB |\n|---|---|")
    for m in memory_rows():
        print(f"| {m['what']} | {m['peak_mib']:.0f} |")
    cpu = os.cpu_count()
    print(
        f"\n{cpu} CPUs, Python {sys.version.split()[0]}, numpy {np.__version__}"
        + (f", torch {torch.__version__} (1 thread)" if torch is not None else "")
        + f"; {time.perf_counter() - started:.0f} s in all"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
