"""``valuegrad regress`` and ``valuegrad classify``, run in-process (and once as a program)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from valuegrad.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# -------------------------------------------------------------------- regress
def test_regress_prints_the_slide(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regress", "--steps", "250"]) == 0
    out = capsys.readouterr().out
    for text in (
        "z0 = 0.05 * 0.15 + 0.10 * 0.2 + 0.45 = 0.4775",
        "z1 = 0.05 * 0.25 + 0.10 * 0.3 + 0.45 = 0.4925",
        "= 0.5075   (the slide prints 0.5057: a typo for 0.5075)",
        "[h]0 = 1/(1+e^-z0) ~ 0.6172",
        "[h]1 = 1/(1+e^-z1) ~ 0.6207",
        "[h]2 = 1/(1+e^-z2) ~ 0.6242",
        "z3 ~ 1.8245, z4 ~ 2.1038",
        "[p]0 = 1/(1+e^-z3) ~ 0.8611, [p]1 = 1/(1+e^-z4) ~ 0.8913",
        "loss l ~ 0.3671",
        "dl/d[w0]0  =  0.000528",
        "quiz: dl/d[w0]0 = 0.000528 (the slide's answer: 0.0006)",
        "iteration     0: loss 0.367063",
        "iteration   200: loss",
        "after 250 iterations: loss",
    ):
        assert text in out, text
    assert "iteration   300" not in out


def test_regress_json(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "regress", "--json")
    assert doc["initial"]["loss"] == pytest.approx(0.3670629, abs=1e-7)
    assert [round(p, 4) for p in doc["initial"]["output"]] == [0.8611, 0.8913]
    assert len(doc["losses"]) == 1000
    assert doc["losses"][0] == doc["initial"]["loss"]
    # final is measured after the last update: below the loss before it
    assert doc["final"]["loss"] < doc["losses"][-1] < 1e-3
    assert doc["final"]["biases"] == [[0.45] * 3, [0.8] * 2]
    assert doc["settings"] == {"steps": 1000, "lr": 0.5, "train_biases": False}


def test_regress_train_biases_and_lr(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "regress", "--json", "--steps", "10", "--lr", "0.1", "--train-biases")
    assert len(doc["losses"]) == 10 and doc["settings"]["lr"] == 0.1
    assert doc["final"]["biases"][0] != [0.45] * 3


def test_regress_writes_json_and_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    assert main(["regress", "--steps", "20", "-o", str(out_dir)]) == 0
    doc = json.loads((out_dir / "regress.json").read_text())
    assert len(doc["losses"]) == 20
    root = ET.parse(out_dir / "regress_loss.svg").getroot()
    assert root.tag.endswith("svg")
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["regress", "--steps", "0"], "--steps must be an integer from 1 to 1,000,000, got '0'"),
        (
            ["regress", "--steps", "ten"],
            "--steps must be an integer from 1 to 1,000,000, got 'ten'",
        ),
        (["regress", "--lr", "0"], "--lr must be a finite number > 0, got '0'"),
        (["regress", "--lr", "-1"], "--lr must be a finite number > 0"),
        (["regress", "--lr", "nan"], "--lr must be a finite number > 0"),
        (["classify", "--epochs", "0"], "--epochs must be an integer from 1 to 1,000,000, got '0'"),
        (["classify", "--dataset", "swirl"], "--dataset must be one of moons, circles, xor"),
        (["classify", "--mode", "online"], "--mode must be one of batch, stochastic"),
        (["classify", "--optimizer", "rmsprop"], "--optimizer must be one of sgd, adam"),
        (["classify", "--engine", "gpu"], "--engine must be one of auto, eager, compiled"),
        (["classify", "--noise", "-0.1"], "--noise must be a finite number >= 0"),
        (["classify", "--n", "1"], "--n must be an integer from 2 to 100,000"),
        (["classify", "--test-fraction", "1"], "--test-fraction must be (0, 1)"),
        (["classify", "--test-fraction", "0.9", "--n", "4"], "leaves no training data"),
        (["classify", "--lr", "x"], "--lr must be a number"),
        (["classify", "--runs", "0"], "--runs must be an integer from 1 to 1,000"),
        (["classify", "--batch-size", "0"], "--batch-size must be an integer from 1 to 100,000"),
        (["classify", "--momentum", "0.9"], "--momentum applies to --optimizer sgd only"),
        (["classify", "--init", "zeros"], "--init must be one of auto, he, xavier, normal"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"valuegrad {argv[0]}: error: ")
    assert message in err


def test_output_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert main(["regress", "-o", str(f)]) == 2
    assert "-o must name a directory" in capsys.readouterr().err


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "valuegrad", "regress", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert round(doc["initial"]["loss"], 4) == 0.3671 and len(doc["losses"]) == 1000
    assert doc["final"]["loss"] < 1e-3


# ------------------------------------------------------------------- classify
SMALL = ["--n", "80", "--epochs", "4"]


def test_classify_json(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "classify", "--json", *SMALL, "--seed", "3")
    assert doc["dataset"] == {
        "name": "moons",
        "n": 80,
        "noise": 0.1,
        "seed": 0,
        "test_fraction": 0.25,
        "n_train": 60,
        "n_test": 20,
    }
    assert doc["mode"] == "stochastic" and doc["seed"] == 3
    assert len(doc["losses"]) == 4 and doc["steps"] == 4 * 3
    assert 0 <= doc["test_accuracy"] <= 1 and 0 <= doc["train_accuracy"] <= 1
    assert doc["test_accuracy"] == doc["test_accuracies"][-1]
    assert doc["network"]["sizes"] == [2, 4, 6, 6, 4, 2]
    # deterministic for a seed
    assert run_json(capsys, "classify", "--json", *SMALL, "--seed", "3") == {
        **doc,
        "seconds": pytest.approx(doc["seconds"], abs=60),
    }


def test_classify_batch_mode_and_other_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(
        capsys,
        "classify",
        "--json",
        *SMALL,
        "--mode",
        "batch",
        "--dataset",
        "xor",
        "--optimizer",
        "sgd",
        "--lr",
        "0.1",
        "--momentum",
        "0.5",
        "--noise",
        "0.2",
    )
    assert doc["mode"] == "batch" and doc["steps"] == 4
    assert doc["dataset"]["name"] == "xor" and doc["dataset"]["noise"] == 0.2
    assert doc["optimizer"] == "sgd" and doc["momentum"] == 0.5


def test_classify_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "2-4-6-6-4-2" in out and "epoch     4" in out
    assert "test accuracy" in out and "dead ReLUs" in out


def test_classify_runs_show_the_spread(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "classify", "--json", *SMALL, "--runs", "2", "--seed", "5")
    assert doc["modes"] == ["batch", "stochastic"] and doc["seeds"] == [5, 6]
    assert len(doc["runs"]) == 4
    for mode in doc["modes"]:
        accs = sorted(r["test_accuracy"] for r in doc["runs"] if r["mode"] == mode)
        s = doc["summary"][mode]
        assert (s["min"], s["max"], s["runs"]) == (accs[0], accs[-1], 2)
        assert s["stuck"] == sum(r["stuck"] for r in doc["runs"] if r["mode"] == mode)
    assert main(["classify", *SMALL, "--runs", "2", "--mode", "batch"]) == 0
    out = capsys.readouterr().out
    assert "batch      min" in out and "stochastic" not in out.split("Test accuracy")[1]


def test_classify_writes_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", *SMALL, "-o", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "classify_stochastic.json",
        "classify_stochastic_boundary.svg",
        "classify_stochastic_loss.svg",
    ]
    doc = json.loads((tmp_path / "classify_stochastic.json").read_text())
    assert len(doc["losses"]) == 4
    for name in names[1:]:
        assert ET.parse(tmp_path / name).getroot().tag.endswith("svg")
    runs_dir = tmp_path / "runs"
    assert main(["classify", *SMALL, "--runs", "2", "-o", str(runs_dir)]) == 0
    assert sorted(p.name for p in runs_dir.iterdir()) == [
        "batch_vs_stochastic.svg",
        "classify_runs.json",
        "classify_runs_loss.svg",
    ]
    capsys.readouterr()
