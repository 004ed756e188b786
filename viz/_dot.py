"""Text on its way to Graphviz: cleaned, clipped and escaped for where it goes (private to viz).

Every string a drawing hands to ``dot`` — record labels, plain labels (operations,
constants, clusters, titles), tooltips, edge labels — passes through this module, so
that whatever a user named a Value, a module or a drawing, ``dot`` accepts it and the
SVG it writes is well-formed XML that shows the text literally:

* :func:`clean` removes what no drawing can show: control characters (C0, DEL and C1,
  NUL included; a tab becomes a space, ``\\r\\n`` and ``\\r`` become ``\\n``), lone
  surrogates (not encodable as UTF-8) and U+FFFE/U+FFFF (not allowed in XML); then it
  clips the text to a number of characters (``…`` marks the cut), because ``dot``
  refuses a quoted string longer than 16,384 bytes;
* :func:`escape_record` and :func:`escape_text` escape it for a record field or for a
  plain label: backslashes and quotes always, ``{ } | < >`` in records, and ``&`` as
  ``&amp;``, since Graphviz reads ``&lt;`` and friends in any label as HTML entities
  (without it, a label ``&lt;b&gt;`` would be drawn as ``<b>``); a newline becomes the
  DOT line break ``\\n``.

Graphviz shows runs of spaces as they are in plain labels (as no-break spaces in the
SVG) and collapses them in records; that is the only liberty the drawing takes.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "FONT",
    "MAX_LABEL",
    "MAX_TITLE",
    "clean",
    "escape_record",
    "escape_text",
    "factor",
    "fixed4",
    "label",
    "number",
    "record",
    "text_label",
]

FONT = {"fontname": "Helvetica", "fontsize": "10"}
"""The font of every drawing."""

MAX_LABEL = 80
"""Characters of a node, cluster or operation label shown in a drawing."""
MAX_TITLE = 200
"""Characters of a drawing's title (one line across the top)."""

# Control characters (C0 but \t and \n, DEL, C1), surrogates, and the two code points
# XML 1.0 excludes at the end of the Basic Multilingual Plane.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_COMMON = {"\\": "\\\\", '"': '\\"', "&": "&amp;", "\n": "\\n"}
_TEXT_ESCAPES = str.maketrans(_COMMON)
_RECORD_ESCAPES = str.maketrans(
    {**_COMMON, "{": "\\{", "}": "\\}", "|": "\\|", "<": "\\<", ">": "\\>"}
)


def clean(text: str, limit: int | None = None) -> str:
    """``text`` without control characters, surrogates or non-characters, clipped to ``limit``."""
    if not isinstance(text, str):
        raise TypeError(f"a label must be a str, got {type(text).__name__}: {text!r}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _UNSHOWABLE.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def escape_record(text: str) -> str:
    """``text`` (cleaned) as one literal field of a Graphviz record label."""
    return clean(text).translate(_RECORD_ESCAPES)


def escape_text(text: str) -> str:
    """``text`` (cleaned) as a literal plain Graphviz label, tooltip or edge label."""
    return clean(text).translate(_TEXT_ESCAPES)


def label(escaped: str) -> Any:
    """An escaped label, marked so the graphviz package never takes it for an HTML label."""
    import graphviz

    # nohtml: a label like "<b>" must stay text, not become an HTML-like label.
    return graphviz.nohtml(escaped)


def text_label(text: str, limit: int = MAX_LABEL) -> Any:
    """A plain label showing ``text`` literally: cleaned, clipped, escaped and marked."""
    return label(escape_text(clean(text, limit)))


def record(fields: list[str], limit: int = MAX_LABEL) -> str:
    """The label ``{f0|f1|...}`` of a vertical record, each field shown literally."""
    return "{" + "|".join(escape_record(clean(f, limit)) for f in fields) + "}"


# ---------------------------------------------------------------- numbers and formulas
def number(x: float | None) -> str:
    """A number as drawings and traces write it: 6 significant digits, never "-0"
    ("undefined" for None: a local derivative that does not exist)."""
    if x is None:
        return "undefined"
    return "0" if x == 0 else format(x, ".6g")


def fixed4(x: float) -> str:
    """``%.4f`` (a record's data and grad fields), without the "-0.0000" of tiny negatives;
    from 1e9 on, ``%.4e`` (1e300 as "1.0000e+300", not 301 digits clipped to 80)."""
    if abs(x) >= 1e9:
        return f"{x:.4e}"
    text = f"{x:.4f}"
    return "0.0000" if text == "-0.0000" else text


def factor(text: str) -> str:
    """``text`` ready to be multiplied: parenthesised if it is a negative or a sum."""
    depth = 0
    for k, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in "+-" and (k == 0 or text[k - 1] == " "):
            return f"({text})"
    return text
