"""Opening the app: on the user's database, or (--demo) on a fresh demo database in a temporary directory."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from coordinator_tui.config import database_target, load_settings
from coordinator_tui.db import Database, open_database


def _demo_database(folder: Path) -> Database:
    from coordinator_tui.services.demo_data import load_demo

    db = open_database(str(folder / "demo.db"))
    with db.session() as session:
        load_demo(session)
    return db


def run_app(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="coordinator-demo-") as folder:
            db = _demo_database(Path(folder))
            try:
                return _run(db, settings)
            finally:
                db.dispose()
    db = open_database(database_target(args.db))
    try:
        _daily_backup(db, settings)
        return _run(db, settings)
    finally:
        db.dispose()


def _run(db: Database, settings: object) -> int:
    from coordinator_tui.logging_setup import guard_textual_app, handle_unexpected, unexpected_app_exception
    from coordinator_tui.ui.app import CoordinatorApp

    app = CoordinatorApp(database=db, settings=settings)  # type: ignore[arg-type]
    guard_textual_app(app)  # no traceback with local variables (patient records) on the terminal
    app.run()
    crash = unexpected_app_exception(app)
    if crash is not None:
        return handle_unexpected(crash, command="app")
    return int(app.return_code or 0)


def _daily_backup(db: Database, settings: object) -> None:
    """The first start of the day backs the database up; a failure is reported but does not stop the app."""
    from coordinator_tui.db import DatabaseError
    from coordinator_tui.services.backup import daily_backup_if_due

    try:
        daily_backup_if_due(db, settings)  # type: ignore[arg-type]
    except DatabaseError as exc:
        print(f"coordinator-tui: warning: today's backup could not be made: {exc}", file=sys.stderr)
