"""Project-wide rules: the layering of the packages, docstrings, and lint."""

from __future__ import annotations

import ast
import importlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each layer may import only the layers below it (DESIGN.md).
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


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.prefix) / "bin" / "ruff").exists(),
    reason="ruff is not installed (it comes with the dev extra)",
)
def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.prefix) / "bin" / "ruff")
    result = subprocess.run(
        [ruff, "check", "--output-format", "concise", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
