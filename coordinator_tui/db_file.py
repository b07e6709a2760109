"""What can be learnt about a database file with the standard library alone (no SQLAlchemy, no Alembic).

Used on the start-up path: when the file is a healthy-looking database already at the current schema, the app can
show its first screen at once and open the database (loading the heavier database stack) in the background.
Anything less certain goes through ``db.open_database`` first, with its full checks and messages.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"

_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w-]+|None)['\"]?\s*$", re.M)


def scanned_head_revision(migrations_dir: Path = MIGRATIONS_DIR) -> str | None:
    """The head revision read from the migration files' text (no Alembic import); None when not clear-cut."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (migrations_dir / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision", "None") != "None":
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def read_sqlite_header(path: Path) -> bytes:
    """The first bytes of a file, to compare with ``SQLITE_HEADER`` (empty for an empty file; OSError if unreadable)."""
    with path.open("rb") as fh:
        return fh.read(len(SQLITE_HEADER))


def is_current_database_file(path: Path, migrations_dir: Path = MIGRATIONS_DIR) -> bool:
    """True only for a readable, writable SQLite file stamped with the current schema revision."""
    try:
        if not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
            return False
        if read_sqlite_header(path) != SQLITE_HEADER:
            return False
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
        try:
            versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except (OSError, sqlite3.Error, ValueError):
        return False
    return len(versions) == 1 and versions[0][0] == scanned_head_revision(migrations_dir)
