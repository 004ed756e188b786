"""The command line as a whole: sub-commands, version, and a closed pipe."""

from __future__ import annotations

import subprocess
import sys

import pytest

from valuegrad import __version__
from valuegrad.cli import build_parser, main


def test_every_subcommand_is_registered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert list(sub.choices) == ["demo", "graph", "regress", "classify", "playground"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"valuegrad {__version__}"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([])
    assert stop.value.code == 2
    assert "required" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly() -> None:
    # `valuegrad regress | head -0`: the reader is gone before anything is written
    proc = subprocess.Popen(
        [sys.executable, "-m", "valuegrad", "regress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert err == b""  # no traceback, no "Exception ignored ... BrokenPipeError"
    assert proc.returncode == 141  # 128 + SIGPIPE, as a shell reports it
