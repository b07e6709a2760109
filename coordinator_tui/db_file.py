"""What can be learnt about a database file with the standard library alone (no SQLAlchemy, no Alembic).

Used on the start-up path: when the file is a healthy-looking database already at the current schema, the app can
show its first screen at once, with the first page of the patient list read here (``read_first_patients``), and
open the database (loading the heavier database stack) in the background. Anything less certain goes through
``db.open_database`` first, with its full checks and messages.

The rule that keeps a live database safe: a database file (or its ``-wal``/``-shm``) is never opened here with
anything but SQLite. On POSIX, closing *any* descriptor of a file drops every lock the process holds on it, SQLite's
included; another process could then believe it is the last user, checkpoint and delete the write-ahead log under
us, and confirmed saves would be lost ("How To Corrupt An SQLite Database File", section 2.2). So what a file is
is learnt from ``os.stat`` (which opens nothing) and from SQLite itself: SQLite knows which of its own
descriptors still carry locks and never closes them early.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
import sqlite3
import stat
import urllib.parse
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


class FileKind(enum.Enum):
    """What is at a database path, as ``os.stat`` tells it (no descriptor is opened)."""

    MISSING = "missing"
    DIRECTORY = "directory"
    SPECIAL = "special"  # a FIFO, device or socket: opening it could block for ever
    EMPTY = "empty"  # a regular file of 0 bytes
    FILE = "file"  # a regular file with something in it


def file_kind(path: Path) -> FileKind:
    """What is at ``path`` (following symbolic links); OSError for a path that cannot be looked at."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return FileKind.MISSING
    if stat.S_ISDIR(info.st_mode):
        return FileKind.DIRECTORY
    if not stat.S_ISREG(info.st_mode):
        return FileKind.SPECIAL
    return FileKind.EMPTY if info.st_size == 0 else FileKind.FILE


def sqlite_uri(path: Path, **params: str) -> str:
    """A ``file:`` URI for ``sqlite3.connect(..., uri=True)`` (the path percent-encoded: ``?``, ``#``, ``%``)."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"file:{urllib.parse.quote(str(path))}" + (f"?{query}" if query else "")


def is_sqlite_file(path: Path, *, timeout: float = 5.0, immutable: bool = False) -> bool:
    """Whether a regular, non-empty file is an SQLite database, asked of SQLite itself on a read-only connection.

    False when SQLite says it is not a database (its header is wrong); ``sqlite3.Error`` when SQLite cannot open
    or read it (permission, a lock held longer than ``timeout``). Never call it on a FIFO (see ``file_kind``).
    """
    params = {"mode": "ro", "immutable": "1"} if immutable else {"mode": "ro"}
    conn = sqlite3.connect(sqlite_uri(path, **params), uri=True, timeout=timeout)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc).lower():
            return False
        raise
    finally:
        conn.close()
    return True


#: The files SQLite keeps beside a database: replacing one damages the database.
DATABASE_COMPANIONS = ("-wal", "-shm", "-journal")
#: SQLite's smallest page: no database file is shorter.
SMALLEST_DATABASE_BYTES = 512


def _is_database(path: Path) -> bool:
    try:
        # SQLite reads a file shorter than its header as an empty database; a real one is at least a page.
        if file_kind(path) is not FileKind.FILE or path.stat().st_size < SMALLEST_DATABASE_BYTES:
            return False
    except OSError:
        return False  # nothing there that can be looked at (writing there fails with its own message)
    try:
        return is_sqlite_file(path, timeout=1.0)
    except sqlite3.Error:
        return True  # a file SQLite cannot read or that is locked: never risk replacing a database


def is_database_or_beside_one(path: Path) -> bool:
    """Whether ``path`` is an SQLite database, or the ``-wal``/``-shm``/``-journal`` file of one (asked of SQLite
    itself, so a database this process has open keeps its locks); True when it cannot be told."""
    targets = [path]
    for suffix in DATABASE_COMPANIONS:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            targets.append(path.with_name(path.name[: -len(suffix)]))
    return any(_is_database(target) for target in targets)


def is_current_database_file(path: Path, migrations_dir: Path = MIGRATIONS_DIR) -> bool:
    """True only for a readable, writable SQLite file stamped with the current schema revision."""
    try:
        if file_kind(path) is not FileKind.FILE or not os.access(path, os.R_OK | os.W_OK):
            return False
        conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, timeout=0.5)
        try:
            versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except (OSError, sqlite3.Error, ValueError):
        return False
    return len(versions) == 1 and versions[0][0] == scanned_head_revision(migrations_dir)


# The patient list's first page (nothing typed), as ``services.patients.patient_list`` reads it with SQLAlchemy:
# the same statement, in SQLite's words (enum members stored by name, dates as ISO text, booleans as 0 and 1).
# ``tests/test_first_page.py`` compares the two on the same databases. Only for the start-up path: importing
# SQLAlchemy alone takes about as long as importing Textual, so the portable query would double the wait for the
# first patients; every other read, and every other database (a server's), goes through the portable query.
_FIRST_PATIENTS = """
SELECT page.id, page.family_name, page.given_name, page.nhs_number, page.hospital_number, page.date_of_birth,
       clinicevent.start_date, clinicevent.name, professional.title, professional.given_name,
       professional.family_name,
       (SELECT count(*) FROM transitionitem
         WHERE transitionitem.patient_id = page.id AND transitionitem.status IN ('TODO', 'IN_PROGRESS')
           AND transitionitem.appears_on <= :today)
  FROM (SELECT id, family_name, given_name, nhs_number, hospital_number, date_of_birth FROM patient
         WHERE archived IS 0 ORDER BY family_name, given_name, id LIMIT :limit) AS page
  LEFT OUTER JOIN clinicevent ON clinicevent.id = (
        SELECT clinicevent.id FROM clinicevent
          JOIN clinicattendance ON clinicattendance.clinic_event_id = clinicevent.id
         WHERE clinicattendance.patient_id = page.id AND clinicevent.start_date >= :today
           AND clinicevent.status != 'CANCELLED'
         ORDER BY clinicevent.start_date, clinicevent.id LIMIT 1)
  LEFT OUTER JOIN professional ON professional.id = (
        SELECT careteammember.professional_id FROM careteammember
         WHERE careteammember.patient_id = page.id AND careteammember.is_named_worker IS 1
           AND careteammember.status = 'ACTIVE' LIMIT 1)
 ORDER BY page.family_name, page.given_name, page.id
"""


def read_first_patients(path: Path, *, limit: int, today: dt.date) -> list[tuple[object, ...]]:
    """The patient list's first ``limit`` rows, in the columns of ``patient_list``'s query (dates as dates), read
    on a read-only connection in one read transaction. Only for a file ``is_current_database_file`` accepted;
    ``sqlite3.Error`` or ``ValueError`` when SQLite cannot read it or a value is not what the schema stores."""
    conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, timeout=0.5)
    try:
        rows = conn.execute(_FIRST_PATIENTS, {"today": today.isoformat(), "limit": limit}).fetchall()
    finally:
        conn.close()
    return [
        (*row[:5], dt.date.fromisoformat(row[5]), row[6] and dt.date.fromisoformat(row[6]), *row[7:]) for row in rows
    ]
