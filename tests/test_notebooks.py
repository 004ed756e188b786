"""The notebooks: committed with their outputs, in step with their sources, and executed.

The static checks read the committed ``.ipynb`` files as JSON, so they run everywhere.
The execution tests run every notebook top to bottom with nbclient, on an in-memory
copy, in a kernel of this Python started in a temporary directory: nothing is written
into the repository. They need the ``notebooks`` extra (nbclient, nbformat, ipykernel)
and the Graphviz ``dot`` program (a drawn graph is shown as SVG, which ``dot`` renders).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = [
    "01_backprop",
    "02_first_network",
    "03_second_network",
    "04_your_own_gradient",
    "05_digits",
]
MAX_BYTES = 1_000_000  # a committed notebook, outputs included
CELL_TIMEOUT = 120  # seconds; a whole notebook takes a few


def _load_build() -> ModuleType:
    """``notebooks/build.py`` as a module (``notebooks`` is not a package)."""
    path = NOTEBOOKS / "build.py"
    spec = importlib.util.spec_from_file_location("valuegrad_notebooks_build", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no notebooks/__pycache__
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


build = _load_build()


def committed(name: str) -> dict[str, Any]:
    """The committed notebook as plain JSON."""
    return json.loads(build.notebook_path(name).read_text("utf-8"))


def code_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def text(value: str | list[str]) -> str:
    """A notebook string field, stored either whole or as a list of lines."""
    return value if isinstance(value, str) else "".join(value)


def require_jupyter() -> None:
    """Skip, saying what to install, unless nbclient, nbformat and ipykernel are importable."""
    missing = []
    for name in ("nbclient", "nbformat", "ipykernel"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        message = (
            f"{', '.join(missing)} not installed: install the notebooks extra "
            "(pip install -e '.[notebooks]', or sh bootstrap.sh dev)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the notebooks", pytrace=False)
        pytest.skip(message)


# ------------------------------------------------------------------ static checks
def test_every_source_has_its_notebook_and_no_other() -> None:
    assert build.names() == NAMES
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_its_source(name: str) -> None:
    source = (build.SOURCES / f"{name}.py").read_text("utf-8")
    cells = [(cell["cell_type"], text(cell["source"])) for cell in committed(name)["cells"]]
    assert cells == build.parse_percent(source), (
        f"notebooks/{name}.ipynb is out of date with notebooks/src/{name}.py: "
        f"run .venv/bin/python notebooks/build.py {name}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_code_cell_was_executed_in_order_and_kept_its_outputs(name: str) -> None:
    cells = code_cells(committed(name))
    assert cells
    counts = [cell["execution_count"] for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{name}: execution counts {counts}: the notebook was not run top to bottom in one "
        "go (or its outputs were stripped); rebuild it with notebooks/build.py"
    )
    empty = [i for i, cell in enumerate(cells) if not cell["outputs"]]
    assert not empty, f"{name}: code cells {empty} (counting code cells from 0) have no output"


@pytest.mark.parametrize("name", NAMES)
def test_no_committed_output_is_an_error_or_a_warning(name: str) -> None:
    for i, cell in enumerate(code_cells(committed(name))):
        for output in cell["outputs"]:
            assert output["output_type"] != "error", (
                f"{name}, code cell {i}: {output.get('ename')}: {output.get('evalue')}"
            )
            if output["output_type"] == "stream":
                assert output["name"] == "stdout", (
                    f"{name}, code cell {i} wrote to stderr: {text(output['text'])[:500]}"
                )


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_stays_small(name: str) -> None:
    size = build.notebook_path(name).stat().st_size
    assert size < MAX_BYTES, f"{name}.ipynb is {size:,} bytes; keep figures small"


def test_percent_format_parsing() -> None:
    script = "# %% [markdown]\n# # Title\n#\n# text\n\n# %%\n# %matplotlib inline\nx = 1\n\n"
    assert build.parse_percent(script) == [
        ("markdown", "# Title\n\ntext"),
        ("code", "%matplotlib inline\nx = 1"),
    ]
    with pytest.raises(ValueError, match="must be comments"):
        build.parse_percent("# %% [markdown]\nx = 1\n")
    with pytest.raises(ValueError, match="unknown cell marker"):
        build.parse_percent("# %% [raw]\n# x\n")


# ------------------------------------------------------------------- execution
def test_the_kernel_runs_this_python(tmp_path: Path) -> None:
    require_jupyter()
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; sys.executable")])
    build.execute(nb, cwd=tmp_path, timeout=CELL_TIMEOUT)
    (output,) = nb.cells[0].outputs
    assert output["data"]["text/plain"] == repr(sys.executable)


@pytest.mark.dot
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path) -> None:
    require_jupyter()
    import nbformat

    nb = nbformat.reads(build.notebook_path(name).read_text("utf-8"), as_version=4)
    for cell in code_cells(nb):
        cell["outputs"], cell["execution_count"] = [], None
    start = time.perf_counter()
    build.execute(nb, cwd=tmp_path, timeout=CELL_TIMEOUT)  # raises at the first failing cell
    seconds = time.perf_counter() - start
    for i, cell in enumerate(code_cells(nb)):
        assert cell["execution_count"] == i + 1
        assert all(o["output_type"] != "error" for o in cell["outputs"])
    assert list(tmp_path.iterdir()) == [], "a notebook wrote files into its working directory"
    print(f"{name}: executed in {seconds:.1f} s")
