"""Helpers shared by the subcommands: opening the database the user named."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from coordinator_tui.config import database_target

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def open_from_args(
    args: argparse.Namespace, *, create: bool = False, writable: bool = True, check_pages: bool = True
) -> Database:
    """The database named by --db / COORDINATOR_DB / the user data dir. Subcommands never create one silently.

    Before a command reads or writes anything, SQLite's quick check runs over every page: a damaged database is
    refused with one line (exit 1), so nothing is written into it and nothing misleading is printed from it."""
    from coordinator_tui.db import open_database

    target = database_target(getattr(args, "db", None))
    return open_database(target, create=create, writable=writable, quick_check=check_pages)
