"""Command-line helpers shared by the sub-commands: checked options and file writes.

Numeric options are read as text and checked here (not by argparse), so every bad value
ends in one line on stderr and exit status 2, via :class:`valuegrad.cli.UsageError`.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from valuegrad.cli import UsageError

__all__ = ["output_dir", "parse_float", "parse_int", "write_json", "write_text"]


def parse_int(option: str, text: str, minimum: int) -> int:
    """``text`` as an integer >= minimum; a UsageError naming the option otherwise."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise UsageError(f"{option} must be an integer, got {text!r}") from None
    if value < minimum:
        raise UsageError(f"{option} must be >= {minimum}, got {value}")
    return value


def parse_float(
    option: str,
    text: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = True,
    high_open: bool = True,
) -> float:
    """``text`` as a finite float within the given interval; a UsageError otherwise."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UsageError(f"{option} must be a number, got {text!r}") from None
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (math.isfinite(value) and above and below):
        interval = (
            f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            if math.isfinite(high)
            else f"{'>' if low_open else '>='} {low:g}"
        )
        raise UsageError(f"{option} must be {interval}, got {text!r}")
    return value


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
