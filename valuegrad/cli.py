"""The ``valuegrad`` command line: sub-commands, and one error policy for all of them.

Bad input never ends in a traceback: a :class:`UsageError` (a bad argument) exits with
status 2, an error the library raises about the user's data or numbers (``ValueError``,
``TypeError``, ``ArithmeticError``, a diverging training) or about a file (``OSError``)
exits with status 1, each with a one-line message on stderr.

Ctrl-C (SIGINT) is handled by :class:`Interrupt` for the duration of a command only: the
first asks the work to stop at the end of its current step (the command then prints and
writes what it has done, marked interrupted); a second aborts at once, except while the
results are being written, which it lets finish (no file is left half-written). Either
way the status is 130 (128 + SIGINT, as a shell reports it) and there is no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType, TracebackType
from typing import Any

from valuegrad import __version__, commands

__all__ = ["INTERRUPTED", "Interrupt", "UsageError", "build_parser", "main"]

INTERRUPTED = 130
"""The exit status after Ctrl-C: 128 + SIGINT, as a shell reports a process it interrupted."""


class UsageError(Exception):
    """A bad command-line argument; the message says which and why."""


class Interrupt:
    """Ctrl-C during one command: a flag the work polls between steps, then an abort.

    Used as a context manager, it installs its SIGINT handler (main thread only) and
    puts the previous handler back on exit, so a library user keeps Python's own
    ``KeyboardInterrupt``. The first SIGINT only sets :attr:`requested` -- calling the
    object returns it, which makes it a ``stop`` hook for ``nn.train`` and
    ``valuegrad.lecture`` -- so the work ends after its current step, never inside an
    update. A second SIGINT raises ``KeyboardInterrupt`` at once, unless the command is
    *holding*: from :meth:`hold`, or from the moment the stop hook has said True, the
    command is writing its results, and a second SIGINT is noted but waits for it (the
    status is 130 either way), so no file is left half-written.
    """

    def __init__(self) -> None:
        self.requested = False
        self.holding = False
        self._previous: Any = None
        self._installed = False

    def __call__(self) -> bool:
        """True once Ctrl-C was pressed: the ``stop`` hook (the work then winds up)."""
        if self.requested:
            self.holding = True
        return self.requested

    def hold(self) -> None:
        """From now to the end of the command (writing results), a second Ctrl-C waits."""
        self.holding = True

    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._installed:
            # None: a handler not set from Python, which cannot be put back; the default
            previous = signal.default_int_handler if self._previous is None else self._previous
            signal.signal(signal.SIGINT, previous)
            self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.requested:
            self.requested = True  # the work stops at the end of its current step
        elif not self.holding:
            raise KeyboardInterrupt  # a second Ctrl-C while computing: stop at once


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
        command = module.register(sub)
        command.set_defaults(command_parser=command)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse argv; a command's trailing positionals may also come after its options.

    argparse fills a ``nargs="*"`` positional from the first run of positionals only, so
    ``graph "x+y" --json x=1 y=2`` would leave ``x=1 y=2`` unrecognised. A command that
    sets the default ``positional_tail`` (the name of that list) gets them appended;
    anything else left over -- an unknown option above all -- is still an error.
    """
    args, extra = parser.parse_known_args(argv)
    if extra:
        tail = getattr(args, "positional_tail", None)
        command_parser = getattr(args, "command_parser", parser)
        unknown = extra if tail is None else [a for a in extra if a.startswith("-")]
        if unknown:
            command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        setattr(args, tail, [*getattr(args, tail), *extra])
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    with Interrupt() as interrupt:
        try:
            return _run(build_parser(), argv, interrupt)
        except KeyboardInterrupt:
            # Ctrl-C while the parser is being built (before a command is known)
            print("valuegrad: interrupted", file=sys.stderr)
            return INTERRUPTED


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None, interrupt: Interrupt) -> int:
    args = _parse(parser, argv)
    args.interrupt = interrupt
    prefix = f"valuegrad {args.command}: error:"
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # inside the try: a reader that left is reported here, not at exit
        return INTERRUPTED if interrupt.requested else status
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
        return INTERRUPTED
