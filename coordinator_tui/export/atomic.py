"""Write a file atomically and owner-only: a half-written itinerary must never reach a family.

The bytes go to a temporary file created 0600 in the destination directory, are flushed and fsynced, then the
temporary file is renamed over the destination (``os.replace``, atomic on POSIX and Windows) and the directory
is fsynced. The temporary name holds the writer's process id: a copy left by a killed export is removed by the
next export into the same folder (``temp_files.remove_leftovers``). Any failure removes the temporary file and
raises :class:`ExportError`, whose message is one line fit to show to the user, naming the file by what it is
(clinic and patient ids), never by its name. Missing directories are created owner-only (0700); existing ones are
left as they are.

A database is never replaced by an export: a destination that is an SQLite database (asked of SQLite itself, which
never drops the locks of a database this process has open), or the write-ahead log, shared-memory or journal file
beside one, is refused before anything is written (``refuse_database_file``). A list saved as ``coordinator.db``
would otherwise rename a spreadsheet over the live database.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from coordinator_tui.db_file import is_database_or_beside_one
from coordinator_tui.temp_files import remove_leftovers, temp_name


class ExportError(Exception):
    """An export could not be written; ``str()`` is one line naming the place, free of patient data."""


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file is in the way of the folder"
    # The system's text for the error number, never the exception's own text (which may quote the file name).
    return os.strerror(exc.errno).lower() if exc.errno else exc.__class__.__name__


def ensure_output_dir(directory: Path) -> Path:
    """Create ``directory`` (and missing parents) owner-only; refuse a path that is not a writable folder."""
    directory = Path(directory).expanduser()
    missing: list[Path] = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    try:
        for path in reversed(missing):
            path.mkdir(mode=0o700)
            with contextlib.suppress(PermissionError):
                path.chmod(0o700)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {directory}: {_reason(exc)}") from exc
    if not directory.is_dir():
        raise ExportError(f"cannot write to {directory}: it is not a folder")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write to the folder {directory}: permission denied")
    remove_leftovers(directory)
    return directory


def create_temp_file(directory: Path, name: str) -> tuple[int, str]:
    """A new hidden temporary file (0600) for ``name`` in ``directory``: its descriptor and path."""
    tmp_name = str(directory / temp_name(name, "part"))
    return os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp_name


def refuse_database_file(path: Path, *, what: str) -> None:
    """``ExportError`` when ``path`` is an SQLite database, or the ``-wal``/``-shm``/``-journal`` file of one."""
    if is_database_or_beside_one(Path(path).expanduser()):
        raise ExportError(
            f"cannot write {what} there: that file is a database (or belongs to one); choose another name"
        )


def write_atomic(path: Path, data: bytes, *, what: str, sync_dir: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically with owner-only (0600) permissions; return the path.

    ``what`` names the file in an error message instead of its name, which may hold a person's name (an itinerary
    is named after the family): e.g. "the .ics itinerary of patient 12 at clinic 3". ``sync_dir=False`` leaves the
    directory's fsync to the caller (``fsync_dir``), so a batch of files costs one directory sync instead of one
    per file."""
    path = Path(path).expanduser()
    refuse_database_file(path, what=what)
    directory = ensure_output_dir(path.parent)
    tmp_name: str | None = None
    try:
        fd, tmp_name = create_temp_file(directory, path.name)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        if sync_dir:
            fsync_dir(directory)
    except OSError as exc:
        raise ExportError(f"cannot write {what} in {directory}: {_reason(exc)}") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return path


def fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); not possible, and not needed, on Windows."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
