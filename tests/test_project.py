"""Project-wide rules: the layering of the packages, docstrings, and lint."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each layer may import only the layers below it (ARCHITECTURE.md).
FORBIDDEN = {
    "autograd": {"nn", "viz", "valuegrad"},
    "nn": {"viz", "valuegrad"},
    "viz": {"valuegrad"},
}


def imported_top_levels(path: Path) -> set[str]:
    """Top-level package names imported anywhere in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_the_layers_below(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_top_levels(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


# Inside autograd, the modules below the table import nothing above it, so the table can
# be read (and built) first; the walk needs no Value at import time (ARCHITECTURE.md).
AUTOGRAD_BELOW = {
    "numerics": set(),
    "fn": {"numerics"},
    "syntax": set(),
    "ops": {"numerics", "fn", "syntax"},
    "graph": set(),
}


def autograd_imports(path: Path) -> set[str]:
    """The autograd modules a file imports at module level (``from autograd import x`` too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "autograd":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "autograd" and len(parts) > 1:
                    found.add(parts[1])
    return found


@pytest.mark.parametrize("module", sorted(AUTOGRAD_BELOW))
def test_the_bottom_of_autograd_imports_only_what_is_below_it(module: str) -> None:
    used = autograd_imports(ROOT / "autograd" / f"{module}.py")
    assert used <= AUTOGRAD_BELOW[module], f"autograd/{module}.py imports {sorted(used)}"


def test_importing_autograd_does_not_import_hypothesis() -> None:
    code = "import sys, autograd, nn, viz; print('hypothesis' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def public_names(module_name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    return [(name, getattr(module, name)) for name in getattr(module, "__all__", [])]


@pytest.mark.parametrize("package", ["autograd", "nn", "viz", "valuegrad"])
def test_every_public_name_has_a_docstring(package: str) -> None:
    missing = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.stem == "__main__":  # runs the program when imported
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        module_name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for name, obj in public_names(module_name):
            if inspect.isclass(obj) or inspect.isfunction(obj):
                if not (obj.__doc__ or "").strip():
                    missing.append(f"{module_name}.{name}")
                if inspect.isclass(obj):
                    for attr, member in vars(obj).items():
                        is_public = not attr.startswith("_")
                        if is_public and inspect.isfunction(member) and not member.__doc__:
                            missing.append(f"{module_name}.{name}.{attr}")
    assert not missing, f"public names without a docstring: {missing}"


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.prefix) / "bin" / "ruff")
    if not Path(ruff).exists():
        message = "ruff is not installed (it comes with the dev extra: sh bootstrap.sh dev)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, and CI is set", pytrace=False)
        pytest.skip(message)
    result = subprocess.run(
        [ruff, "check", "--output-format", "concise", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
