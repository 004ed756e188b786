"""Command-line helpers shared by the sub-commands: checked options and file writes.

Numeric options are read as text and checked here (not by argparse), so every bad value
ends in one line on stderr and exit status 2, via :class:`valuegrad.cli.UsageError`.
"""

from __future__ import annotations

import decimal
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from valuegrad.cli import Interrupt, UsageError

__all__ = [
    "MAX_UPDATES",
    "check_updates",
    "interrupt_of",
    "output_dir",
    "parse_float",
    "parse_int",
    "write_json",
    "write_text",
]


def _shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for an error message, clipped so a huge argument stays one short line."""
    return (
        repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"
    )


def parse_int(option: str, text: str, minimum: int, maximum: int) -> int:
    """``text`` as an integer in [minimum, maximum]; a UsageError naming the option otherwise.

    An integer may be written in scientific notation when it is exact (``1e6``, ``2.5e3``),
    as in the help's bounds; ``1.5`` or ``1e-3`` is refused. The value is compared with
    the bounds as an exact decimal *before* it becomes a Python int, so a thousand-digit
    argument costs nothing and ends in the same one-line error.
    """
    allowed = f"an integer from {minimum:,} to {maximum:,}"
    try:
        stripped = text.strip()
        # underscores only between digits, as in Python's own literals (1_000)
        if "_" in stripped and not re.fullmatch(r"[+-]?\d+(_\d+)*", stripped):
            raise decimal.InvalidOperation
        value = decimal.Decimal(stripped)
    except (AttributeError, decimal.InvalidOperation):
        raise UsageError(f"{option} must be {allowed}, got {_shown(text)}") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise UsageError(f"{option} must be {allowed}, got {_shown(text)}")
    if not minimum <= value <= maximum:
        raise UsageError(f"{option} must be {allowed}, got {_shown(text)}")
    return int(value)


def parse_float(
    option: str,
    text: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = True,
    high_open: bool = True,
) -> float:
    """``text`` as a finite float within the given interval; a UsageError otherwise.

    With ``high`` infinite, the upper bound is the largest finite float (about 1.8e308):
    anything that reads as inf or nan is refused.
    """
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UsageError(f"{option} must be a number, got {_shown(text)}") from None
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (math.isfinite(value) and above and below):
        interval = (
            f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            if math.isfinite(high)
            else f"a finite number {'>' if low_open else '>='} {low:g}"
        )
        raise UsageError(f"{option} must be {interval}, got {_shown(text)}")
    return value


MAX_UPDATES = 10_000_000
"""The most optimizer updates one command makes: the loss of every update is kept in
memory (and printed with ``--json``), about 50 bytes each, so this caps that at ~0.5 GB."""


def check_updates(updates: int, how: str) -> None:
    """A UsageError when a command would make more than MAX_UPDATES updates; ``how`` says why."""
    if updates > MAX_UPDATES:
        raise UsageError(
            f"{how} is {updates:,} updates; at most {MAX_UPDATES:,} (the loss of every "
            "update is kept): fewer --epochs or runs, or a larger --batch-size"
        )


def interrupt_of(args: Any) -> Interrupt:
    """The command's Ctrl-C handler (set by ``cli.main``; a dormant one otherwise)."""
    found = getattr(args, "interrupt", None)
    return found if isinstance(found, Interrupt) else Interrupt()


def output_dir(text: str | None) -> Path | None:
    """The ``-o`` directory, created if missing; a UsageError if it is a file."""
    if text is None:
        return None
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UsageError(f"-o must name a directory, but {text!r} is a file")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8 with :func:`nn.files.write_text`.

    A regular file is replaced atomically (a reader never sees half a file, a failure
    leaves the old file, its permission bits are kept), a device or FIFO is written to
    directly, and a symlink is written through to its target.
    """
    from nn.files import write_text as write  # imported here: `valuegrad --help` stays quick

    return write(path, text)


def write_json(path: Path, payload: Any, *, announce: bool = True) -> Path:
    """Write ``payload`` as indented JSON (atomically) and, by default, say so on stderr."""
    write_text(path, json.dumps(payload, indent=2) + "\n")
    if announce:
        print(f"wrote {path}", file=sys.stderr)
    return path
