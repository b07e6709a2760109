"""Backups and restore of the SQLite database file.

- ``make_backup`` copies the live database with SQLite's online backup API (safe while the app is in use: WAL
  readers do not block writers), checks the copy, and only then moves it into place under a name holding the
  date (``<stem>-YYYY-MM-DD.db``). A second backup on the same day replaces that day's file; a copy that fails
  its check never replaces a good one. Files are owner-only (0600) in an owner-only directory (0700).
- ``prune_backups`` keeps a rotation: the 7 most recent days that have a backup, plus the newest backup of each
  of the 4 most recent ISO weeks. Everything else with this database's name pattern is deleted.
- ``restore_backup`` checks a file (SQLite header, integrity check, a Coordinator TUI schema that this version
  knows and that is not newer) on a private copy *before* touching anything, refuses while another program has
  the database open (without changing a byte of it), saves the current database as
  ``<stem>-pre-restore-<timestamp>.db`` (never pruned), then copies the checked copy into the database in one
  SQLite transaction while it still holds the database's exclusive lock.
- The live database file, its ``-wal`` and ``-shm`` are only ever opened through SQLite (``db_file`` says why).
- ``daily_backup_if_due`` makes the day's backup on the app's first start of the day.

Nothing here is specific to the user interface; messages are one line and hold no personal data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from coordinator_tui import clock
from coordinator_tui.config import Settings, ensure_private_dir
from coordinator_tui.db import (
    BUSY_MESSAGE,
    BUSY_TIMEOUT_MS,
    Database,
    DatabaseBusyError,
    DatabaseError,
    NewerDatabaseError,
    backup_sqlite_file,
    create_private_file,
    known_revisions,
    remove_with_sidecars,
)
from coordinator_tui.db_file import FileKind, file_kind, is_sqlite_file, sqlite_uri
from coordinator_tui.temp_files import remove_leftovers, temp_name

log = logging.getLogger(__name__)

KEEP_DAILY = 7
KEEP_WEEKLY = 4
# How long restore waits for other connections before saying the database is in use.
RESTORE_LOCK_TIMEOUT_S = 2.0


class BackupError(DatabaseError):
    """A backup or restore could not be made; ``str()`` is one line without personal data."""


class NewerBackupError(BackupError, NewerDatabaseError):
    """The file was written by a newer version of the app (its schema revision is unknown here)."""


class DatabaseInUseError(BackupError):
    """Restore refused: another program (usually the app) has the database open."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    day: dt.date


# ------------------------------------------------------------------------------------------------------------
# Names and rotation
# ------------------------------------------------------------------------------------------------------------


def backup_name(database_file: Path, day: dt.date) -> str:
    return f"{database_file.stem}-{day.isoformat()}.db"


def _pattern(database_file: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(database_file.stem)}-(\d{{4}}-\d{{2}}-\d{{2}})\.db$")


def list_backups(database_file: Path, folder: Path) -> list[BackupFile]:
    """This database's dated backups in ``folder``, newest first (pre-restore copies are not listed)."""
    if not folder.is_dir():
        return []
    pattern = _pattern(database_file)
    found: list[BackupFile] = []
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if not match or not entry.is_file():
            continue
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            continue
        found.append(BackupFile(entry, day))
    return sorted(found, key=lambda b: b.day, reverse=True)


def backups_to_keep(days: Iterable[dt.date], *, daily: int = KEEP_DAILY, weekly: int = KEEP_WEEKLY) -> set[dt.date]:
    """The days whose backup the rotation keeps: the ``daily`` newest, and the newest of the ``weekly`` newest weeks."""
    ordered = sorted(set(days), reverse=True)
    keep = set(ordered[:daily])
    weeks_seen: list[tuple[int, int]] = []
    for day in ordered:
        week = day.isocalendar()[:2]
        if week in weeks_seen:
            continue
        if len(weeks_seen) >= weekly:
            break
        weeks_seen.append(week)
        keep.add(day)  # ordered newest first, so the first day seen in a week is that week's newest
    return keep


def prune_backups(database_file: Path, folder: Path) -> list[Path]:
    """Delete the backups the rotation no longer keeps; returns what was deleted."""
    backups = list_backups(database_file, folder)
    keep = backups_to_keep(b.day for b in backups)
    removed: list[Path] = []
    for backup in backups:
        if backup.day not in keep:
            with contextlib.suppress(FileNotFoundError):
                backup.path.unlink()
            removed.append(backup.path)
    if removed:
        log.info("backup.pruned", extra={"fields": {"count": len(removed)}})
    return removed


# ------------------------------------------------------------------------------------------------------------
# Checking a database file
# ------------------------------------------------------------------------------------------------------------


def _require_sqlite_file(path: Path, *, what: str) -> None:
    """Refuse a file that cannot be read or is not an SQLite database; ``what`` names it in the message.

    Learnt through ``os.stat`` and SQLite only: the file may be the live database, and a descriptor opened and
    closed by anything but SQLite would drop this process's SQLite locks on it (``db_file``)."""
    try:
        kind = file_kind(path)
    except OSError as exc:
        raise BackupError(f"{what} cannot be read ({exc.strerror})") from exc
    if kind is FileKind.MISSING:
        raise BackupError(f"{what} does not exist")
    if kind is FileKind.DIRECTORY:
        raise BackupError(f"{what} is a directory, not a database file")
    if kind is FileKind.SPECIAL:
        raise BackupError(f"{what} is not a regular file (a pipe, device or socket), not a database file")
    if kind is FileKind.EMPTY:
        raise BackupError(f"{what} is empty (0 bytes): it is not a Coordinator TUI database")
    if not os.access(path, os.R_OK):
        raise BackupError(f"{what} cannot be read (permission denied)")
    try:
        is_sqlite = is_sqlite_file(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseBusyError(BUSY_MESSAGE) from exc
        raise BackupError(f"{what} cannot be read ({text.splitlines()[0][:200]})") from exc
    if not is_sqlite:
        raise BackupError(f"{what} is damaged (corrupt) or not an SQLite file: SQLite cannot read it")


def check_database_file(path: Path, *, what: str = "the file", shown_as: Path | None = None) -> str:
    """Check a database file and return its schema revision, or raise BackupError saying what is wrong.

    The checks: it is a readable SQLite file, SQLite's integrity and foreign-key checks pass, it holds a
    Coordinator TUI schema version that this version of the app knows (an older one is upgraded when opened).
    ``path`` should be a private copy (it is opened read-write, though nothing is written); messages name
    ``shown_as``, the file the user knows, when given.
    """
    real = path
    path = shown_as or path
    _require_sqlite_file(real, what=f"{what} {path}")
    try:
        conn = sqlite3.connect(real, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise BackupError(f"{what} {path} cannot be opened as a database") from exc
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall() if row[0] != "ok"]
        if problems:
            raise BackupError(f"{what} {path} is damaged: SQLite's integrity check failed ({len(problems)} problem(s))")
        if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise BackupError(f"{what} {path} is damaged: some records refer to records that are missing")
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if not has_version:
            raise BackupError(f"{what} {path} is not a Coordinator TUI database (it has no schema version)")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} {path} is damaged or not a database (SQLite cannot read it)") from exc
    finally:
        conn.close()
    if row is None:
        raise BackupError(f"{what} {path} is not a Coordinator TUI database (its schema version is empty)")
    revision = str(row[0])
    if revision not in known_revisions():
        raise NewerBackupError(
            f"{what} {path} was written by a newer version of Coordinator TUI (schema {revision}); "
            "install the newer version to use it. Nothing was changed"
        )
    return revision


def _ensure_folder(folder: Path, what: str) -> None:
    """Create ``folder`` owner-only if missing; a file where it should be is refused before anything is written."""
    try:
        ensure_private_dir(folder)
    except NotADirectoryError as exc:
        where = "is a file, not a folder" if folder.exists() else "cannot be created (a file is in its path)"
        raise BackupError(f"{what} {folder} {where}") from exc
    except OSError as exc:
        raise BackupError(f"{what} {folder} cannot be created ({exc.strerror})") from exc


def _private_temp_path(folder: Path, stem: str) -> Path:
    """A hidden temporary file in ``folder``; leftovers of a killed run are removed by the next (``temp_files``)."""
    remove_leftovers(folder)
    return folder / temp_name(stem)


def _copy_as_single_file(source: Path, dest: Path) -> None:
    """A consistent, self-contained copy (online backup API, then rollback-journal mode: no -wal file needed)."""
    try:
        backup_sqlite_file(source, dest)
        conn = sqlite3.connect(dest, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        remove_with_sidecars(dest)
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseBusyError(BUSY_MESSAGE) from exc
        if "full" in text:
            raise BackupError("the copy could not be written: the disk is full") from exc
        raise BackupError(f"the copy could not be made: {text.splitlines()[0][:200]}") from exc
    except sqlite3.DatabaseError as exc:
        remove_with_sidecars(dest)
        raise BackupError(f"{source} is damaged or not a database (SQLite cannot read it)") from exc
    except BaseException:
        remove_with_sidecars(dest)
        raise


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ------------------------------------------------------------------------------------------------------------
# Backup
# ------------------------------------------------------------------------------------------------------------


def sqlite_file_of(db: Database | Path | str) -> Path:
    """The database file behind ``db``; backups work on SQLite files only."""
    if isinstance(db, Database):
        if db.path is None:
            raise BackupError(
                f"backups and restore work on SQLite database files; for {db.location} use the database "
                "server's own backup tools"
            )
        return db.path
    if isinstance(db, str) and "://" in db:
        raise BackupError(
            "backups and restore work on SQLite database files; for a database server use its own backup tools"
        )
    return Path(db).expanduser().resolve()


def make_backup(db: Database | Path | str, folder: Path, *, day: dt.date | None = None, prune: bool = True) -> Path:
    """Back the database up into ``folder`` as ``<stem>-<day>.db`` (checked before it replaces anything)."""
    source = sqlite_file_of(db)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    _require_sqlite_file(source, what=f"the database file {source}")
    day = day or clock.today()
    _ensure_folder(folder, "the backup folder")
    final = folder / backup_name(source, day)
    tmp = _private_temp_path(folder, source.stem)
    try:
        _copy_as_single_file(source, tmp)
        check_database_file(tmp, what="the new backup of", shown_as=source)
        os.replace(tmp, final)
    except OSError as exc:
        remove_with_sidecars(tmp)
        raise BackupError(f"the backup could not be written to {folder} ({exc.strerror})") from exc
    except BaseException:
        remove_with_sidecars(tmp)
        raise
    _fsync_dir(folder)
    log.info("backup.created", extra={"fields": {"day": day.isoformat()}})
    if prune:
        prune_backups(source, folder)
    return final


def backup_folder(db: Database | Path, settings: Settings | None = None, to: Path | str | None = None) -> Path:
    """Where backups go: ``--to``, else the settings' backup_dir, else ``backups/`` beside the database file."""
    if to is not None:
        return Path(to).expanduser().resolve()
    return (settings or Settings()).backup_path(sqlite_file_of(db))


def daily_backup_if_due(db: Database, settings: Settings | None = None) -> Path | None:
    """On the first start of a day, back the database up (and prune). Returns the file, or None if not due.

    Databases on a server (URLs) are not backed up here. Raises BackupError when a due backup fails.
    """
    if db.path is None or not db.path.exists():
        return None
    folder = backup_folder(db, settings)
    day = clock.today()
    if (folder / backup_name(db.path, day)).exists():
        return None
    return make_backup(db, folder, day=day)


# ------------------------------------------------------------------------------------------------------------
# Restore
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    database: Path
    previous_saved_as: Path | None
    revision: str


def _in_use(database: Path) -> DatabaseInUseError:
    return DatabaseInUseError(
        f"the database {database} is open in Coordinator TUI or another program; close it and try again"
    )


@contextlib.contextmanager
def _exclusive_hold(database: Path) -> Iterator[sqlite3.Connection]:
    """Take the database for ourselves without changing it: fails if any other connection (e.g. the app) has it open.

    In EXCLUSIVE locking mode SQLite takes the database file's exclusive lock on first access and keeps it until
    the connection closes (in WAL mode it refuses while any other connection is open; in rollback mode while any
    other connection reads or writes). ``BEGIN EXCLUSIVE`` then an empty ``COMMIT`` takes it and writes nothing,
    so a refused restore leaves the file byte for byte as it was. The connection yielded holds the lock.
    """
    conn = sqlite3.connect(sqlite_uri(database, mode="rw"), uri=True, timeout=RESTORE_LOCK_TIMEOUT_S)
    conn.isolation_level = None
    try:
        try:
            conn.execute("PRAGMA locking_mode = EXCLUSIVE").fetchall()
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if "locked" in text or "busy" in text:
                raise _in_use(database) from exc
            raise BackupError(f"the database {database} cannot be prepared for restore ({text[:200]})") from exc
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the current database {database} is damaged; move it aside by hand to restore") from exc
        yield conn
    finally:
        conn.close()


def _save_current(conn: sqlite3.Connection, database: Path, folder: Path) -> Path:
    """Copy the held database (through its own connection: the backup API) to ``<stem>-pre-restore-<time>.db``."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    saved = folder / f"{database.stem}-pre-restore-{stamp}.db"
    part = _private_temp_path(folder, database.stem + "-pre-restore")
    create_private_file(part)
    try:
        dst = sqlite3.connect(part)
        try:
            conn.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE").fetchall()
        finally:
            dst.close()
        with contextlib.suppress(OSError):  # the copy is ours alone: no SQLite connection has it open
            fd = os.open(part, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(part, saved)
    except BaseException:
        remove_with_sidecars(part)
        raise
    _fsync_dir(folder)
    return saved


def _copy_into(staged: Path, held: sqlite3.Connection) -> None:
    source = sqlite3.connect(sqlite_uri(staged, mode="ro"), uri=True)
    try:
        source.backup(held)
    finally:
        source.close()


def restore_backup(backup: Path | str, db_target: Path | str, settings: Settings | None = None) -> RestoreResult:
    """Replace the database with a checked backup, saving the current database first.

    Everything that can fail (the backup's checks, the backup folder, the copy of the current database) happens
    before the current database is changed; a refused restore leaves it byte for byte as it was."""
    source = Path(backup).expanduser().resolve()
    database = sqlite_file_of(db_target)
    if source == database:
        raise BackupError("the backup file and the database are the same file")
    _require_sqlite_file(source, what=f"the backup file {source}")
    _ensure_folder(database.parent, "the folder")
    # 1. A private copy of the backup beside the database (same file system, so the final rename is atomic),
    #    checked before anything else is touched.
    staged = _private_temp_path(database.parent, database.stem + "-restore")
    saved: Path | None = None
    try:
        _copy_as_single_file(source, staged)
        revision = check_database_file(staged, what="the backup file", shown_as=source)
        if file_kind(database) is FileKind.MISSING:
            os.replace(staged, database)
        else:
            _require_sqlite_file(database, what=f"the database {database}")
            folder = backup_folder(database, settings)
            _ensure_folder(folder, "the backup folder")
            with _exclusive_hold(database) as held:
                # 2. Save the current database: consistent, and no one else can change it while we hold it.
                saved = _save_current(held, database, folder)
                # 3. Copy the checked backup into the database through SQLite (the backup API, into the connection
                #    that holds it): one transaction, journalled like any save, so a crash leaves the old or the new
                #    database, never a mix; the file stays the same file (no rename under other programs, no
                #    -wal of the old database left beside a new one), in WAL mode as before.
                _copy_into(staged, held)
        _fsync_dir(database.parent)
    except OSError as exc:
        raise BackupError(
            f"the restore could not be completed ({exc.strerror}); the database was not replaced"
        ) from exc
    except sqlite3.Error as exc:
        text = str(exc).lower()
        if "full" in text:
            raise BackupError(
                "the restore could not be completed: the disk is full; the database was not replaced"
            ) from exc
        raise BackupError(
            f"the restore could not be completed ({text.splitlines()[0][:200]}); the database was not replaced"
        ) from exc
    finally:
        remove_with_sidecars(staged)
    log.info("backup.restored", extra={"fields": {"revision": revision}})
    return RestoreResult(restored_from=source, database=database, previous_saved_as=saved, revision=revision)
