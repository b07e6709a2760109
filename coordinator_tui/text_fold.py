"""Text as a search compares it: case-folded, without accents, so "odegard" finds Ødegård and "lukasz" Łukasz.

``fold`` is the one rule. A record stores the folded form of what it is searched by (``Patient.search_key``), and
what is typed is folded the same way in Python, so the database compares folded text with a plain ``LIKE``: the
same result on SQLite (whose ``LIKE`` and ``lower()`` fold ASCII letters only) and on PostgreSQL (whose ``LIKE``
folds nothing), with no database-specific function.
"""

from __future__ import annotations

import unicodedata

# Letters that carry their mark in the letter itself (no Unicode decomposition), after case folding; and the
# typographic apostrophes, so "o'brien" finds O’Brien.
_LETTERS = str.maketrans(
    {"ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t",
     "ŀ": "l", "\u2019": "'", "\u2018": "'", "\u02bc": "'"}
)  # fmt: skip


def fold(text: str) -> str:
    """Case-folded and accent-free: compatibility decomposition (NFKD), case folding (ß -> ss), combining marks
    dropped (é -> e), and the letters above mapped (Ø -> o, Ł -> l, Æ -> ae). ``fold(fold(t)) == fold(t)``, and
    ``fold(a + b) == fold(a) + fold(b)``: a word typed is found inside the folded whole name."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_LETTERS)


def search_key(*parts: str) -> str:
    """The stored search key of a record searched by ``parts`` (e.g. given name, family name, hospital number):
    each folded, separated by a space, so no word typed (words never hold spaces) matches across two parts."""
    return " ".join(fold(part) for part in parts)
