"""Hidden temporary files beside what we write (backups, restores, exports), and removing those left behind.

A backup, restore or export first writes a full-size copy of patient data to a hidden temporary file, then renames
it into place. If the process is killed half-way, that copy stays: so each temporary name holds the writer's
process id, and the next run in the same folder removes the ones whose writer is no longer running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

#: ``.<name>.<pid>.<8 hex>.<tmp|part>``, possibly followed by SQLite's sidecars or a nested ``.part``.
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.(?:tmp|part)(?:\.part)?(?:-wal|-shm|-journal)?$")


def temp_name(name: str, suffix: str = "tmp") -> str:
    """A hidden temporary file name for ``name``, marked with this process's id (see ``remove_leftovers``)."""
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}.{suffix}"


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process (or an odd number): leave its files alone
    return True


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` whose writer is no longer running; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or _running(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file():
                entry.unlink()
                removed.append(entry)
    if removed:
        log.info("temp_files.leftovers_removed", extra={"fields": {"count": len(removed)}})
    return removed
