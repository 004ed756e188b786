"""Fair timing: interleaved repeats, garbage collected before each, best-of-N."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_times(workloads: dict[str, Callable[[], object]], repeats: int = 5) -> dict[str, float]:
    """Best wall time (seconds) of each workload over ``repeats`` interleaved rounds.

    Rounds interleave the workloads (A B C A B C ...) so that a slow patch of the machine
    hits all of them alike, and ``gc.collect()`` runs before every timed call so that
    no workload pays for the garbage another left behind.
    """
    best = {name: float("inf") for name in workloads}
    for _ in range(repeats):
        for name, fn in workloads.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            best[name] = min(best[name], elapsed)
    gc.collect()
    return best


def fmt_ms(seconds: float) -> str:
    """Seconds as a right-aligned millisecond figure."""
    return f"{seconds * 1e3:9.1f} ms"
