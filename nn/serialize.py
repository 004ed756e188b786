"""Save and load an ``MLP`` as JSON: its architecture and every parameter.

The file is plain JSON, readable by anything::

    {"format": "valuegrad.nn.MLP", "version": 1, "nin": 2, "sizes": [3, 2],
     "activation": "sigmoid", "output_activation": "sigmoid",
     "weights": [[[0.15, 0.2], ...], ...], "biases": [[0.45, ...], ...]}

``weights[l][j][i]`` is the weight from input i to neuron j of layer l, as in the
``MLP`` constructor. Python writes each float as the shortest decimal that reads back
to the same float, so a save/load round trip is exact. ``save`` writes a temporary
file beside the target and renames it into place (``os.replace`` is atomic), so a
crash mid-write never leaves a half-written model; ``load`` checks everything before
building the model, so a bad file never gives a half-loaded one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from nn.layers import MLP

__all__ = ["FORMAT", "VERSION", "load", "save", "to_dict"]

FORMAT = "valuegrad.nn.MLP"
"""The value of the file's ``format`` field."""
VERSION = 1
"""The version of the file layout written by ``save``."""


def to_dict(model: MLP) -> dict[str, Any]:
    """The JSON-ready description of an MLP (architecture and parameters)."""
    if not isinstance(model, MLP):
        raise TypeError(f"save/to_dict supports MLP models, got {type(model).__name__}")
    return {
        "format": FORMAT,
        "version": VERSION,
        "nin": model.nin,
        "sizes": list(model.sizes),
        "activation": model.activation,
        "output_activation": model.output_activation,
        "weights": model.weights,
        "biases": model.biases,
    }


def save(model: MLP, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` as JSON, atomically; returns the path."""
    path = Path(path)
    text = json.dumps(to_dict(model), allow_nan=False) + "\n"
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _require(doc: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in doc:
        raise ValueError(f"{where}: the field {key!r} is missing")
    value = doc[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{where}: the field {key!r} has the wrong type ({type(value).__name__})")
    return value


def load(path: str | os.PathLike[str]) -> MLP:
    """The MLP saved at ``path``; a ValueError naming the file and the problem if it is bad."""
    path = Path(path)
    where = f"{path}"
    raw = path.read_bytes()  # OSError (missing file, ...) propagates as is
    if not raw.strip():
        raise ValueError(f"{where}: not a valuegrad model file (the file is empty)")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not a valuegrad model file (not UTF-8 text)") from None
    except json.JSONDecodeError as err:
        what = "truncated" if err.pos >= len(raw.rstrip()) else "not valid JSON"
        raise ValueError(
            f"{where}: not a valuegrad model file ({what}: {err.msg} at line {err.lineno}, "
            f"column {err.colno})"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f'{where}: not a valuegrad model file (no "format": "{FORMAT}" field)')
    version = doc.get("version")
    if version != VERSION:
        raise ValueError(
            f"{where}: unsupported model file version {version!r} (this valuegrad reads {VERSION})"
        )
    nin = _require(doc, "nin", int, where)
    sizes = _require(doc, "sizes", list, where)
    activation = _require(doc, "activation", str, where)
    output_activation = _require(doc, "output_activation", str, where)
    weights = _require(doc, "weights", list, where)
    biases = _require(doc, "biases", list, where)
    try:
        return MLP(nin, sizes, activation, output_activation, weights=weights, biases=biases)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: the model in this file is inconsistent: {err}") from None
