"""Helpers shared by the subcommands: opening the database the user named."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from coordinator_tui.config import database_target

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def open_from_args(args: argparse.Namespace, *, create: bool = False, writable: bool = True) -> Database:
    """The database named by --db / COORDINATOR_DB / the user data dir. Subcommands never create one silently."""
    from coordinator_tui.db import open_database

    return open_database(database_target(getattr(args, "db", None)), create=create, writable=writable)
