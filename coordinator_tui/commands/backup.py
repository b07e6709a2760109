"""``coordinator-tui backup`` and ``coordinator-tui restore``: consistent copies of the database file;
``coordinator-tui upgrade``: the schema upgrade opening does, after its backup (on a server: ``pg_dump``), said out
loud, with ``--no-server-backup`` for a server database backed up by hand."""

from __future__ import annotations

import argparse
from pathlib import Path

from coordinator_tui.cli import CommandError, add_db_argument
from coordinator_tui.commands.common import say_progress
from coordinator_tui.config import database_target, load_settings, settings_file
from coordinator_tui.settings import SettingsError
from coordinator_tui.validation import FieldError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="make a consistent copy of the database (safe while the app is in use)",
        description="Copy the database with SQLite's online backup API (safe while coordinators are working), "
        "check the copy, and save it as <name>-YYYY-MM-DD.db (owner-only). Keeps the 7 most recent daily and "
        "4 weekly backups and deletes older ones. The folder is --to, else backup_dir in settings.toml, else "
        "backups/ beside the database file.",
    )
    add_db_argument(parser)
    parser.add_argument("--to", metavar="DIR", default=None, help="folder for the backups")
    parser.add_argument(
        "--no-prune", action="store_true", help="keep every backup in the folder (no 7 daily / 4 weekly rotation)"
    )
    parser.set_defaults(func=run_backup)

    restore = subparsers.add_parser(
        "restore",
        help="replace the database with a backup (the file is checked first)",
        description="Check FILE (an SQLite file, integrity check, a schema this version knows) before touching "
        "anything, save the current database as <name>-pre-restore-<time>.db in the backup folder, then copy "
        "FILE into the database in one SQLite transaction (a crash leaves the old or the new one). Refused while "
        "the app or another program has the database open, without changing it: close every Coordinator TUI first.",
    )
    restore.add_argument("file", metavar="FILE", help="the backup file to restore")
    add_db_argument(restore)
    restore.set_defaults(func=run_restore)

    upgrade = subparsers.add_parser(
        "upgrade",
        help="upgrade the database's schema to this version's, after a backup",
        description="Upgrade an older database to this version's schema, as opening it with the app or any command "
        "does, and say what was done. The database is backed up first: an SQLite file is copied beside itself "
        "(<name>.pre-<revision>-<time>.bak); a database on a server is dumped with pg_dump -Fc into the backup "
        "folder (backup_dir in settings.toml, else backups/ in the user data folder) as "
        "<database>.pre-<revision>-<time>.dump, owner-only. If that dump cannot be made (pg_dump missing, older "
        "than the server, or failing) nothing is changed. --no-server-backup upgrades a server's database without "
        "the dump: only after backing it up by hand (pg_dump -Fc, see Team setup in the README).",
    )
    add_db_argument(upgrade)
    upgrade.add_argument(
        "--no-server-backup",
        action="store_true",
        help="on a server, upgrade without the automatic pg_dump (back it up by hand first)",
    )
    upgrade.set_defaults(func=run_upgrade)


def _server_location(target: str) -> str | None:
    """A database server's URL without its password, or None for an SQLite file (a path or sqlite:///PATH)."""
    if "://" not in target:
        return None
    import sqlalchemy as sa

    try:
        url = sa.engine.make_url(target)
    except sa.exc.ArgumentError:
        return None  # not a URL this app can open: the service says so
    if url.get_backend_name() == "sqlite":
        return None
    return url.render_as_string(hide_password=True)


def run_backup(args: argparse.Namespace) -> int:
    from coordinator_tui.services.safety import backup as backup_service

    server = _server_location(database_target(getattr(args, "db", None)))
    if server is not None:
        raise CommandError(
            f"backup copies SQLite files; {server} is on a database server: back it up with the server's tools "
            "(pg_dump -Fc, see Team setup in the README)"
        )
    if args.to is not None and Path(args.to).expanduser().exists() and not Path(args.to).expanduser().is_dir():
        raise FieldError("to", f"--to {args.to} is a file, not a folder")  # a usage error: exit 2
    target = database_target(getattr(args, "db", None))
    database = backup_service.sqlite_file_of(target)
    settings = load_settings()
    folder = backup_service.backup_folder(database, settings, args.to)
    if args.to is None and settings.backup_dir and folder.exists() and not folder.is_dir():
        raise SettingsError(f"backup_dir in {settings_file()} is {folder}, a file, not a folder")
    path = backup_service.make_backup(database, folder, prune=not args.no_prune)
    kept = backup_service.list_backups(database, folder)
    print(f"backed up {database} to {path} ({len(kept)} backup(s) kept in {folder})")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from coordinator_tui.services.safety import backup as backup_service

    target = database_target(getattr(args, "db", None))
    server = _server_location(target)
    if server is not None:
        raise CommandError(
            f"restore replaces SQLite files; {server} is on a database server: restore a pg_dump file with the "
            "server's tools (pg_restore into a new, empty database, see Team setup in the README)"
        )
    result = backup_service.restore_backup(Path(args.file), target, load_settings())
    print(f"restored {result.database} from {result.restored_from} (schema {result.revision})")
    if result.previous_saved_as is not None:
        print(f"the database as it was before is saved as {result.previous_saved_as}")
    return 0


def run_upgrade(args: argparse.Namespace) -> int:
    from coordinator_tui.db import head_revision, open_database

    target = database_target(getattr(args, "db", None))
    database = open_database(
        target, create=False, quick_check=True, server_backup=not args.no_server_backup, progress=say_progress
    )
    database.dispose()
    head = head_revision()
    if database.upgraded_from is None:
        print(f"{database.location} is already at the current schema ({head}): nothing to upgrade")
    elif database.upgraded_from == "":
        print(f"{database.location} was empty: its tables are made (schema {head})")
    else:
        if database.upgrade_backup is not None:
            kept = f"the database as it was is saved as {database.upgrade_backup}"
        else:
            kept = "no backup was made (--no-server-backup)"
        print(f"upgraded {database.location} from schema {database.upgraded_from} to {head}; {kept}")
    return 0
