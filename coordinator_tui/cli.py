"""Command line: ``coordinator-tui`` opens the app; subcommands work on the database without it.

Each subcommand lives in ``coordinator_tui/commands/<name>.py`` with ``register(subparsers)``; the parser it adds
sets ``func`` to a function taking the parsed arguments and returning the exit status. Usage errors exit 2;
a problem with the database or a file exits 1 with one line on standard error, never a traceback. Everything printed
shows control characters and bidirectional controls visibly (``terminal_text``): a terminal never obeys them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from coordinator_tui import __version__
from coordinator_tui.errors import DatabaseError
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.settings import SettingsError
from coordinator_tui.terminal_text import terminal_safe_output
from coordinator_tui.validation import FieldError, ValidationError

# Subcommand modules, in the order --help lists them.
COMMAND_MODULES = [
    "coordinator_tui.commands.demo",
    "coordinator_tui.commands.listing",
    "coordinator_tui.commands.check",
    "coordinator_tui.commands.export",
    "coordinator_tui.commands.backup",
    "coordinator_tui.commands.copy",
    "coordinator_tui.commands.schedule",
    "coordinator_tui.commands.professionals",
    "coordinator_tui.commands.service",
    "coordinator_tui.commands.venues",
    "coordinator_tui.commands.clinics",
    "coordinator_tui.commands.invitations",
    "coordinator_tui.commands.tell",
    "coordinator_tui.commands.staffing",
    "coordinator_tui.commands.fhir",
    "coordinator_tui.commands.imports",
]


class CommandError(Exception):
    """A subcommand's one-line failure (exit status 1)."""


def add_db_argument(parser: argparse.ArgumentParser, *, top_level: bool = False) -> None:
    """--db on the program and on each subcommand (a subcommand's copy only overrides when given)."""
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=None if top_level else argparse.SUPPRESS,
        help="database file or SQLAlchemy URL (default: $COORDINATOR_DB, else the file in the user data directory)",
    )


#: The largest id a record can have (SQLite's and PostgreSQL's 64-bit integer keys).
MAX_RECORD_ID = 2**63 - 1


def record_id(text: str) -> int:
    """An argparse type for a record's id (``--clinic``, ``--patient``): a whole number from 1 to MAX_RECORD_ID.
    A larger number would overflow the database's integer and stop the program instead of being a usage error."""
    digits = text.strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= 19 and 1 <= int(digits) <= MAX_RECORD_ID:
        return int(digits)
    shown = text if len(text) <= 30 else text[:30] + "…"
    raise argparse.ArgumentTypeError(f"{shown!r} is not a record id (a whole number from 1 to {MAX_RECORD_ID})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coordinator-tui",
        description="Coordinate care for people with rare, multi-system conditions: care teams, combined clinic "
        "days, transition checklists and family itineraries. Without a subcommand, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_db_argument(parser, top_level=True)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app on a fresh demo database in a temporary directory (your real database is not touched)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # everything this process creates (database, backups, exports, logs) is owner-only
    with terminal_safe_output():  # an escape sequence in an argument or a record is printed as \x1b, not obeyed
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from coordinator_tui.logging_setup import configure_logging, handle_unexpected

    configure_logging()  # owner-only log file of event names and ids, never personal data
    try:
        if args.command is None:
            from coordinator_tui.commands.app import run_app

            return run_app(args)  # installs the audit guard as it opens the database, after the first frame
        from coordinator_tui.services.safety import audit_guard

        audit_guard.install()  # the audit log is append-only: no session may change or delete an entry
        return int(args.func(args))
    except (DatabaseError, CommandError, SettingsError, NotFoundError, ConcurrentEditError) as exc:
        print(f"coordinator-tui: {exc}", file=sys.stderr)
        return 1
    except (ValidationError, FieldError) as exc:
        print(f"coordinator-tui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("coordinator-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: a crash report without personal data, one line, never a traceback
        return handle_unexpected(exc, command=args.command)
