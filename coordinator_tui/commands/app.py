"""Opening the app: on the user's database, or (--demo) on a fresh demo database in a temporary directory.

Start-up is kept fast: when the database file is a healthy-looking SQLite file already at the current schema
(checked with the standard library alone, ``db_file.is_current_database_file``), the first screen shows at once,
with the first page of patients read with SQLite alone, and the database stack loads and opens in the background
(the audit guard with it). Any other database (to create, to upgrade, a URL, or
anything doubtful) is opened first, so its problems are reported on one line before the app starts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from coordinator_tui.commands.common import say_progress
from coordinator_tui.config import Settings, database_target, load_settings
from coordinator_tui.errors import DatabaseError
from coordinator_tui.logging_setup import Safe

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.people.patient_summary import PatientSummary

log = logging.getLogger(__name__)

DEMO_PATIENTS = 40  # patients in the demo database of --demo


def run_app(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.demo:
        # Building the demo takes a few seconds: say so, rather than leave the terminal blank.
        say_progress(f"Building the demo database ({DEMO_PATIENTS} fictional patients)…")
        with tempfile.TemporaryDirectory(prefix="coordinator-demo-") as folder:
            db = _demo_database(Path(folder))
            say_progress("Opening the app…")
            try:
                return _run(settings, database=db)
            finally:
                db.dispose()
    target = database_target(args.db)
    from coordinator_tui.db_file import is_current_database_file

    if "://" not in target and "\x00" not in target and is_current_database_file(Path(target).expanduser()):
        first_page = _read_first_page_meanwhile(Path(target).expanduser())
        opened: list[Database] = []

        def open_in_background() -> Database:
            db = _open_guarded(target, create=False)
            opened.append(db)
            return db

        try:
            return _run(
                settings,
                open_database=open_in_background,
                after_open=lambda db: _daily_backup(db, settings),
                first_page=first_page,
            )
        finally:
            for db in opened:
                db.dispose()

    new_path = _missing_database_path(target)
    # A path where no database can be made is refused here, in one line; an upgrade's slow steps are said first.
    db = _open_guarded(target, progress=say_progress)
    if new_path is not None:  # a mistyped path is noticed
        say_progress(f"there was no database at {new_path}{_default_note(args.db)}: created a new, empty one")
    notice = None if new_path is None else new_database_notice(new_path, args.db)
    try:
        warning = _daily_backup(db, settings)
        if warning:
            print(f"coordinator-tui: warning: {warning}", file=sys.stderr)
        return _run(settings, database=db, notice=notice)
    finally:
        db.dispose()


def _default_note(cli_value: str | None) -> str:
    """Where the path came from, when the user did not type it: the default database, or COORDINATOR_DB."""
    if cli_value:
        return ""
    return " (COORDINATOR_DB)" if os.environ.get("COORDINATOR_DB") else " (the default database)"


def new_database_notice(path: Path, cli_value: str | None = None) -> str:
    """What the app says on the first run, where it cannot be missed (a notice, and the home screen's panel)."""
    return (
        f"A new, empty database was created at {path}{_default_note(cli_value)} (readable by you only). "
        "Expected your patients? Quit (Ctrl+Q) and check the path: this is not the database you meant."
    )


def _read_first_page_meanwhile(path: Path) -> Callable[[], list[PatientSummary] | None]:
    """Start reading the patient list's first page with SQLite alone (``db_file.read_first_patients``), in a
    thread: SQLite reads while Textual loads. Returns a function that waits for the rows; None when they could not
    be read (the list then reads them once the database is open)."""
    from coordinator_tui import clock
    from coordinator_tui.db_file import read_first_patients
    from coordinator_tui.services.people.patient_summary import PAGE_SIZE, summary_from_row

    read: list[list[PatientSummary]] = []

    def read_rows() -> None:
        today = clock.today()
        try:
            read.append(
                [summary_from_row(row, today) for row in read_first_patients(path, limit=PAGE_SIZE, today=today)]
            )
        except Exception as exc:  # the list reads them the portable way instead; the log says why (no details)
            log.warning("app.first_page_unread", extra={"fields": {"error": Safe(type(exc).__name__)}})

    thread = threading.Thread(target=read_rows, name="first-page", daemon=True)
    thread.start()

    def rows() -> list[PatientSummary] | None:
        thread.join()
        return read[0] if read else None

    return rows


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


def _open_guarded(target: str, *, create: bool = True, progress: Callable[[str], None] | None = None) -> Database:
    """Open the database with the audit log's guard installed first (no session may change or delete an entry).
    The guard loads SQLAlchemy and the models, so it is installed here, with the database: on the fast path that is
    in the background, after the first frame."""
    from coordinator_tui.db import open_database
    from coordinator_tui.services.safety import audit_guard

    audit_guard.install()
    return open_database(target, create=create, progress=progress)


def _demo_database(folder: Path) -> Database:
    from coordinator_tui.services.demo_data import load_demo

    db = _open_guarded(str(folder / "demo.db"))
    with db.session() as session:
        load_demo(session, patients=DEMO_PATIENTS)
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
    from coordinator_tui.services.safety.backup import daily_backup_if_due

    try:
        daily_backup_if_due(db, settings)
    except DatabaseError as exc:
        return f"today's backup could not be made: {exc}"
    return None
