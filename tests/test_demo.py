"""valuegrad demo: the report references only files it wrote, and every file is well formed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from valuegrad.cli import main
from valuegrad.report import build_report

pytestmark = pytest.mark.dot  # the report renders graphs with Graphviz


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("report")
    messages: list[str] = []
    return build_report(out, seeds=2, epochs=4, log=messages.append), messages


def test_every_referenced_file_exists_and_parses(report) -> None:  # type: ignore[no-untyped-def]
    result, _ = report
    page = result.index.read_text(encoding="utf-8")
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', page))
    assert referenced, "the report references no file"
    out = result.index.parent
    for name in referenced:
        path = out / name
        assert path.is_file(), f"index.html references {name}, which was not written"
        if name.endswith(".svg"):
            root = ET.parse(path).getroot()
            assert root.tag.endswith("svg")
        elif name.endswith(".json"):
            json.loads(path.read_text(encoding="utf-8"))
    # and nothing written is left unreferenced (apart from the page itself)
    written = {p.name for p in result.files} - {"index.html"}
    assert written == referenced
    assert not list(out.glob("*.tmp"))


def test_the_report_states_the_lectures_numbers(report) -> None:  # type: ignore[no-untyped-def]
    result, messages = report
    facts = result.facts
    assert facts["xyz"] == {"f": -12.0, "grads": {"x": -4.0, "y": -4.0, "z": 3.0}}
    first = facts["first_network"]
    # every slide number agrees except the z2 typo and the quiz's rounded answer
    assert (first["agree"], first["checked"]) == (10, 12)
    assert first["loss"] == pytest.approx(0.3671, abs=5e-5)
    assert first["dl/d[w0]0"] == pytest.approx(0.000528, abs=5e-7)
    assert first["gradcheck_ok"]
    assert first["final_loss"] < first["loss"] / 100
    assert set(facts["second_network"]) == {"batch", "stochastic"}
    assert facts["speed"]["identical_losses"] is True
    page = result.index.read_text(encoding="utf-8")
    assert "0.5075" in page and "0.000528" in page
    assert messages[0].startswith("[1/5]")


def test_cli_demo_prints_where_the_report_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    assert main(["demo", "-o", str(out), "--seeds", "1", "--epochs", "2", "--no-speed"]) == 0
    text = capsys.readouterr().out
    assert f"report: {(out / 'index.html').resolve()}" in text
    assert "10 of 12 slide numbers agree" in text


def test_cli_demo_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the same policy as the other commands: a bad value or -o FILE is a usage error (2)
    assert main(["demo", "-o", str(tmp_path), "--seeds", "0"]) == 2
    assert "--seeds must be an integer from 1 to 1,000, got '0'" in capsys.readouterr().err
    assert main(["demo", "-o", str(tmp_path), "--seeds", "1e6"]) == 2
    assert "--seeds must be an integer from 1 to 1,000, got '1e6'" in capsys.readouterr().err
    assert main(["demo", "-o", str(tmp_path), "--epochs", "x"]) == 2
    assert "--epochs must be an integer from 1 to 1,000,000, got 'x'" in capsys.readouterr().err
    # within each bound but too many updates in all: the same cap as classify's
    assert main(["demo", "-o", str(tmp_path), "--seeds", "1000", "--epochs", "1e6"]) == 2
    assert "at most 10,000,000" in capsys.readouterr().err
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["demo", "-o", str(target), "--seeds", "1", "--epochs", "1"]) == 2
    assert main(["regress", "-o", str(target), "--steps", "1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"valuegrad demo: error: -o must name a directory, but {str(target)!r} is a file",
        f"valuegrad regress: error: -o must name a directory, but {str(target)!r} is a file",
    ]
    assert target.read_text() == "x"


def test_a_stopped_report_is_written_and_says_where(tmp_path: Path) -> None:
    asked = []

    def stop() -> bool:  # stop after the 300th iteration of the first network
        asked.append(None)
        return len(asked) >= 301

    result = build_report(tmp_path, seeds=2, epochs=4, stop=stop)
    assert result.interrupted == "the first network's training"
    assert result.facts["interrupted"] == result.interrupted
    assert result.facts["first_network"]["steps"] == 300
    assert "second_network" not in result.facts and "speed" not in result.facts
    page = result.index.read_text(encoding="utf-8")
    assert "Interrupted (Ctrl-C) during the first network&#x27;s training" in page
    assert "Interrupted after 300 of 1000 iterations" in page
    doc = json.loads((tmp_path / "2_regress.json").read_text())
    assert doc["interrupted"] is True and len(doc["losses"]) == doc["steps_done"] == 300
    written = {p.name for p in result.files} - {"index.html"}
    assert written == set(re.findall(r'(?:src|href)="([^"]+)"', page))
