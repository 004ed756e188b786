"""Build the notebooks from their sources and execute them, writing the outputs in place.

    .venv/bin/python notebooks/build.py                     # every notebook
    .venv/bin/python notebooks/build.py 02_first_network    # some of them

A notebook's source is ``notebooks/src/<name>.py`` in the "percent" format (the one
jupytext and VS Code read): a line ``# %%`` starts a code cell, ``# %% [markdown]`` a
markdown cell whose lines are comments; in a code cell a commented magic
(``# %matplotlib inline``) becomes the magic. Each notebook is built with nbformat,
executed top to bottom by nbclient in a fresh kernel of this Python
(``sys.executable``), and written to ``notebooks/<name>.ipynb`` with its outputs.

The outputs are made reproducible: cell ids are fixed, no execution timings are
recorded, consecutive prints are kept as one output however the kernel flushed them,
and memory addresses in plain-text reprs (``<graphviz.graphs.Digraph at 0x7f...>``)
are removed, so rebuilding an unchanged notebook on the same machine changes nothing.

``tests/test_notebooks.py`` imports this file for :func:`parse_percent`,
:func:`build` and :func:`execute` (which never write anything).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
KERNEL_NAME = "python3"
CELL_TIMEOUT = 300  # seconds per cell: generous, a whole notebook takes a few seconds

_CELL = re.compile(r"^# %%(?P<rest>.*)$")
_MAGIC = re.compile(r"^# (?=%)")  # "# %matplotlib inline" in a code cell
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def names() -> list[str]:
    """The notebooks, by name (the stems of ``src/*.py``), in order."""
    return sorted(p.stem for p in SOURCES.glob("*.py"))


def notebook_path(name: str) -> Path:
    """Where the notebook called ``name`` is written."""
    return HERE / f"{name}.ipynb"


def _strip_blank_edges(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def parse_percent(text: str) -> list[tuple[str, str]]:
    """(cell type, source) for each cell of a percent-format script."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = _CELL.match(line)
        if m:
            rest = m.group("rest").strip()
            if rest not in ("", "[markdown]"):
                raise ValueError(f"unknown cell marker {line!r} (use '# %%' or '# %% [markdown]')")
            cells.append(("markdown" if rest else "code", []))
        elif not cells:
            if line.strip():
                raise ValueError(f"text before the first '# %%' marker: {line!r}")
        elif cells[-1][0] == "markdown":
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"a markdown cell's lines must be comments, got {line!r}")
            cells[-1][1].append(line[2:] if line.startswith("# ") else line[1:])
        else:
            cells[-1][1].append(_MAGIC.sub("", line))
    out = []
    for kind, lines in cells:
        lines = _strip_blank_edges(lines)
        if not lines:
            raise ValueError(f"an empty {kind} cell")
        out.append((kind, "\n".join(lines)))
    return out


def build(name: str) -> Any:
    """The notebook ``name`` (an ``nbformat.NotebookNode``) from its source, not executed."""
    import nbformat

    cells = []
    for i, (kind, source) in enumerate(parse_percent((SOURCES / f"{name}.py").read_text("utf-8"))):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cells.append(make(source, id=f"cell-{i:02d}"))  # fixed ids: no churn between builds
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


@contextmanager
def kernel_manager_class() -> Iterator[type]:
    """A kernel manager class whose kernel ``python3`` runs this very Python.

    nbclient's ``kernel_name="python3"`` normally resolves through the Jupyter search
    path, where a user-wide spec may point at another interpreter (one without
    valuegrad). This one reads its specs from a temporary directory holding a single
    ``python3`` spec that runs ``sys.executable``; no Jupyter configuration is touched,
    and nothing is left in the working directory.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    with tempfile.TemporaryDirectory(prefix="valuegrad-kernels-") as tmp:
        spec_dir = Path(tmp) / KERNEL_NAME
        spec_dir.mkdir()
        spec = {
            # no history database: executing a notebook leaves no trace in ~/.ipython
            "argv": [
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                "--HistoryManager.enabled=False",
            ],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            # hypothesis (notebook 04) keeps caches in a .hypothesis folder of the working
            # directory; here they go to this temporary directory, deleted afterwards
            "env": {"HYPOTHESIS_STORAGE_DIRECTORY": str(Path(tmp) / "hypothesis")},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), "utf-8")

        class Manager(AsyncKernelManager):
            @default("kernel_spec_manager")
            def _kernel_spec_manager_default(self) -> KernelSpecManager:
                return KernelSpecManager(kernel_dirs=[tmp])

        yield Manager


def execute(nb: Any, cwd: str | Path, timeout: int = CELL_TIMEOUT) -> Any:
    """Run every code cell of ``nb`` in place, top to bottom, in a kernel started in ``cwd``.

    Raises ``nbclient.exceptions.CellExecutionError`` at the first cell that fails.
    """
    from nbclient import NotebookClient

    with kernel_manager_class() as manager:
        client = NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            kernel_manager_class=manager,
            timeout=timeout,
            record_timing=False,
            resources={"metadata": {"path": str(cwd)}},
        )
        client.execute()
    return nb


def normalise(nb: Any) -> Any:
    """Make the outputs the same on every run: one stream output per run of prints (the
    kernel splits them wherever its buffer happened to flush) and no memory addresses
    in plain-text reprs."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list[Any] = []
        for output in cell.outputs:
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str):
                output["data"]["text/plain"] = _ADDRESS.sub("", text)
            previous = merged[-1] if merged else None
            if (
                previous is not None
                and output.output_type == previous.output_type == "stream"
                and output.name == previous.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        cell.outputs = merged
    return nb


def main(argv: list[str] | None = None) -> int:
    """Build, execute and write the notebooks named on the command line (default: all)."""
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"notebooks to build (default: {names()})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names()))
    if unknown:
        parser.error(f"no source for {unknown} in {SOURCES} (have: {names()})")
    for name in args.names or names():
        start = time.perf_counter()
        nb = normalise(execute(build(name), cwd=HERE))
        nbformat.validate(nb)
        path = notebook_path(name)
        nbformat.write(nb, path)
        print(
            f"{path.relative_to(HERE.parent)}: {path.stat().st_size / 1024:.0f} KiB, "
            f"executed in {time.perf_counter() - start:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
