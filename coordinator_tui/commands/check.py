"""``coordinator-tui check``: integrity check of the database (SQLite integrity, foreign keys, schema version)."""

from __future__ import annotations

import argparse

from coordinator_tui.cli import add_db_argument
from coordinator_tui.commands.common import open_from_args


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the database's integrity and schema version",
        description="Run SQLite's integrity check and foreign-key check and compare the schema version with this "
        "app's. Exit status 0 when sound, 1 when a problem is found. The database is opened read-only.",
    )
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coordinator_tui.db import integrity_report

    db = open_from_args(args, writable=False, check_pages=False)  # the full check follows
    try:
        problems = integrity_report(db)
    finally:
        db.dispose()
    if problems:
        for line in problems:
            print(f"problem: {line}")
        print(f"{len(problems)} problem(s) found in {db.location}")
        return 1
    print(f"ok: {db.location} passed the integrity, foreign-key and schema-version checks")
    return 0
