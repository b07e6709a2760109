"""Helpers shared by the subcommands: opening the database the user named."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from coordinator_tui.config import database_target

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def open_from_args(
    args: argparse.Namespace, *, create: bool = False, writable: bool = True, check_pages: bool = True
) -> Database:
    """The database named by --db / COORDINATOR_DB / the user data dir. Subcommands never create one silently.

    Before a command reads or writes anything, SQLite's quick check runs over every page: a damaged database is
    refused with one line (exit 1), so nothing is written into it and nothing misleading is printed from it.

    An upgrade of an older database says its slow steps on standard error as they start (``say_progress``).

    Then the service-wide values an older settings file holds are moved into the database's service details on
    its first open (when the command may write), or reported as ignored: one line on standard error."""
    from coordinator_tui.db import open_database

    target = database_target(getattr(args, "db", None))
    database = open_database(target, create=create, writable=writable, quick_check=check_pages, progress=say_progress)
    try:
        take_workstation_settings(database, writable=writable)
    except BaseException:
        database.dispose()
        raise
    return database


def take_workstation_settings(database: Database, *, writable: bool) -> None:
    """``service_details.take_workstation_settings`` for a command: its one line, if any, on standard error. A
    settings file that cannot be read stops the command (``SettingsError``: one line, exit 1), as it stops the
    app."""
    from coordinator_tui.config import load_settings, settings_file
    from coordinator_tui.services.service_details import take_workstation_settings as take

    move = take(database, load_settings(), source=str(settings_file()), writable=writable)
    if move.message:
        print(f"coordinator-tui: {'warning: ' if move.warning else ''}{move.message}", file=sys.stderr)


def say_progress(progress: str) -> None:
    """A slow step the user waits for, said on standard error as it starts (the terminal is not left blank)."""
    print(f"coordinator-tui: {progress}", file=sys.stderr, flush=True)
