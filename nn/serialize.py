"""Save and load an ``MLP`` as JSON: its architecture and every parameter.

The file is plain JSON, readable by anything::

    {"format": "valuegrad.nn.MLP", "version": 1, "nin": 2, "sizes": [3, 2],
     "activation": "sigmoid", "output_activation": "sigmoid",
     "weights": [[[0.15, 0.2], ...], ...], "biases": [[0.45, ...], ...]}

``weights[l][j][i]`` is the weight from input i to neuron j of layer l, as in the
``MLP`` constructor, and ``biases[l][j]`` the bias of neuron j of layer l. Python writes
each float as the shortest decimal that reads back to the same float, so a save/load
round trip is exact. ``save`` writes through :func:`nn.files.write_text` (a temporary
file beside the target, renamed into place), so a crash mid-write never leaves a
half-written model. ``load`` checks the whole file before building the model, so a bad
file never gives a half-loaded one: every problem is a ``ValueError`` that names the file
and the element at fault by its place in the file, e.g.
``model.json: weights[1][2][0]: expected a number, got "1"``.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nn.activations import ACTIVATIONS
from nn.files import write_text
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
    """Write ``model`` to ``path`` as JSON, atomically (see :mod:`nn.files`); returns the path."""
    text = json.dumps(to_dict(model), allow_nan=False) + "\n"
    return write_text(path, text)


# ----------------------------------------------------------------------- loading
_FIELDS = (
    "format",
    "version",
    "nin",
    "sizes",
    "activation",
    "output_activation",
    "weights",
    "biases",
)
# The deepest a model file nests: the top-level object, weights, a layer, a row.
_MAX_DEPTH = 4


class _FileError(ValueError):
    """A problem with the file's content; load() adds the file name in front."""


@dataclass(frozen=True)
class _Literal:
    """A number JSON can spell but a float cannot hold: NaN, Infinity, 1e999."""

    text: str


def _parse_float(text: str) -> float | _Literal:
    value = float(text)
    return value if math.isfinite(value) else _Literal(text)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise _FileError(f"the field {_show(key)} appears twice in one object")
        doc[key] = value
    return doc


def _show(value: Any) -> str:
    """``value`` as the file spells it (short): null, true, "1", 2.5, a list of 3 items."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Literal):
        return value.text
    if isinstance(value, str):
        text = json.dumps(value)  # quoted, with control characters escaped
        return text if len(text) <= 42 else text[:40] + '…"'
    if isinstance(value, int):
        if value.bit_length() > 64:
            sign = "a negative" if value < 0 else "an"
            return f"{sign} integer of {len(str(abs(value))):,} digits"
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return f"a list of {len(value):,} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - json.loads makes nothing else


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_number(value: Any, where: str) -> None:
    if isinstance(value, _Literal):
        raise _FileError(f"{where}: expected a finite number, got {value.text}")
    if not _is_number(value):
        raise _FileError(f"{where}: expected a number, got {_show(value)}")


def _check_size(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _FileError(f"{where}: expected a positive integer, got {_show(value)}")
    return value


def _check_activation(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        known = ", ".join(json.dumps(name) for name in ACTIVATIONS)
        raise _FileError(f"{where}: expected one of {known}, got {_show(value)}")
    return value


def _shape(rows: list[list[Any]], where: str) -> str:
    """The shape of a list of lists: "shape (2, 3)", or which row is ragged."""
    if not rows:
        return "shape (0,)"
    first = len(rows[0])
    for j, row in enumerate(rows):
        if len(row) != first:
            return (
                f"{len(rows)} rows of different lengths ({where}[0] has {first}, "
                f"{where}[{j}] has {len(row)})"
            )
    return f"shape ({len(rows)}, {first})"


def _check_layers(doc: dict[str, Any]) -> tuple[int, list[int]]:
    """Check every field of the model object; returns (nin, sizes)."""
    nin = _check_size(doc["nin"], "nin")
    sizes = doc["sizes"]
    if not isinstance(sizes, list) or not sizes:
        raise _FileError(f"sizes: expected a non-empty list of layer widths, got {_show(sizes)}")
    sizes = [_check_size(n, f"sizes[{k}]") for k, n in enumerate(sizes)]
    _check_activation(doc["activation"], "activation")
    _check_activation(doc["output_activation"], "output_activation")
    for key in ("weights", "biases"):
        given = doc[key]
        if not isinstance(given, list) or len(given) != len(sizes):
            raise _FileError(
                f"{key}: expected a list of {len(sizes)} layers (one per entry of sizes), "
                f"got {_show(given)}"
            )
    fan_in = [nin, *sizes[:-1]]
    for k, (nin_k, nout_k) in enumerate(zip(fan_in, sizes, strict=True)):
        where = f"weights[{k}]"
        rows = doc["weights"][k]
        if not isinstance(rows, list):
            raise _FileError(
                f"{where}: expected a list of {nout_k} rows of {nin_k} numbers, got {_show(rows)}"
            )
        for j, row in enumerate(rows):
            if not isinstance(row, list):
                raise _FileError(f"{where}[{j}]: expected a list of numbers, got {_show(row)}")
        if len(rows) != nout_k or any(len(row) != nin_k for row in rows):
            raise _FileError(
                f"{where}: expected shape ({nout_k}, {nin_k}) (layer {k}: {nout_k} neurons, "
                f"{nin_k} inputs each), got {_shape(rows, where)}"
            )
        for j, row in enumerate(rows):
            for i, w in enumerate(row):
                _check_number(w, f"{where}[{j}][{i}]")
        where = f"biases[{k}]"
        bias = doc["biases"][k]
        if not isinstance(bias, list):
            raise _FileError(f"{where}: expected a list of {nout_k} numbers, got {_show(bias)}")
        if len(bias) != nout_k:
            raise _FileError(
                f"{where}: expected shape ({nout_k},) (layer {k}: one bias per neuron), "
                f"got shape ({len(bias)},)"
            )
        for j, b in enumerate(bias):
            _check_number(b, f"{where}[{j}]")
    return nin, sizes


def _nesting(text: str) -> str:
    """Where ``text`` nests deepest: "N levels deep at line L, column C" (strings skipped)."""
    depth = deepest = where = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, m.start()
        elif token in "]}":
            depth -= 1
    line = text.count("\n", 0, where) + 1
    column = where - (text.rfind("\n", 0, where) + 1) + 1
    return f"{deepest:,} levels deep at line {line}, column {column}"


def _parse(raw: bytes) -> dict[str, Any]:
    """The file's top-level object, with every field checked."""
    if not raw.strip():
        raise _FileError("not a valuegrad model file (the file is empty)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _FileError("not a valuegrad model file (not UTF-8 text)") from None
    try:
        doc = json.loads(
            text,
            parse_constant=_Literal,
            parse_float=_parse_float,
            object_pairs_hook=_no_duplicates,
        )
    except RecursionError:
        raise _FileError(
            f"not a valuegrad model file (lists nested {_nesting(text)}, where a model "
            f"file nests at most {_MAX_DEPTH})"
        ) from None
    except json.JSONDecodeError as err:
        what = "truncated" if err.pos >= len(text.rstrip()) else "not valid JSON"
        raise _FileError(
            f"not a valuegrad model file ({what}: {err.msg} at line {err.lineno}, "
            f"column {err.colno})"
        ) from None
    except _FileError:
        raise
    except ValueError as err:  # an integer too long to convert (sys.set_int_max_str_digits)
        raise _FileError(f"not a valuegrad model file (a number too long to read: {err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _FileError(f'not a valuegrad model file (no "format": "{FORMAT}" field)')
    if "version" not in doc:
        raise _FileError('the field "version" is missing')
    version = doc["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise _FileError(f"version: expected an integer, got {_show(version)}")
    if version != VERSION:
        raise _FileError(
            f"unsupported model file version {_show(version)} (this valuegrad reads {VERSION})"
        )
    for key in _FIELDS:
        if key not in doc:
            raise _FileError(f"the field {json.dumps(key)} is missing")
    for key in doc:
        if key not in _FIELDS:
            raise _FileError(
                f"unexpected field {_show(key)} (a version {VERSION} model file has exactly "
                f"{', '.join(_FIELDS)})"
            )
    _check_layers(doc)
    return doc


def load(path: str | os.PathLike[str]) -> MLP:
    """The MLP saved at ``path``; a ValueError naming the file and the element at fault if bad."""
    path = Path(path)
    raw = path.read_bytes()  # OSError (missing file, ...) propagates as is
    try:
        doc = _parse(raw)
    except _FileError as err:
        raise ValueError(f"{path}: {err}") from None
    return MLP(
        doc["nin"],
        doc["sizes"],
        doc["activation"],
        doc["output_activation"],
        weights=doc["weights"],
        biases=doc["biases"],
    )
