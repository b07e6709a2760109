"""Start-up and write faults through the command line: one line, a non-zero exit, and the file left as it was.

Faults: a missing, unreadable, read-only, corrupt (random bytes, or damaged pages behind a valid header),
newer-version or directory database, and a full disk while saving. Each is tried on the app and on every
subcommand that reads the database.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from coordinator_tui import cli
from coordinator_tui.db import Database, DatabaseError, integrity_report, open_database
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.user_dirs import data_dir
from tests.safety_helpers import add_patient, file_digest, run_cli

COMMANDS: dict[str, list[str]] = {
    "app": [],
    "check": ["check"],
    "list": ["list", "patients"],
    "backup": ["backup"],
    "export": ["export", "--clinic", "1", "--out", "{tmp}/exports"],
}


@pytest.fixture
def good_db(tmp_path: Path) -> Path:
    path = tmp_path / "clinic" / "coordinator.db"
    db = open_database(str(path))
    with db.session() as s:
        for seed in range(3):
            add_patient(s, seed)
    db.dispose()
    return path


@pytest.fixture(autouse=True)
def _no_user_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a faulty database were opened anyway, the test fails instead of starting the Textual app."""
    from coordinator_tui.commands import app as app_command

    def refuse(db: Database, settings: object) -> int:
        raise AssertionError("the app was started on a faulty database")

    monkeypatch.setattr(app_command, "_run", refuse)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file's hash, except SQLite's shared-memory index and an empty WAL (a read-only open of a WAL-mode
    file creates them; they hold no data)."""
    return {
        p.name: file_digest(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def assert_refused(
    target: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    expected: str,
    commands: dict[str, list[str]] = COMMANDS,
) -> None:
    """Every command refuses with one line naming the problem; nothing in the folder changes."""
    folder = target.parent
    before = _snapshot(folder)
    for name, args in commands.items():
        argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
        status, out, err = _run(["--db", str(target)] if name == "app" else [*argv, "--db", str(target)], capsys)
        assert status != 0, f"{name}: should refuse"
        assert err.count("\n") == 1 and err.startswith("coordinator-tui: "), f"{name}: not one line: {err!r}"
        assert expected.lower() in err.lower(), f"{name}: {err!r}"
        assert "Traceback" not in err + out
        assert _snapshot(folder) == before, f"{name}: the folder was changed"
    assert not (tmp_path / "exports").exists()
    assert not list(data_dir().rglob("crash-*.txt")), "a fault is not a crash"


# ------------------------------------------------------------------------------------------------------------
# Start-up faults
# ------------------------------------------------------------------------------------------------------------


def test_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "clinic" / "nothing.db"
    missing.parent.mkdir()
    subcommands = {k: v for k, v in COMMANDS.items() if k != "app"}  # the app creates a new database on purpose
    assert_refused(missing, capsys, tmp_path, "no database at", subcommands)
    assert not missing.exists()


def test_missing_database_in_a_folder_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "locked-folder"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == folder else real_access(p, mode))
    assert_refused(folder / "new.db", capsys, tmp_path, "cannot create a database", {"app": []})
    assert list(folder.iterdir()) == []


def _deny(monkeypatch: pytest.MonkeyPatch, target: Path, denied_mode: int) -> None:
    """Simulate file permissions (the tests may run as root, which ignores them)."""
    real_access = os.access

    def fake_access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(str(path)) == target and mode & denied_mode:
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", fake_access)


def test_unreadable_database(
    good_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() == 0:
        _deny(monkeypatch, good_db, os.R_OK)
    else:
        good_db.chmod(0o000)
    try:
        assert_refused(good_db, capsys, tmp_path, "cannot be read")
    finally:
        good_db.chmod(0o600)


def test_read_only_database(
    good_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() == 0:
        _deny(monkeypatch, good_db, os.W_OK)
    else:
        good_db.chmod(0o400)
    try:
        assert_refused(good_db, capsys, tmp_path, "read-only", {"app": []})
        # Reading commands still work on a read-only file, and change nothing.
        before = file_digest(good_db)
        assert _run(["check", "--db", str(good_db)], capsys)[0] == 0
        assert _run(["list", "patients", "--db", str(good_db)], capsys)[0] == 0
        assert file_digest(good_db) == before
    finally:
        good_db.chmod(0o600)


def test_random_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "clinic" / "coordinator.db"
    junk.parent.mkdir()
    junk.write_bytes(os.urandom(64 * 1024))
    assert_refused(junk, capsys, tmp_path, "not an SQLite file")


def test_empty_header_with_random_pages(good_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid SQLite header followed by random bytes: SQLite itself says the file is damaged."""
    good_db.write_bytes(good_db.read_bytes()[:16] + os.urandom(64 * 1024))
    for sidecar in ("-wal", "-shm"):
        Path(f"{good_db}{sidecar}").unlink(missing_ok=True)
    assert_refused(good_db, capsys, tmp_path, "damaged")


def test_newer_version_database(good_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(good_db)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    for sidecar in ("-wal", "-shm"):
        Path(f"{good_db}{sidecar}").unlink(missing_ok=True)
    without_backup = {k: v for k, v in COMMANDS.items() if k != "backup"}
    assert_refused(good_db, capsys, tmp_path, "newer version", without_backup)
    assert not (good_db.parent / "backups").exists()


def test_directory_instead_of_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "clinic" / "coordinator.db"
    folder.mkdir(parents=True)
    assert_refused(folder, capsys, tmp_path, "directory")


def test_faults_in_a_real_process(good_db: Path, tmp_path: Path) -> None:
    """The same, as a coordinator sees it: a separate process, its own stderr, no traceback."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    conn = sqlite3.connect(good_db)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    for target, expected in ((junk, "not an SQLite file"), (good_db, "newer version")):
        before = file_digest(target)
        for args in ([], ["check"]):
            result = run_cli([*args, "--db", str(target)], tmp_path)
            assert result.returncode == 1, result.stderr
            assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
            assert file_digest(target) == before


# ------------------------------------------------------------------------------------------------------------
# A full disk while saving
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def disk_full_after_now() -> Iterator[Callable[[], None]]:
    """From the moment it is called, every new connection may not grow its database file (SQLite: 'full')."""
    installed: list[Callable[..., None]] = []

    def limit(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # max_page_count cannot go below the current size, so this pins the file at its size now.
        dbapi_conn.execute("PRAGMA max_page_count = 1")

    def arm() -> None:
        sa.event.listen(sa.engine.Engine, "connect", limit)
        installed.append(limit)

    yield arm
    for fn in installed:
        sa.event.remove(sa.engine.Engine, "connect", fn)


def _fill_until_full(db: Database) -> None:
    for seed in range(1000, 4000):
        with db.session() as s:
            add_patient(s, seed, internal_notes="x" * 3900)


def test_full_disk_while_saving_is_a_clear_error_and_keeps_what_was_saved(
    good_db: Path, disk_full_after_now: Callable[[], None]
) -> None:
    disk_full_after_now()
    db = open_database(str(good_db), create=False)
    try:
        with pytest.raises(DatabaseError) as info:
            _fill_until_full(db)
        assert str(info.value) == "the database could not be written: the disk is full or failing"
        with db.session() as s:
            saved = patient_service.list_patients(s)
            from coordinator_tui.services.safety import audit

            created = {e.entity_id for e in audit.history(s, entity="patient", limit=10_000) if e.action == "create"}
        assert len(saved) >= 3
        assert created == {str(p.id) for p in saved}, "the refused save left neither a row nor an audit event"
        assert integrity_report(db) == []
    finally:
        db.dispose()


def test_full_disk_through_the_command_line_leaves_the_file_as_it_was(
    good_db: Path,
    disk_full_after_now: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from coordinator_tui.commands import listing

    def saving_command(args: object) -> int:
        db = open_database(str(good_db), create=False)
        try:
            with db.session() as s:
                add_patient(s, 77, internal_notes="y" * 3900)
        finally:
            db.dispose()
        return 0

    monkeypatch.setattr(listing, "run", saving_command)
    before = _snapshot(good_db.parent)
    disk_full_after_now()
    status, _out, err = _run(["list", "patients", "--db", str(good_db)], capsys)
    assert status == 1
    assert err == "coordinator-tui: the database could not be written: the disk is full or failing\n"
    assert _snapshot(good_db.parent) == before
    assert not list(data_dir().rglob("crash-*.txt"))
