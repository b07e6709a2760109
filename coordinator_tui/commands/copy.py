"""``coordinator-tui copy --from FILE --to URL``: move an SQLite database's data into a new, empty database."""

from __future__ import annotations

import argparse

from coordinator_tui.cli import CommandError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "copy",
        help="copy an SQLite database into a new, empty database (moving to a PostgreSQL server)",
        description="Copy every table of the SQLite database FILE (the audit log included, ids and versions kept) "
        "into the empty database URL, in one transaction: all of it or nothing. FILE is opened read-only and may "
        "be in use. The target is first brought to this version's schema; a target that holds any row is refused "
        "and left unchanged. Afterwards the row counts of every table are checked to match. --to is usually a "
        "server URL (postgresql+psycopg://user@host/db?sslmode=require); an SQLite file path also works (a new "
        "file, or an empty database).",
    )
    parser.add_argument("--from", dest="source", required=True, metavar="SQLITE_FILE", help="the database to copy")
    parser.add_argument("--to", dest="target", required=True, metavar="URL", help="the new, empty database")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coordinator_tui.services.safety.database_copy import CopyError, copy_database

    def show(table: str, rows: int) -> None:
        print(f"{table:<24} {rows}", flush=True)

    try:
        result = copy_database(args.source, args.target, progress=show)
    except CopyError as exc:
        raise CommandError(str(exc)) from exc
    print(f"copied {result.total} rows; counts match")
    return 0
