"""``valuegrad graph``: printed values and gradients, --json, --trace, the SVG, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from valuegrad.cli import build_parser, main
from viz import graph as viz_graph

LECTURE = ["(x+y)*z", "x=-2", "y=5", "z=-4"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["graph", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_graph_is_a_registered_sub_command() -> None:
    assert "graph" in build_parser().format_help()


def test_prints_the_value_and_a_gradient_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--no-svg", *LECTURE)
    assert status == 0 and err == ""
    assert out.splitlines() == [
        "f = (x+y)*z = -12",
        "  name  value  df/dname",
        "  x        -2        -4",
        "  y         5        -4",
        "  z        -4         3",
    ]


def test_json_prints_exactly_value_and_grads(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--no-svg", "--json", *LECTURE)
    assert status == 0
    assert json.loads(out) == {"value": -12.0, "grads": {"x": -4.0, "y": -4.0, "z": 3.0}}


def test_trace_prints_the_slide(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--no-svg", "--trace", *LECTURE)
    assert status == 0
    lines = out.splitlines()
    assert "df/df = 1" in lines
    assert "df/d(x + y) = df/df · ∂f/∂(x + y) = 1 · z = 1 · (-4) = -4" in lines
    assert "df/dz = df/df · ∂f/∂z = 1 · (x + y) = 1 · 3 = 3" in lines
    assert "df/dx = df/d(x + y) · ∂(x + y)/∂x = -4 · 1 = -4" in lines
    assert "df/dy = df/d(x + y) · ∂(x + y)/∂y = -4 · 1 = -4" in lines


def test_json_with_trace(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--no-svg", "--json", "--trace", *LECTURE)
    doc = json.loads(out)
    assert status == 0 and set(doc) == {"value", "grads", "trace"}
    steps = doc["trace"]["steps"]
    assert [(s["node"], s["parent"], s["contribution"]) for s in steps] == [
        ("f", "x + y", -4.0),
        ("f", "z", 3.0),
        ("x + y", "x", -4.0),
        ("x + y", "y", -4.0),
    ]


def test_a_shared_name_accumulates(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--no-svg", "--json", "x*x + exp(x)", "x=0")
    assert status == 0 and json.loads(out) == {"value": 1.0, "grads": {"x": 1.0}}


def test_an_expression_without_names(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--no-svg", "--json", "2 ** 10")
    assert status == 0 and json.loads(out) == {"value": 1024.0, "grads": {}}


def test_an_expression_starting_with_minus_after_double_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "--no-svg", "--json", "--", "-x**2", "x=3")
    assert status == 0 and json.loads(out) == {"value": -9.0, "grads": {"x": -6.0}}


@pytest.mark.dot
def test_writes_the_svg_to_the_given_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "f.svg"
    status, out, err = run(capsys, *LECTURE, "-o", str(target))
    assert status == 0 and err == ""
    assert out.splitlines()[-1] == f"wrote {target}"
    root = ET.fromstring(target.read_text(encoding="utf-8"))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "x + y" in texts and "grad -4.0000" in texts
    assert "f = (x+y)*z" in texts  # the title


@pytest.mark.dot
def test_writes_graph_svg_by_default_and_keeps_stdout_pure_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "--json", *LECTURE)
    assert status == 0
    json.loads(out)  # nothing else on stdout
    assert err.strip() == "wrote graph.svg"
    ET.fromstring((tmp_path / "graph.svg").read_text(encoding="utf-8"))


def test_without_dot_the_results_are_printed_and_the_svg_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(viz_graph.shutil, "which", lambda name: None)
    target = tmp_path / "f.svg"
    status, out, err = run(capsys, "--json", *LECTURE, "-o", str(target))
    assert status == 0
    assert json.loads(out)["value"] == -12.0
    assert err.startswith("valuegrad graph: SVG skipped: ")
    assert "install Graphviz" in err and err.count("\n") == 1
    assert not target.exists()


def test_an_unwritable_svg_path_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, *LECTURE, "-o", str(tmp_path / "missing" / "f.svg"))
    assert status == 1
    assert "f = (x+y)*z = -12" in out  # the results came first
    assert "does not exist" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["(x+y)*z", "x=-2", "y=5"], "no value for 'z' (column 7): add z=VALUE"),
        (["x*2", "x=1", "x=2"], "x is given twice"),
        (["x*2", "x=1", "y=2"], "y=2 is not used by the expression"),
        (["x*2", "x"], "expected NAME=VALUE"),
        (["x*2", "x=one"], "the value is not a number"),
        (["x*2", "x=nan"], "finite"),
        (["x*2", "x=inf"], "finite"),
        (["x*2", "x=1", "2x=3"], "'2x' is not a valid name"),
        (["x*2", "x=1", "lambda=3"], "'lambda' is a Python keyword"),
        (["x*2", "x=1", "tanh=3"], "'tanh' is a function name"),
        (["x.__class__", "x=1"], "unsupported syntax 'attribute access'"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], phrase: str
) -> None:
    status, out, err = run(capsys, "--no-svg", *args)
    assert status == 2 and out == ""
    assert phrase in err and err.count("\n") == 1 and "Traceback" not in err


def test_python_dash_m_valuegrad_graph_json(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "valuegrad", "graph", *LECTURE, "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"value": -12.0, "grads": {"x": -4.0, "y": -4.0, "z": 3.0}}
    assert "Traceback" not in done.stderr


def test_trace_falls_back_to_ascii_on_a_plain_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(
        [sys.executable, "-m", "valuegrad", "graph", *LECTURE, "--trace", "--no-svg"],
        capture_output=True,
        text=True,
        encoding="ascii",
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "df/dx = df/d(x + y) * del (x + y)/del x = -4 * 1 = -4" in done.stdout.splitlines()


def test_html_and_output_naming_one_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "p.html"
    page.write_text("kept")
    status, out, err = run(capsys, "--html", str(page), "-o", str(page), *LECTURE)
    assert status == 2 and "--html and -o name the same file" in err and out == ""
    assert page.read_text() == "kept"  # nothing was written
