"""Text as users might type it, and what a drawing must show of it (for the viz tests)."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

__all__ = ["TEXT", "shown", "words"]


def shown(text: str, limit: int) -> str:
    """What a drawing must show for ``text``, computed here by Unicode category.

    Control characters (category Cc: C0, DEL, C1) go, but a newline stays a line break
    and a tab becomes a space (a carriage return ends a line too); lone surrogates (Cs)
    and U+FFFE/U+FFFF (not XML) go; then the text is clipped to ``limit`` characters,
    the last one an ellipsis.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "".join(
        c
        for c in text
        if c == "\n" or (unicodedata.category(c) not in ("Cc", "Cs") and c not in "\ufffe\uffff")
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def words(texts: list[str]) -> list[str]:
    """The words of some SVG texts: dot shows runs of spaces as no-break spaces in plain
    labels and collapses them in records, so text is compared word by word."""
    return " ".join(texts).split()


# Text as a careless or hostile user might type it: any code point (surrogates and
# controls included), the characters DOT, records, HTML entities and XML care about,
# and long repetitions.
SPECIAL = [
    *'&<>{}|\\"\n\t\r\x00;#',
    "&lt;b&gt;",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "\\N",
    "\\G",
    "\\l",
    "<b>x</b>",
    "{a|b}",
    "node",
    "]]>",
    "\u2028",
    "\ufeff",
    "\U0001f600",
]
ANY_CHAR = st.characters(codec=None, categories=None)
PIECES = st.one_of(st.text(ANY_CHAR, max_size=6), st.sampled_from(SPECIAL))
TEXT = st.one_of(
    st.lists(PIECES, max_size=12).map("".join),
    st.builds(lambda piece, n: piece * n, PIECES, st.integers(1, 3000)),
)
