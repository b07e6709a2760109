"""Case-insensitive 'contains' matching for what people type into a search box (``%`` and ``_`` mean themselves)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

ESCAPE = "\\"


def contains(column: Any, word: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``word``, ignoring case; LIKE's wildcards in the word are matched literally."""
    literal = word.lower().replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return sa.func.lower(column).like(f"%{literal}%", escape=ESCAPE)
