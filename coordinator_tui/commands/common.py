"""Helpers shared by the subcommands: opening the database the user named."""

from __future__ import annotations

import argparse

from coordinator_tui.config import database_target
from coordinator_tui.db import Database, open_database


def open_from_args(args: argparse.Namespace, *, create: bool = False, writable: bool = True) -> Database:
    """The database named by --db / COORDINATOR_DB / the user data dir. Subcommands never create one silently."""
    return open_database(database_target(getattr(args, "db", None)), create=create, writable=writable)
