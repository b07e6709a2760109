"""Privacy: logs, crash reports and error output never hold personal data; files are owner-only.

Every patient field gets a unique marker; then errors are triggered (validation failures, a database constraint
error whose message lists the refused values, corrupt databases, unexpected exceptions in a command and in the
Textual app), and every log file, crash report and stderr/stdout is searched for the markers.
"""

from __future__ import annotations

import logging
import random
import secrets
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from coordinator_tui import cli, logging_setup
from coordinator_tui.db import Database, open_database
from coordinator_tui.models import Patient
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.user_dirs import data_dir
from coordinator_tui.validation import ValidationError, format_nhs_number, nhs_check_digit
from tests.safety_helpers import child_env


def _unique_nhs_number() -> str:
    rng = random.Random(secrets.randbits(64))
    while True:
        first = "999" + "".join(rng.choice("0123456789") for _ in range(6))
        check = nhs_check_digit(first)
        if check is not None:
            return first + str(check)


class Markers:
    def __init__(self) -> None:
        token = secrets.token_hex(4)
        self.text = {
            field: f"Mk{field[:3].capitalize()}{token}"
            for field in (
                "given_name",
                "family_name",
                "condition",
                "school",
                "interpreter_language",
                "internal_notes",
                "contact_name",
                "address",
                "email_user",
            )
        }
        self.hospital_number = f"HN{token}"
        self.nhs_number = _unique_nhs_number()

    def all(self) -> list[str]:
        return [*self.text.values(), self.hospital_number, self.nhs_number, format_nhs_number(self.nhs_number)]

    def patient_form(self) -> dict[str, str]:
        return {
            "nhs_number": self.nhs_number,
            "hospital_number": self.hospital_number,
            "given_name": self.text["given_name"],
            "family_name": self.text["family_name"],
            "date_of_birth": "02/05/2012",
            "condition": self.text["condition"],
            "school": self.text["school"],
            "interpreter_language": self.text["interpreter_language"],
            "internal_notes": f"{self.text['internal_notes']}\nsecond line",
        }

    def contact_form(self) -> dict[str, str]:
        return {
            "name": self.text["contact_name"],
            "relationship": "parent",
            "preferred_method": "email",
            "email": f"{self.text['email_user'].lower()}@example.org",
            "address": f"1 {self.text['address']} Street\nTesttown",
        }


def assert_no_markers(markers: Markers, *texts: str, where: str = "") -> None:
    for text in texts:
        for marker in markers.all():
            assert marker.lower() not in text.lower(), f"personal data ({marker}) leaked into {where or 'output'}"


def everything_written(root: Path) -> str:
    """Every log and crash report under the user data directory."""
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and ("crash" in p.name or ".log" in p.name)]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


@pytest.fixture
def markers() -> Markers:
    return Markers()


@pytest.fixture
def marked_db(tmp_path: Path, markers: Markers) -> Iterator[Database]:
    db = open_database(str(tmp_path / "clinic" / "coordinator.db"))
    with db.session() as s:
        patient = patient_service.create_patient(s, patient_service.parse_patient_form(markers.patient_form()))
        assert patient.id is not None
        contact_service.create_contact(s, patient.id, contact_service.parse_contact_form(markers.contact_form()))
    yield db
    db.dispose()


# ------------------------------------------------------------------------------------------------------------
# The log formatter
# ------------------------------------------------------------------------------------------------------------


def test_log_file_withholds_everything_but_event_names_and_numbers(tmp_path: Path, markers: Markers) -> None:
    path = logging_setup.configure_logging(tmp_path / "logs" / "coordinator.log")
    assert path is not None
    try:
        log = logging.getLogger("coordinator_tui.tests")
        name = markers.text["given_name"]
        log.info(
            "patient.saved", extra={"fields": {"patient_id": 42, "name": name, "file": logging_setup.Safe("x.db")}}
        )
        log.info("patient %s saved", name)  # a careless call: the message and its argument are withheld
        log.warning(f"saving {name} failed")  # an f-string: withheld too
        logging.getLogger("sqlalchemy.engine").warning("INSERT ... [parameters: (%r,)]", markers.nhs_number)
        try:
            raise ValueError(f"bad value {markers.nhs_number} for {name}")
        except ValueError:
            log.exception("patient.save_failed", extra={"fields": {"patient_id": 42}})
        logging.getLogger("textual").info("ignored below warning: %s", name)
    finally:
        logging_setup.shutdown_logging()
    text = path.read_text(encoding="utf-8")
    assert_no_markers(markers, text, where="the log file")
    lines = text.splitlines()
    assert len(lines) == 5
    assert "patient.saved" in lines[0] and "patient_id=42" in lines[0] and "name=<withheld>" in lines[0]
    assert "file=x.db" in lines[0]
    assert "<withheld>" in lines[1] and "<withheld>" in lines[2] and "<withheld>" in lines[3]
    assert "exception: ValueError" in lines[4] and "test_privacy.py" in lines[4] and "in test_log_file" in lines[4]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_log_file_is_owner_only_even_with_a_permissive_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        path = logging_setup.configure_logging(tmp_path / "open-logs" / "coordinator.log")
        assert path is not None
        logging.getLogger("coordinator_tui").info("app.started")
        handler = logging_setup._installed
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.doRollover()
        logging.getLogger("coordinator_tui").info("app.after_rollover")
    finally:
        logging_setup.shutdown_logging()
        os.umask(old)
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# ------------------------------------------------------------------------------------------------------------
# Crash reports from the command line
# ------------------------------------------------------------------------------------------------------------


def _duplicate_patient_insert(db_path: Path, markers: Markers) -> None:
    """A real database constraint error: the driver's message quotes every refused value."""
    db = open_database(str(db_path), create=False)
    try:
        with db.session() as s:
            values = patient_service.parse_patient_form(markers.patient_form())
            s.add(Patient(**values))  # bypasses the friendly duplicate check
            s.flush()
    finally:
        db.dispose()


def test_database_constraint_error_in_a_command_gives_a_private_crash_report(
    marked_db: Database, markers: Markers, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from coordinator_tui.commands import listing

    assert marked_db.path is not None
    marked_db.dispose()
    seen: list[BaseException] = []

    def failing_run(args: Any) -> int:
        try:
            _duplicate_patient_insert(marked_db.path, markers)  # type: ignore[arg-type]
        except IntegrityError as exc:
            seen.append(exc)
            raise
        return 0

    monkeypatch.setattr(listing, "run", failing_run)
    status = cli.main(["list", "patients", "--db", str(marked_db.path)])
    captured = capsys.readouterr()
    assert status == 1
    assert seen and markers.nhs_number in str(seen[0]), "the test must provoke an error that quotes patient data"
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "crash report" in captured.err and "IntegrityError" in captured.err
    assert_no_markers(markers, captured.out, captured.err, where="the command's output")
    reports = list((data_dir() / "crash-reports").glob("crash-*.txt"))
    assert len(reports) == 1
    report = reports[0].read_text(encoding="utf-8")
    assert "sqlalchemy.exc.IntegrityError" in report and "caused by: sqlite3.IntegrityError" in report
    assert "test_privacy.py" in report and "in failing_run" in report and "coordinator_tui/cli.py" in report
    assert_no_markers(markers, report, where="the crash report")
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(reports[0].parent.stat().st_mode) == 0o700
    assert_no_markers(markers, everything_written(data_dir()), where="the logs")
    assert "app.crash" in (data_dir() / "logs" / "coordinator.log").read_text()


def test_unexpected_exception_with_patient_data_in_message_and_locals(
    marked_db: Database, markers: Markers, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from coordinator_tui.commands import listing

    def failing_run(args: Any) -> int:
        with marked_db.session() as s:
            patient = patient_service.list_patients(s)[0]
            details = {"nhs": patient.nhs_number, "notes": patient.internal_notes}
            raise KeyError(f"cannot format {patient.given_name} {patient.family_name} ({details})")

    monkeypatch.setattr(listing, "run", failing_run)
    assert cli.main(["list", "patients", "--db", str(marked_db.path)]) == 1
    captured = capsys.readouterr()
    assert_no_markers(markers, captured.out, captured.err, everything_written(data_dir()), where="output or files")
    report = next((data_dir() / "crash-reports").glob("crash-*.txt")).read_text()
    assert "exception: KeyError" in report and "in failing_run" in report


def test_crash_in_a_real_process_prints_one_line(tmp_path: Path, marked_db: Database, markers: Markers) -> None:
    """A separate Python process (nothing captured by pytest): stderr holds one line and no markers."""
    assert marked_db.path is not None
    marked_db.dispose()
    script = (
        "import sys\n"
        "from coordinator_tui import cli\n"
        "from coordinator_tui.commands import listing\n"
        "from coordinator_tui.db import open_database\n"
        "from coordinator_tui.services.people import patients\n"
        "def boom(args):\n"
        "    db = open_database(args.db, create=False)\n"
        "    with db.session() as s:\n"
        "        p = patients.list_patients(s)[0]\n"
        "        raise RuntimeError('unexpected: ' + p.given_name + ' ' + p.nhs_number + ' ' + p.internal_notes)\n"
        "listing.run = boom\n"
        "sys.exit(cli.main(['list', 'patients', '--db', sys.argv[1]]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(marked_db.path)],
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "RuntimeError" in result.stderr
    assert_no_markers(markers, result.stdout, result.stderr, where="the process output")
    assert_no_markers(markers, everything_written(tmp_path / "xdg-data"), where="the crash report or log")
    assert list((tmp_path / "xdg-data").rglob("crash-*.txt"))


# ------------------------------------------------------------------------------------------------------------
# Validation failures and database faults
# ------------------------------------------------------------------------------------------------------------


def test_validation_failures_and_faults_leave_no_personal_data_in_logs(
    marked_db: Database, markers: Markers, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert marked_db.path is not None
    logging_setup.configure_logging()
    try:
        bad = markers.patient_form()
        bad["date_of_birth"] = markers.text["given_name"]  # a name typed into the date field
        bad["nhs_number"] = markers.nhs_number[:9] + str((int(markers.nhs_number[9]) + 1) % 10)
        with pytest.raises(ValidationError):
            patient_service.parse_patient_form(bad)
        with pytest.raises(ValidationError), marked_db.session() as s:  # duplicate NHS number: refused clearly
            patient_service.create_patient(s, patient_service.parse_patient_form(markers.patient_form()))
        with pytest.raises(IntegrityError), marked_db.session() as s:
            values = patient_service.parse_patient_form(markers.patient_form())
            s.add(Patient(**values))
            s.flush()
    finally:
        logging_setup.shutdown_logging()
    marked_db.dispose()
    # The command line on a damaged copy and on a busy-looking file: one line each, no personal data.
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(marked_db.path.read_bytes())
    conn = sqlite3.connect(damaged)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(damaged.read_bytes())
    for offset in range(4096 * 2, len(data) - 4096, 4096):
        data[offset + 8 : offset + 64] = b"\xff" * 56
    damaged.write_bytes(bytes(data))
    for args in (["check", "--db", str(damaged)], ["list", "patients", "--db", str(damaged)], ["list", "patients"]):
        cli.main(args)
    captured = capsys.readouterr()
    assert_no_markers(markers, captured.out, captured.err, where="command output")
    assert_no_markers(markers, everything_written(data_dir()), where="the logs")


def test_textual_crash_traceback_with_locals_is_not_printed(
    marked_db: Database, markers: Markers, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Textual prints crash tracebacks with local variables; the app command replaces that with a crash report."""
    from textual.app import App

    class CrashingApp(App[int]):
        def __init__(
            self,
            database: Database | None = None,
            settings: object = None,
            *,
            open_database: Any = None,
            after_open: Any = None,
            first_page: Any = None,
            **kwargs: Any,
        ) -> None:
            # As CoordinatorApp: an open database, or (fast start-up path) a function that opens it.
            super().__init__(**kwargs)
            self.database = database if database is not None else open_database()

        def on_mount(self) -> None:
            with self.database.session() as s:
                patient = patient_service.list_patients(s)[0]
            raise RuntimeError(f"could not show {patient.given_name}")

        def run(self, **kwargs: Any) -> Any:  # headless: no terminal in tests
            return super().run(headless=True, **kwargs)

    # Control: unguarded, Textual's own report would show the patient's details.
    unguarded = CrashingApp(database=marked_db)
    unguarded.run()
    assert markers.text["given_name"] in capfd.readouterr().err

    import coordinator_tui.ui.app as ui_app

    monkeypatch.setattr(ui_app, "CoordinatorApp", CrashingApp)
    assert cli.main(["--db", str(marked_db.path)]) == 1
    captured = capfd.readouterr()
    assert "crash report" in captured.err and "RuntimeError" in captured.err
    assert_no_markers(markers, captured.out, captured.err, where="the terminal")
    report = next((data_dir() / "crash-reports").glob("crash-*.txt")).read_text()
    assert "in on_mount" in report
    assert_no_markers(markers, report, everything_written(data_dir()), where="the crash report or log")


def test_crash_report_helper_never_includes_message_or_locals(markers: Markers, tmp_path: Path) -> None:
    def inner(secret: str) -> None:
        raise ValueError(secret)

    try:
        try:
            inner(markers.text["family_name"])
        except ValueError as exc:
            raise RuntimeError(markers.nhs_number) from exc
    except RuntimeError as exc:
        path = logging_setup.write_crash_report(exc, command="list", folder=tmp_path / "reports")
    text = path.read_text()
    assert_no_markers(markers, text, where="the crash report")
    assert "exception: RuntimeError" in text and "caused by: ValueError" in text and "in inner" in text
