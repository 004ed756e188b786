"""The ``valuegrad`` command line: sub-commands, and one error policy for all of them.

Bad input never ends in a traceback: a :class:`UsageError` (a bad argument) exits with
status 2, an error the library raises about the user's data or numbers (``ValueError``,
``TypeError``, ``ArithmeticError``) or about a file (``OSError``) exits with status 1,
each with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from valuegrad import __version__, commands

__all__ = ["UsageError", "build_parser", "main"]


class UsageError(Exception):
    """A bad command-line argument; the message says which and why."""


def _command_modules() -> list:
    found = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "register"):
            found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="valuegrad",
        description="See the chain rule at work: scalar autograd, graphs with values and "
        "gradients, and the two networks of an introductory deep-learning lecture.",
    )
    parser.add_argument("--version", action="version", version=f"valuegrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prefix = f"valuegrad {args.command}: error:"
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # inside the try: a reader that left is reported here, not at exit
        return status
    except UsageError as err:
        print(f"{prefix} {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`valuegrad classify | head`): stop quietly, as `cat` does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ValueError, TypeError, ArithmeticError, OSError) as err:
        print(f"{prefix} {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"valuegrad {args.command}: interrupted", file=sys.stderr)
        return 130
