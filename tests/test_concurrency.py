"""Two coordinators, one database: both can write; a stale save is refused by name; a held lock is a clear error."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui import cli
from coordinator_tui import db as db_module
from coordinator_tui.db import Database, DatabaseBusyError, DatabaseError, open_database
from coordinator_tui.models import AuditEvent, Patient
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.safety import audit
from tests.postgres_server import both_databases
from tests.safety_helpers import REPO, add_patient, child_env, file_digest

WRITER = REPO / "tests" / "crash_writer.py"


@pytest.fixture
def shared(db_url: str, db_backend: str) -> Iterator[Path | str]:
    """The shared database with patient 1: a file (its Path), or, in the tests marked both_databases, also a
    database on the PostgreSQL server (its URL)."""
    first = open_database(db_url)
    with first.session() as s:
        add_patient(s, 1)
    first.dispose()
    yield Path(db_url) if db_backend == "sqlite" else db_url


def _open(path: Path | str) -> Database:
    return open_database(str(path), create=False)


@both_databases
def test_two_processes_write_at_the_same_time(shared: Path, tmp_path: Path) -> None:
    other = subprocess.Popen(
        [sys.executable, str(WRITER), "many", str(shared), "5000", "40"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    here = _open(shared)
    try:
        for seed in range(100, 140):
            with here.session() as s:
                add_patient(s, seed)
    finally:
        here.dispose()
    out, err = other.communicate(timeout=120)
    assert other.returncode == 0, err
    assert out.rstrip().endswith("done")
    check = _open(shared)
    try:
        with check.session() as s:
            assert len(s.exec(select(Patient)).all()) == 1 + 40 + 40
    finally:
        check.dispose()
    assert cli.main(["check", "--db", str(shared)]) == 0


@both_databases
def test_same_record_saved_by_two_coordinators(shared: Path) -> None:
    alice_db, bob_db = _open(shared), _open(shared)
    try:
        # Both open the patient's form and read version 1.
        with alice_db.session() as s:
            alice_sees = patient_service.get_patient(s, 1).version
        with bob_db.session() as s:
            bob_sees = patient_service.get_patient(s, 1).version
        assert alice_sees == bob_sees == 1
        audit.set_current_user("alice")
        with alice_db.session() as s:
            patient_service.update_patient(s, 1, {"school": "Alice's correction"}, expected_version=alice_sees)
        audit.set_current_user("bob")
        with pytest.raises(ConcurrentEditError) as info, bob_db.session() as s:
            patient_service.update_patient(s, 1, {"school": "Bob's typing"}, expected_version=bob_sees)
        message = str(info.value)
        assert "alice" in message and "25/11/2026 10:00" in message and "not saved" in message
        assert info.value.changed_by == "alice" and "\n" not in message
        with bob_db.session() as s:
            patient = patient_service.get_patient(s, 1)
            assert patient.school == "Alice's correction" and patient.version == 2
            events = s.exec(select(AuditEvent).where(AuditEvent.entity == "patient")).all()
            assert [e.user for e in events if e.action == "update"] == ["alice"], "the refused save left no trace"
        # Bob reloads (version 2) and saves again: now it goes through.
        with bob_db.session() as s:
            patient_service.update_patient(s, 1, {"school": "Bob's typing"}, expected_version=2)
            assert patient_service.get_patient(s, 1).version == 3
    finally:
        alice_db.dispose()
        bob_db.dispose()


@both_databases
def test_stale_save_against_another_process(shared: Path, tmp_path: Path) -> None:
    """The other coordinator is a separate process (its own user name, its own connection)."""
    here = _open(shared)
    try:
        with here.session() as s:
            opened_version = patient_service.get_patient(s, 1).version
        script = (
            "import sys\n"
            "from coordinator_tui.db import open_database\n"
            "from coordinator_tui.services.people import patients\n"
            "from coordinator_tui.services.safety import audit\n"
            "audit.set_current_user('carol.nurse')\n"
            "db = open_database(sys.argv[1], create=False)\n"
            "with db.session() as s:\n"
            "    patients.update_patient(s, 1, {'condition': 'updated elsewhere'}, expected_version=1)\n"
            "db.dispose()\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, str(shared)], capture_output=True, text=True, env=child_env(tmp_path)
        )
        assert done.returncode == 0, done.stderr
        with pytest.raises(ConcurrentEditError, match=r"carol\.nurse at 25/11/2026 10:00"), here.session() as s:
            patient_service.update_patient(s, 1, {"condition": "mine"}, expected_version=opened_version)
        with here.session() as s:
            assert patient_service.get_patient(s, 1).condition == "updated elsewhere"
    finally:
        here.dispose()


@contextlib.contextmanager
def write_lock_held(path: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the write lock (BEGIN IMMEDIATE) far longer than the busy timeout."""
    script = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"UPDATE patient SET school = 'held' WHERE id = 1\")\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_held_lock_gives_a_clear_busy_error_and_a_retry_works(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 300)
    here = _open(shared)  # the app is open before the other coordinator starts a long save
    try:
        with write_lock_held(shared, tmp_path) as holder:
            started = time.monotonic()
            with pytest.raises(DatabaseBusyError) as info, here.session() as s:
                add_patient(s, 50)
            assert time.monotonic() - started >= 0.25, "waits for the busy timeout (then gives up: the error)"
            message = "the database is busy: another coordinator is saving. Please try again in a moment"
            assert str(info.value) == message
            # A read-only connection (the list and check commands) still reads while the lock is held (WAL).
            reader = open_database(str(shared), create=False, writable=False)
            try:
                with reader.session() as s:
                    assert patient_service.get_patient(s, 1).school != "held"
            finally:
                reader.dispose()
            # The other coordinator finishes (here: its process ends); the same save, retried, goes through.
            holder.kill()
            holder.wait()
            with here.session() as s:
                add_patient(s, 50)
                assert len(patient_service.list_patients(s)) == 2
    finally:
        here.dispose()


def test_screens_read_while_another_coordinator_saves_and_cannot_write_in_a_read(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 2000)
    here = _open(shared)
    try:
        # The lock is held throughout; a read session (what the screens load with) takes no write lock, so it neither
        # waits nor fails as busy.
        with write_lock_held(shared, tmp_path), here.read_session() as s:
            assert patient_service.get_patient(s, 1).school != "held"
        with pytest.raises(DatabaseError, match="read-only"), here.read_session() as s:
            patient_service.get_patient(s, 1).school = "changed in a read"
            s.flush()
        with here.session() as s:  # the same pooled connection writes again in a unit of work
            add_patient(s, 51)
        with here.read_session() as s:
            assert patient_service.get_patient(s, 1).school != "changed in a read"
            assert len(patient_service.list_patients(s)) == 2
    finally:
        here.dispose()


def test_opening_takes_no_write_lock_so_a_save_in_progress_stops_no_one(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another coordinator holds the write lock (a save, or a long job): the app and the commands still start."""
    with write_lock_held(shared, tmp_path):  # held throughout: opening would fail as busy if it asked for it
        here = _open(shared)
        try:
            with here.read_session() as s:
                assert len(patient_service.list_patients(s)) == 1
        finally:
            here.dispose()
        assert cli.main(["list", "patients", "--db", str(shared)]) == 0
        assert cli.main(["check", "--db", str(shared)]) == 0
    out = capsys.readouterr().out
    assert "(1 patients)" in out and out.rstrip().endswith("schema-version checks")


def test_held_lock_through_the_command_line_is_one_line(
    shared: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from coordinator_tui.commands import listing

    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 300)

    def saving_command(args: object) -> int:
        db = open_database(str(shared), create=False)  # opened before the save: the app was already running
        try:
            with db.session() as s:
                add_patient(s, 60)
        finally:
            db.dispose()
        return 0

    with write_lock_held(shared, tmp_path):
        # Listing (a read-only reader) works while the lock is held.
        assert cli.main(["list", "patients", "--db", str(shared)]) == 0
        capsys.readouterr()
        monkeypatch.setattr(listing, "run", saving_command)
        before = file_digest(shared)
        assert cli.main(["list", "patients", "--db", str(shared)]) == 1
        err = capsys.readouterr().err
        assert file_digest(shared) == before
    message = "the database is busy: another coordinator is saving. Please try again in a moment"
    assert err == f"coordinator-tui: {message}\n"
    assert not list((tmp_path / "xdg-data").rglob("crash-*.txt")), "a busy database is not a crash"
