"""The `dot` marker: a test that needs Graphviz skips where it is missing, fails on CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A real test of the suite that needs dot, and a PATH without dot on it.
DOT_TEST = "tests/test_viz_network.py::test_network_diagrams_render_as_svg"


def run_without_dot(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"  # the only directory on PATH: no dot here
    bin_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(bin_dir)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", DOT_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_dot_tests_fail_on_ci_when_dot_is_missing(tmp_path: Path) -> None:
    done = run_without_dot(tmp_path, ci="1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 failed" in done.stdout and "skipped" not in done.stdout
    assert "the Graphviz `dot` program is not installed but CI is set" in done.stdout


def test_dot_tests_skip_elsewhere_when_dot_is_missing(tmp_path: Path) -> None:
    done = run_without_dot(tmp_path, ci=None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 skipped" in done.stdout and "the Graphviz `dot` program is not installed" in (
        done.stdout
    )


@pytest.mark.dot
def test_the_dot_marker_lets_a_test_run_where_dot_is_installed() -> None:
    assert shutil.which("dot") is not None
