"""The demo report's digits section: what it trains, states and draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from valuegrad.report import _digits, _Page


def test_the_digits_section(tmp_path: Path) -> None:
    page = _Page(tmp_path)
    facts: dict = {}
    messages: list[str] = []
    _digits(page, facts, 2, messages.append)
    html = "\n".join(page.parts)
    assert set(facts["digits"]) == {"p = Wx (64-10)", "64-32-10"}
    linear, hidden = facts["digits"]["p = Wx (64-10)"], facts["digits"]["64-32-10"]
    assert (linear["trained_parameters"], hidden["trained_parameters"]) == (640, 2410)
    # two epochs already get most digits right (chance is 0.1)
    assert linear["test_accuracy"] > 0.8 and hidden["test_accuracy"] > 0.8
    assert linear["engine"] == hidden["engine"] == "compiled"
    assert f"{linear['test_accuracy']:.3f}" in html and f"{hidden['test_accuracy']:.3f}" in html
    assert "10 weight vectors (one for each digit)" in html
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', html))
    assert referenced == {p.name for p in page.files}
    assert referenced == {
        "5_digits.svg",
        "5_weights.svg",
        "5_confusion.svg",
        "5_misclassified.svg",
        "5_digits.json",
    }
    for name in referenced:
        if name.endswith(".svg"):
            assert ET.parse(tmp_path / name).getroot().tag.endswith("svg")
    assert messages and "p = Wx" in messages[0]
