"""Backups (online, checked, rotated, owner-only) and restore (checked before anything is replaced)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from coordinator_tui import cli, clock
from coordinator_tui.config import Settings
from coordinator_tui.db import Database, NewerDatabaseError, integrity_report, open_database
from coordinator_tui.models import Patient
from coordinator_tui.services.safety import backup
from tests.safety_helpers import add_patient, file_digest


def _patient_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM patient").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def filled(tmp_path: Path) -> Database:
    db = open_database(str(tmp_path / "data" / "coordinator.db"))
    with db.session() as s:
        for seed in range(3):
            add_patient(s, seed)
    yield db
    db.dispose()


# ------------------------------------------------------------------------------------------------------------
# Backup
# ------------------------------------------------------------------------------------------------------------


def test_backup_while_another_coordinator_is_writing(filled: Database, tmp_path: Path) -> None:
    """A consistent copy while a write transaction is open: it holds every commit, and nothing uncommitted."""
    assert filled.path is not None
    folder = tmp_path / "backups"
    with filled.session() as s:
        add_patient(s, 100)
        s.flush()  # the app is mid-save: the fourth patient is written but not committed
        made = backup.make_backup(filled, folder)
    assert made == folder / "coordinator-2026-11-25.db"
    assert _patient_count(made) == 3
    assert backup.check_database_file(made) == "0001" or backup.check_database_file(made)
    # The copy is one self-contained file (no -wal needed) and owner-only, in an owner-only folder.
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == ["coordinator-2026-11-25.db"]
    # After the commit, a second backup the same day replaces the day's file with the newer state.
    backup.make_backup(filled, folder)
    assert _patient_count(made) == 4
    restored = open_database(str(made), create=False)
    try:
        assert integrity_report(restored) == []
    finally:
        restored.dispose()


def test_backup_of_a_damaged_database_never_replaces_a_good_backup(filled: Database, tmp_path: Path) -> None:
    assert filled.path is not None
    folder = tmp_path / "backups"
    good = backup.make_backup(filled, folder)
    good_digest = file_digest(good)
    filled.dispose()
    _damage_pages(filled.path)
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.make_backup(filled.path, folder)
    assert file_digest(good) == good_digest
    assert [p.name for p in folder.iterdir()] == [good.name], "no temporary file is left behind"


def _damage_pages(path: Path) -> None:
    """Overwrite the middle of the file (table and index pages) but keep the header: SQLite opens it."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - page, page * 3):
        data[offset + 8 : offset + 200] = bytes(range(192))
    path.write_bytes(bytes(data))


def test_rotation_keeps_seven_daily_and_four_weekly() -> None:
    start = dt.date(2026, 9, 1)
    days = [start + dt.timedelta(days=i) for i in range(60)]  # 1 Sep .. 30 Oct 2026, one backup a day
    keep = backup.backups_to_keep(days)
    daily = {dt.date(2026, 10, d) for d in range(24, 31)}
    # Newest of each of the 4 newest ISO weeks: Fri 30 Oct (week 44), Sun 25 Oct, Sun 18 Oct, Sun 11 Oct.
    weekly = {dt.date(2026, 10, 30), dt.date(2026, 10, 25), dt.date(2026, 10, 18), dt.date(2026, 10, 11)}
    assert keep == daily | weekly
    assert len(keep) == 9
    # With gaps (the app not opened every day) the 7 most recent backups are kept, not 7 calendar days.
    sparse = [dt.date(2026, 1, 5) + dt.timedelta(days=7 * i) for i in range(10)]
    assert backup.backups_to_keep(sparse) == set(sparse[-7:])


def test_prune_deletes_only_this_databases_old_dated_backups(filled: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    for i in range(20):
        backup.make_backup(filled, folder, day=dt.date(2026, 10, 1) + dt.timedelta(days=i))
    other = folder / "other-2020-01-01.db"
    other.write_bytes(b"not ours")
    pre_restore = folder / "coordinator-pre-restore-20200101T000000Z.db"
    pre_restore.write_bytes(b"kept by hand")
    names = {b.day for b in backup.list_backups(filled.path, folder)}  # type: ignore[arg-type]
    assert names == backup.backups_to_keep(dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(20))
    assert len(names) == 7 + 2  # 7 daily (14-20 Oct), plus the newest of weeks 41 and 40 (11 Oct, 4 Oct)
    assert other.exists() and pre_restore.exists()


def test_daily_backup_is_made_once_a_day(filled: Database, tmp_path: Path) -> None:
    settings = Settings(backup_dir=str(tmp_path / "daily"))
    first = backup.daily_backup_if_due(filled, settings)
    assert first == tmp_path / "daily" / "coordinator-2026-11-25.db"
    assert backup.daily_backup_if_due(filled, settings) is None
    clock.set_fixed_now(dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC))
    second = backup.daily_backup_if_due(filled, settings)
    assert second == tmp_path / "daily" / "coordinator-2026-11-26.db"


def test_opening_the_app_makes_the_daily_backup(
    filled: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coordinator_tui.commands import app as app_command

    assert filled.path is not None
    filled.dispose()
    opened: list[Database] = []

    def fake_run(settings: object, **database: Any) -> int:
        # As the app does: a database at the current schema is opened in the background, then after_open runs.
        if "open_database" in database:
            db = database["open_database"]()
            assert database["after_open"](db) is None
        else:
            db = database["database"]
        opened.append(db)
        return 0

    monkeypatch.setattr(app_command, "_run", fake_run)
    assert cli.main(["--db", str(filled.path)]) == 0
    assert opened
    assert (filled.path.parent / "backups" / "coordinator-2026-11-25.db").exists()


def test_backup_of_a_server_database_is_refused_clearly() -> None:
    with pytest.raises(backup.BackupError, match="database server"):
        backup.make_backup("postgresql://user@host/db", Path("/nonexistent"))


# ------------------------------------------------------------------------------------------------------------
# Restore
# ------------------------------------------------------------------------------------------------------------


def test_restore_replaces_the_database_and_saves_the_current_one(filled: Database, tmp_path: Path) -> None:
    assert filled.path is not None
    made = backup.make_backup(filled, tmp_path / "backups")
    with filled.session() as s:
        add_patient(s, 200)
    filled.dispose()
    assert _patient_count(filled.path) == 4
    result = backup.restore_backup(made, filled.path, Settings(backup_dir=str(tmp_path / "backups")))
    assert _patient_count(filled.path) == 3
    assert result.previous_saved_as is not None and _patient_count(result.previous_saved_as) == 4
    assert stat.S_IMODE(result.previous_saved_as.stat().st_mode) == 0o600
    assert stat.S_IMODE(filled.path.stat().st_mode) == 0o600
    assert not Path(f"{filled.path}-wal").exists()
    reopened = open_database(str(filled.path), create=False)
    try:
        assert integrity_report(reopened) == []
        with reopened.session() as s:
            assert len(s.exec(select(Patient)).all()) == 3
    finally:
        reopened.dispose()
    assert [p.name for p in filled.path.parent.iterdir() if p.name.startswith(".")] == [], "no staging file left"


def _bad_backups(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    folder = tmp_path / "bad"
    folder.mkdir()
    random_bytes = folder / "random.db"
    random_bytes.write_bytes(os.urandom(8192))
    text = folder / "notes.db"
    text.write_text("SELECT * FROM patient; -- not a database\n")
    header_only = folder / "truncated.db"
    header_only.write_bytes(good.read_bytes()[:100])
    damaged = folder / "damaged.db"
    damaged.write_bytes(good.read_bytes())
    _damage_pages(damaged)
    newer = folder / "newer.db"
    newer.write_bytes(good.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    foreign = folder / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    return {
        "random": (random_bytes, "not an SQLite file"),
        "text": (text, "not an SQLite file"),
        "truncated": (header_only, "damaged|not a database|cannot"),
        "damaged": (damaged, "damaged"),
        "newer": (newer, "newer version"),
        "foreign": (foreign, "not a Coordinator TUI database"),
        "missing": (folder / "missing.db", "does not exist"),
        "directory": (folder, "is a directory, not a database file"),
    }


def test_restore_checks_the_file_before_replacing_anything(filled: Database, tmp_path: Path) -> None:
    assert filled.path is not None
    good = backup.make_backup(filled, tmp_path / "backups")
    filled.dispose()
    before = file_digest(filled.path)
    listing_before = sorted(p.name for p in filled.path.parent.iterdir())
    for name, (path, message) in _bad_backups(tmp_path, good).items():
        with pytest.raises(backup.BackupError, match=message) as info:
            backup.restore_backup(path, filled.path)
        assert "\n" not in str(info.value), name
        assert file_digest(filled.path) == before, f"{name}: the database was changed"
        assert sorted(p.name for p in filled.path.parent.iterdir()) == listing_before, f"{name}: files left behind"
        if name == "newer":
            assert isinstance(info.value, NewerDatabaseError)
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [good.name], "no pre-restore copy made"


def test_restore_is_refused_while_the_app_has_the_database_open(filled: Database, tmp_path: Path) -> None:
    assert filled.path is not None
    good = backup.make_backup(filled, tmp_path / "backups")
    with filled.session() as s:
        add_patient(s, 300)
    # ``filled`` stays open, as the app keeps its connection while it runs.
    before = _patient_count(filled.path)
    with pytest.raises(backup.DatabaseInUseError, match="open in Coordinator TUI or another program"):
        backup.restore_backup(good, filled.path)
    assert _patient_count(filled.path) == before == 4
    with filled.session() as s:  # and the app carries on working
        add_patient(s, 301)


def test_restore_into_a_missing_database_file(filled: Database, tmp_path: Path) -> None:
    good = backup.make_backup(filled, tmp_path / "backups")
    target = tmp_path / "new-place" / "coordinator.db"
    result = backup.restore_backup(good, target)
    assert result.previous_saved_as is None
    assert _patient_count(target) == 3
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


# ------------------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------------------


def test_backup_and_restore_commands(filled: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert filled.path is not None
    filled.dispose()
    folder = tmp_path / "elsewhere"
    assert cli.main(["backup", "--db", str(filled.path), "--to", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "backed up" in out and "coordinator-2026-11-25.db" in out
    made = folder / "coordinator-2026-11-25.db"
    assert made.exists()
    assert cli.main(["restore", str(made), "--db", str(filled.path)]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "pre-restore" in out
    assert cli.main(["check", "--db", str(filled.path)]) == 0


def test_restore_command_refuses_a_bad_file_in_one_line(
    filled: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert filled.path is not None
    filled.dispose()
    before = file_digest(filled.path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(4096))
    assert cli.main(["restore", str(junk), "--db", str(filled.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an SQLite file" in err and "Traceback" not in err
    assert file_digest(filled.path) == before


def test_backup_command_on_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["backup", "--db", str(tmp_path / "nothing.db")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("coordinator-tui: no database at") and err.count("\n") == 1
    assert not (tmp_path / "nothing.db").exists()


def test_backup_help_lists_the_rotation() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert "7 most recent daily" in sub.choices["backup"].description
    assert "Refused while the app" in sub.choices["restore"].description
