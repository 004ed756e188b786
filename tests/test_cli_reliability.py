"""The commands under hostile or careless use: bounds, divergence, option order, Ctrl-C.

Exit statuses and messages are checked on real processes (``python -m valuegrad``); the
Ctrl-C tests start a long run with its stderr on a pseudo-terminal (so tqdm draws its
progress bar, as on a user's terminal), wait until the bar shows progress, send SIGINT
and check what the process printed, wrote and returned.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from valuegrad.cli import INTERRUPTED, main

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def valuegrad(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m valuegrad ARGV`` to the end."""
    return subprocess.run(
        [sys.executable, "-m", "valuegrad", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=timeout,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str], command: str) -> str:
    """The single line on stderr, checked to be a clean error of ``command``."""
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"valuegrad {command}: error: ")
    return lines[0]


# ---------------------------------------------------------------------- bounds
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # before: "Python int too large to convert to C ssize_t", status 1
        (
            ["regress", "--steps", "99999999999999999999999"],
            "--steps must be an integer from 1 to 1,000,000, got '99999999999999999999999'",
        ),
        (["regress", "--steps", "1e9"], "--steps must be an integer from 1 to 1,000,000"),
        (["classify", "--epochs", "1e9"], "--epochs must be an integer from 1 to 1,000,000"),
        (["classify", "--n", "1e9"], "--n must be an integer from 2 to 100,000, got '1e9'"),
        (["demo", "--seeds", "1e6"], "--seeds must be an integer from 1 to 1,000, got '1e6'"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(argv: list[str], message: str) -> None:
    result = valuegrad(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in one_error_line(result, argv[0])


HUGE = "9" * 5000  # more digits than Python's int() accepts


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["regress", "--steps", HUGE], "--steps must be an integer from 1 to 1,000,000, got '99"),
        (["regress", "--steps", "1.5"], "--steps must be an integer from 1 to 1,000,000"),
        (["regress", "--steps", "1e-3"], "--steps must be an integer from 1 to 1,000,000"),
        (["regress", "--lr", "1e400"], "--lr must be a finite number > 0, got '1e400'"),
        (["classify", "--noise", "inf"], "--noise must be a finite number >= 0"),
        (["classify", "--lr=-inf"], "--lr must be a finite number > 0"),
        (["classify", "--momentum", "1"], "--momentum must be [0, 1)"),
        (["classify", "--batch-size", "1e6"], "--batch-size must be an integer from 1 to 100,000"),
        (["classify", "--runs", "1e4"], "--runs must be an integer from 1 to 1,000"),
        (["classify", "--seed", str(2**32)], "--seed must be an integer from 0 to 4,294,967,295"),
        (
            ["classify", "--data-seed", "-1"],
            "--data-seed must be an integer from 0 to 4,294,967,295",
        ),
        (
            ["classify", "--seed", str(2**32 - 1), "--runs", "2"],
            "--seed 4294967295 with --runs 2 goes past the largest seed, 4,294,967,295",
        ),
        (
            # within each bound, but 1e6 epochs of 12 mini-batches is 12e6 updates
            ["classify", "--epochs", "1e6"],
            "is 12,000,000 updates; at most 10,000,000",
        ),
        (
            ["classify", "--runs", "1000", "--epochs", "1000"],
            "1,000 runs is 13,000,000 updates; at most 10,000,000",
        ),
        (
            ["classify", "--engine", "eager", "--mode", "batch", "--n", "1e5"],
            "--engine eager builds a graph per sample: a batch of 75,000 samples is more "
            "than 10,000 (use --engine compiled, or a smaller --n)",
        ),
        (["demo", "--epochs", "1e7"], "--epochs must be an integer from 1 to 1,000,000"),
        (["demo", "--seeds", "1000", "--epochs", "1000"], "at most 10,000,000"),
    ],
)
def test_every_numeric_option_is_bounded(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"valuegrad {argv[0]}: error: ") and message in err
    assert len(err) < 300  # a 5000-digit argument is clipped in the message


def test_integers_may_be_written_in_scientific_notation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regress", "--json", "--steps", "2.5e1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["steps"] == 25 and len(doc["losses"]) == 25
    assert main(["classify", "--json", "--n", "4e1", "--epochs", "2e0", "--mode", "batch"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dataset"]["n"] == 40 and doc["steps"] == 2


@pytest.mark.parametrize(
    ("command", "bounds"),
    [
        ("regress", ["1 to 1,000,000", "any finite number > 0", "1e6", "130"]),
        ("classify", ["2 to 100,000", "1 to 1,000,000", "1 to 1,000", "10,000,000", "130"]),
        ("demo", ["1 to 1,000", "1 to 1,000,000", "130"]),
    ],
)
def test_help_states_the_bounds(
    capsys: pytest.CaptureFixture[str], command: str, bounds: list[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for bound in bounds:
        assert bound in text, bound


# ------------------------------------------------------------------ divergence
def test_a_diverging_training_exits_1_and_says_what_to_change() -> None:
    # before: status 0 with a final loss of 1.27e9
    result = valuegrad("classify", "--lr", "1e10", "--json")
    assert result.returncode == 1 and result.stdout == ""
    line = one_error_line(result, "classify")
    assert "training diverged at epoch 1, step 2: the loss has grown to" in line
    assert "smaller learning rate than lr=1e+10" in line


@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_inputs_too_large_are_a_data_error(engine: str) -> None:
    # noise 1e308 makes some coordinates inf. Before: the eager engine blamed the lr
    result = valuegrad("classify", "--noise", "1e308", "--engine", engine, "--epochs", "2")
    assert result.returncode == 1
    line = one_error_line(result, "classify")
    assert "training data: X[" in line and "the inputs must be finite numbers" in line
    assert "learning rate" not in line


def test_an_overflow_prints_no_numpy_warning() -> None:
    # before: four RuntimeWarnings ("overflow encountered in multiply", ...) on stderr
    result = valuegrad("classify", "--lr", "1e300", "--optimizer", "sgd", "--mode", "batch")
    assert result.returncode == 1
    line = one_error_line(result, "classify")
    assert "training diverged at epoch" in line and "lr=1e+300" in line


# ---------------------------------------------------------------- option order
@pytest.mark.parametrize(
    "argv",
    [
        ["x+y", "--json", "x=1", "y=2", "--no-svg"],  # before: "unrecognized arguments"
        ["x+y", "x=1", "--no-svg", "y=2", "--json"],
        ["--json", "--no-svg", "x+y", "x=1", "y=2"],
    ],
)
def test_graph_options_may_come_after_the_bindings(argv: list[str]) -> None:
    result = valuegrad("graph", *argv)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"value": 3.0, "grads": {"x": 1.0, "y": 1.0}}


def test_graph_still_refuses_an_unknown_option_and_needs_dashdash() -> None:
    result = valuegrad("graph", "x+y", "--json", "x=1", "y=2", "--bogus")
    assert result.returncode == 2 and result.stdout == ""
    assert "valuegrad graph: error: unrecognized arguments: --bogus" in result.stderr
    result = valuegrad("graph", "--no-svg", "--json", "--", "-x", "x=3")
    assert result.returncode == 0 and json.loads(result.stdout)["grads"] == {"x": -1.0}


def test_demo_output_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    # before: status 1 ("not a directory") where regress and classify say 2
    target = tmp_path / "file"
    target.write_text("keep")
    for command in ("demo", "regress", "classify"):
        result = valuegrad(command, "-o", str(target))
        assert result.returncode == 2, command
        assert "-o must name a directory" in one_error_line(result, command)
    assert target.read_text() == "keep"


# ---------------------------------------------------------------------- Ctrl-C
class Terminal:
    """A child process whose stderr is a pseudo-terminal, read by a thread."""

    PROGRESS = re.compile(rb"\|\s*[1-9]\d*/\d+")  # a tqdm bar past its first step

    def __init__(self, *argv: str, cwd: Path = ROOT) -> None:
        master, slave = pty.openpty()
        # a fresh pty is 0 columns wide, and tqdm would draw an empty bar
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "valuegrad", *argv],
            stdout=subprocess.PIPE,
            stderr=slave,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=ENV,
        )
        os.close(slave)
        self.master = master
        self.err = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed its end
                    return
                if not chunk:
                    return
                self.err += chunk
            elif self.proc.poll() is not None:
                return

    STARTED = re.compile(rb"\|\s*0/\d+")  # a tqdm bar drawn as its loop starts

    def wait_for_progress(
        self, timeout: float = 120, pattern: re.Pattern[bytes] = PROGRESS
    ) -> None:
        """Until the progress bar shows at least one step done (or ``pattern``)."""
        deadline = time.monotonic() + timeout
        while not pattern.search(self.err):
            assert self.proc.poll() is None, self.err.decode(errors="replace")
            assert time.monotonic() < deadline, "no progress shown"
            time.sleep(0.05)

    def interrupt(self, times: int = 1) -> tuple[int, str, str]:
        """Send SIGINT (``times`` times, 50 ms apart); (status, stdout, stderr text)."""
        for k in range(times):
            if k:
                time.sleep(0.05)
            self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=120)
        self._reader.join(timeout=10)
        os.close(self.master)
        return self.proc.returncode, out.decode(), self.err.decode(errors="replace")


def no_temporary_files(directory: Path) -> None:
    leftovers = [p.name for p in directory.iterdir() if p.name.startswith(".") or "tmp" in p.name]
    assert leftovers == []


def test_ctrl_c_stops_regress_after_a_step_and_writes_what_it_did(tmp_path: Path) -> None:
    term = Terminal("regress", "--steps", "1e6", "--json", "-o", str(tmp_path))
    term.wait_for_progress()
    status, out, err = term.interrupt()
    assert status == INTERRUPTED == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert re.search(r"valuegrad regress: interrupted after [\d,]+ of 1,000,000 iterations", err)
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["settings"]["steps"] == 1_000_000
    done = doc["steps_done"]
    assert 0 < done < 1_000_000 and len(doc["losses"]) == done
    # final is measured after the last completed update: below the loss before it
    assert doc["final"]["loss"] < doc["losses"][-1]
    assert json.loads((tmp_path / "regress.json").read_text()) == doc
    assert (tmp_path / "regress_loss.svg").read_text().rstrip().endswith("</svg>")
    no_temporary_files(tmp_path)


def test_ctrl_c_stops_classify_and_marks_the_result(tmp_path: Path) -> None:
    term = Terminal("classify", "--epochs", "1e5", "--json", "-o", str(tmp_path))
    term.wait_for_progress()
    status, out, err = term.interrupt()
    assert status == 130 and "Traceback" not in err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["epochs"] == 100_000
    epochs, steps = doc["epochs_done"], doc["steps"]
    assert 1 <= epochs < 100_000
    assert len(doc["losses"]) == len(doc["test_accuracies"]) == epochs
    assert len(doc["step_losses"]) == steps
    # 12 mini-batches per epoch; the cut epoch, if any, is not among the epochs
    assert 12 * epochs <= steps < 12 * (epochs + 1)
    assert 0.0 <= doc["test_accuracy"] <= 1.0
    assert json.loads((tmp_path / "classify_stochastic.json").read_text()) == doc
    no_temporary_files(tmp_path)


def test_ctrl_c_stops_a_sweep_with_the_runs_done(tmp_path: Path) -> None:
    term = Terminal("classify", "--runs", "3", "--epochs", "1e4", "--json", "-o", str(tmp_path))
    term.wait_for_progress()
    status, out, err = term.interrupt()
    assert status == 130 and "Traceback" not in err
    doc = json.loads(out)
    assert doc["interrupted"] is True
    runs = doc["runs"]
    assert 1 <= len(runs) < 6 and runs[-1]["interrupted"] is True
    assert all(not r["interrupted"] for r in runs[:-1])
    for mode in doc["modes"]:
        done = [r for r in runs if r["mode"] == mode and not r["interrupted"]]
        assert doc["runs_done"][mode] == len(done)
        assert (mode in doc["summary"]) == bool(done)
    last = runs[-1]
    assert len(last["losses"]) == last["epochs_done"] < 10_000
    assert json.loads((tmp_path / "classify_runs.json").read_text()) == doc
    no_temporary_files(tmp_path)


def test_a_second_ctrl_c_aborts_without_a_traceback_or_a_half_file(tmp_path: Path) -> None:
    term = Terminal(
        "classify", "--epochs", "1e5", "--engine", "eager", "--json", "-o", str(tmp_path)
    )
    term.wait_for_progress()
    status, out, err = term.interrupt(times=2)
    assert status == 130
    assert "Traceback" not in err and "interrupted" in err
    # the second signal came once the run had stopped, while its results were being
    # written: it waited for them, so each file is whole
    for path in tmp_path.iterdir():
        if path.suffix == ".json":
            assert json.loads(path.read_text())["interrupted"] is True
        else:
            assert path.read_text().rstrip().endswith("</svg>")
    no_temporary_files(tmp_path)
    if out:
        assert json.loads(out)["interrupted"] is True


def test_a_second_ctrl_c_while_computing_aborts_at_once(tmp_path: Path) -> None:
    # one eager full-batch step on 6,000 samples takes seconds: both signals land inside
    # the first one, so nothing was done, nothing is printed and nothing is written
    term = Terminal(
        "classify",
        "--engine",
        "eager",
        "--mode",
        "batch",
        "--n",
        "8000",
        "--epochs",
        "5",
        "--json",
        "-o",
        str(tmp_path),
    )
    term.wait_for_progress(pattern=Terminal.STARTED)
    status, out, err = term.interrupt(times=2)  # (it waits with a timeout: a hang fails)
    assert status == 130 and out == ""
    assert "Traceback" not in err and "valuegrad classify: interrupted" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.dot
def test_ctrl_c_stops_the_demo_and_writes_the_report_so_far(tmp_path: Path) -> None:
    out_dir = tmp_path / "report"
    term = Terminal("demo", "-o", str(out_dir), "--seeds", "3", "--no-speed")
    term.wait_for_progress()  # the first network's 1000 iterations
    status, out, err = term.interrupt()
    assert status == 130 and "Traceback" not in err
    assert "valuegrad demo: interrupted during" in err
    page = (out_dir / "index.html").read_text()
    assert "Interrupted (Ctrl-C) during" in page
    for name in set(re.findall(r'(?:src|href)="([^"]+)"', page)):
        assert (out_dir / name).is_file(), name
        if name.endswith(".json"):
            json.loads((out_dir / name).read_text())
    assert f"report: {(out_dir / 'index.html').resolve()}" in out
    no_temporary_files(out_dir)


def test_the_handler_is_the_clis_only_while_a_command_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(signal.getsignal(signal.SIGINT))
        return real(*args, **kwargs)

    import valuegrad.lecture as lecture

    real = lecture.run_regression
    try:
        lecture.run_regression = spy  # type: ignore[assignment]
        assert main(["regress", "--steps", "3", "--json"]) == 0
    finally:
        lecture.run_regression = real  # type: ignore[assignment]
    capsys.readouterr()
    assert seen and seen[0] is not before  # the CLI's own handler while running
    assert signal.getsignal(signal.SIGINT) is before  # and the library user's after
    with pytest.raises(KeyboardInterrupt):  # Python's own semantics are back
        signal.raise_signal(signal.SIGINT)
        time.sleep(1)
