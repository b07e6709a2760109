"""Opening the app: on the user's database, or (--demo) on a fresh demo database in a temporary directory.

Start-up is kept fast: when the database file is a healthy-looking SQLite file already at the current schema
(checked with the standard library alone, ``db_file.is_current_database_file``), the first screen shows at once and
the database stack loads and opens in the background. Any other database (to create, to upgrade, a URL, or
anything doubtful) is opened first, so its problems are reported on one line before the app starts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from coordinator_tui.config import Settings, database_target, load_settings
from coordinator_tui.errors import DatabaseError

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def run_app(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="coordinator-demo-") as folder:
            db = _demo_database(Path(folder))
            try:
                return _run(settings, database=db)
            finally:
                db.dispose()
    target = database_target(args.db)
    from coordinator_tui.db_file import is_current_database_file

    if "://" not in target and "\x00" not in target and is_current_database_file(Path(target).expanduser()):
        opened: list[Database] = []

        def open_in_background() -> Database:
            from coordinator_tui.db import open_database

            db = open_database(target, create=False)
            opened.append(db)
            return db

        try:
            return _run(
                settings,
                open_database=open_in_background,
                after_open=lambda db: _daily_backup(db, settings),
            )
        finally:
            for db in opened:
                db.dispose()

    from coordinator_tui.db import open_database

    new_path = _missing_database_path(target)
    db = open_database(target)
    if new_path is not None:
        print(f"coordinator-tui: there was no database at {new_path}: created a new, empty one", file=sys.stderr)
    notice = None if new_path is None else f"A new, empty database was created at {new_path} (readable by you only)."
    try:
        warning = _daily_backup(db, settings)
        if warning:
            print(f"coordinator-tui: warning: {warning}", file=sys.stderr)
        return _run(settings, database=db, notice=notice)
    finally:
        db.dispose()


def _missing_database_path(target: str) -> Path | None:
    """The path of the first run (nothing there yet: a new, empty database will be created), else None."""
    from coordinator_tui.db_file import FileKind, file_kind

    if "://" in target:
        return None
    try:
        path = Path(target).expanduser().resolve()
        return path if file_kind(path) is FileKind.MISSING else None
    except (OSError, ValueError):
        return None  # open_database says what is wrong with the path


def _demo_database(folder: Path) -> Database:
    from coordinator_tui.db import open_database
    from coordinator_tui.services.demo_data import load_demo

    db = open_database(str(folder / "demo.db"))
    with db.session() as session:
        load_demo(session)
    return db


def _run(settings: Settings, **database: object) -> int:
    from coordinator_tui.logging_setup import guard_textual_app, handle_unexpected, unexpected_app_exception
    from coordinator_tui.ui.app import CoordinatorApp

    app = CoordinatorApp(settings=settings, **database)  # type: ignore[arg-type]
    guard_textual_app(app)  # no traceback with local variables (patient records) on the terminal
    app.run()
    crash = unexpected_app_exception(app)
    if crash is not None:
        return handle_unexpected(crash, command="app")
    if app.startup_error:
        print(f"coordinator-tui: {app.startup_error}", file=sys.stderr)
        return 1
    return int(app.return_code or 0)


def _daily_backup(db: Database, settings: Settings) -> str | None:
    """The first start of the day backs the database up; a failure is reported but does not stop the app."""
    from coordinator_tui.services.backup import daily_backup_if_due

    try:
        daily_backup_if_due(db, settings)
    except DatabaseError as exc:
        return f"today's backup could not be made: {exc}"
    return None
