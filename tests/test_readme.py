"""The README's Python examples run, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks() -> list[tuple[str, str]]:
    """(language, code) of every fenced block, in order."""
    return re.findall(r"```(\w*)\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_two_setup_commands_come_first() -> None:
    lang, code = blocks()[0]
    assert lang == "sh"
    assert code.splitlines() == [
        "sh bootstrap.sh && .venv/bin/valuegrad demo",
        "sh bootstrap.sh dev && .venv/bin/python -m pytest",
    ]


@pytest.mark.dot
def test_python_examples_run_and_print_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the nn example saves net.json
    namespace: dict[str, object] = {}
    found = blocks()
    outputs = []
    for k, (lang, code) in enumerate(found):
        if lang != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"README block {k}", "exec"), namespace)
        outputs.append(out.getvalue())
        following = found[k + 1] if k + 1 < len(found) else None
        if following is not None and following[0] == "" and out.getvalue():
            # a bare block right after an example is that example's output
            assert out.getvalue().strip() == following[1].strip()
    assert len(outputs) >= 3
    assert outputs[0] == "-4.0 -4.0 3.0\n"  # the tour's comment
    x = namespace["x"]
    assert x.grad == -8.0  # type: ignore[attr-defined]  # as the README says
