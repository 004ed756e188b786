"""Eager-engine benchmarks: a long chain, and a 2-16-16-1 ReLU MLP against micrograd.

Run:  python -m benchmarks.engine      (micrograd comes from the ``bench`` extra)

Both engines build the *same* graph from the same weights (copied from micrograd's
MLP into ours), the results are checked to agree, and the timings are interleaved
with a garbage collection before every repeat (see ``benchmarks/timing.py``).
"""

from __future__ import annotations

import argparse
import random
import sys

from autograd import Value
from benchmarks.timing import best_times, fmt_ms

N_POINTS = 100
SIZES = (2, 16, 16, 1)


def make_data(n: int = N_POINTS, seed: int = 0) -> tuple[list[tuple[float, float]], list[float]]:
    """Points in [-2, 2]^2 labelled +-1 by the sign of x*y (an XOR pattern)."""
    rng = random.Random(seed)
    xs = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(n)]
    ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]
    return xs, ys


def chain(n: int) -> float:
    """Build v = ((x * c + c) * c + c) ... (n ops) and backpropagate; returns dv/dx."""
    x = Value(1.0)
    v = x
    for _i in range(n // 2):
        v = v * 0.999999 + 1e-6
    v.backward()
    return x.grad


class ValueMLP:
    """A plain-Value MLP with micrograd's graph shape: act = b + w0*x0 + w1*x1 + ..."""

    def __init__(self, weights: list[list[list[float]]], biases: list[list[float]]) -> None:
        self.layers = [
            [([Value(w) for w in row], Value(b)) for row, b in zip(layer_w, layer_b, strict=True)]
            for layer_w, layer_b in zip(weights, biases, strict=True)
        ]

    def __call__(self, x: tuple[float, ...]) -> Value:
        last = len(self.layers) - 1
        for k, layer in enumerate(self.layers):
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
                out.append(act.relu() if k != last else act)
            x = out
        return x[0]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]


def svm_loss(model, xs, ys):  # type: ignore[no-untyped-def]
    """micrograd's demo loss: mean hinge loss max(0, 1 - y * score)."""
    scores = [model(x) for x in xs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
    return sum(losses) * (1.0 / len(losses))


def mlp_step(model, xs, ys):  # type: ignore[no-untyped-def]
    """Forward + backward of the whole data set (one full-batch gradient)."""
    for p in model.parameters():
        p.grad = 0
    loss = svm_loss(model, xs, ys)
    loss.backward()
    return loss


def main(argv: list[str] | None = None) -> int:
    """Print the engine benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chain", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)

    xs, ys = make_data()
    try:
        from micrograd import nn as micro_nn
    except ImportError:
        print("micrograd is not installed (pip install -e '.[bench]'): skipping the comparison")
    else:
        compare_with_micrograd(micro_nn.MLP, xs, ys, args.repeats)

    # The chain runs last: freeing a million-node graph leaves a large heap behind,
    # which would slow whatever is timed after it.
    print("chain of n ops (build + backward), valuegrad eager:")
    for n in args.chain:
        t = best_times({"chain": lambda n=n: chain(n)}, repeats=max(1, args.repeats // 2))["chain"]
        print(f"  n = {n:>9,}: {fmt_ms(t)}  ({t / n * 1e9:.0f} ns per op)")
    return 0


def compare_with_micrograd(micro_mlp, xs, ys, repeats: int) -> None:  # type: ignore[no-untyped-def]
    """Time the same MLP graph in micrograd and in valuegrad."""
    random.seed(1)  # micrograd draws its initial weights from the global generator
    micro = micro_mlp(SIZES[0], list(SIZES[1:]))
    weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in micro.layers]
    biases = [[n.b.data for n in layer.neurons] for layer in micro.layers]
    ours = ValueMLP(weights, biases)

    # Same graph, same numbers: check before timing (keeping floats only, so that no
    # graph stays alive to be traversed by the garbage collector during the timings).
    lm, lo = mlp_step(micro, xs, ys).data, mlp_step(ours, xs, ys).data
    gm = [p.grad for p in micro.parameters()]
    go = [p.grad for p in ours.parameters()]
    same_loss = abs(lm - lo) <= 1e-12 * max(1.0, abs(lm))
    same_grads = all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(gm, go, strict=True))
    if not (same_loss and same_grads):
        raise RuntimeError(f"the two engines disagree: loss {lm!r} vs {lo!r}")

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # micrograd recurses
    t = best_times(
        {"micrograd": lambda: mlp_step(micro, xs, ys), "valuegrad": lambda: mlp_step(ours, xs, ys)},
        repeats=repeats,
    )
    print(f"2-16-16-1 ReLU MLP, forward + backward over {len(xs)} points (loss {lo:.6f}):")
    print(f"  micrograd  {fmt_ms(t['micrograd'])}")
    print(f"  valuegrad  {fmt_ms(t['valuegrad'])}   {t['micrograd'] / t['valuegrad']:.1f}x faster")


if __name__ == "__main__":
    raise SystemExit(main())
