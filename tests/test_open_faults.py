"""Faults on opening leave files as they were (issue 12, part 3).

- a FIFO given as the database is refused at once (it used to hang every command and the app for ever);
- an empty (0-byte) file is refused by every command and the app, never turned into a new database;
- damaged data or index pages behind a sound header and schema: every command that reads or writes refuses
  with one line (SQLite's quick check runs before a command's first read or write), nothing is written;
- a refused restore leaves the database byte for byte as it was, whatever made it fail;
- hidden temporary copies left by a killed backup, restore or export are removed by the next run;
- a database in a read-only folder can still be listed and checked (reading works there).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from coordinator_tui import cli
from coordinator_tui.config import Settings
from coordinator_tui.db import DamagedDatabaseError, DatabaseError, check_pages, open_database
from coordinator_tui.services.safety import backup
from coordinator_tui.temp_files import remove_leftovers, temp_name
from tests.safety_helpers import (
    REPO,
    add_patient,
    busiest_clinic,
    child_env,
    file_digest,
    read_only_query,
    run_cli,
    write_demo_database,
)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_database(tmp_path_factory.mktemp("demo") / "demo.db")


def _copy_db(template: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "coordinator.db"
    src = sqlite3.connect(template)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL").fetchall()
    finally:
        dst.close()
        src.close()
    return target


def _folder_state(folder: Path) -> dict[str, str]:
    """Every file's hash, except SQLite's shared-memory index and an empty WAL (SQLite makes and removes them as
    connections come and go; they hold no data)."""
    return {
        p.name: file_digest(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def _commands(clinic: int, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "app": [],
        "check": ["check"],
        "list": ["list", "appointments"],
        "backup": ["backup", "--to", str(tmp_path / "backups")],
        "export": ["export", "--clinic", str(clinic), "--out", str(tmp_path / "exports")],
        "schedule": ["schedule", "--clinic", str(clinic), "--apply", "--time-limit", "2"],
    }


# ------------------------------------------------------------------------------------------------------------
# FIFO and empty files
# ------------------------------------------------------------------------------------------------------------


def test_a_fifo_is_refused_at_once_by_every_command_and_the_app(tmp_path: Path) -> None:
    fifo = tmp_path / "db" / "coordinator.db"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    for name, args in _commands(1, tmp_path).items():
        result = run_cli([*args, "--db", str(fifo)], tmp_path, timeout=30)  # a hang fails the test here
        assert result.returncode == 1, name
        assert "not a regular file" in _one_line(result), name
    restored = run_cli(["restore", str(fifo), "--db", str(tmp_path / "other.db")], tmp_path, timeout=30)
    assert restored.returncode == 1 and "not a regular file" in _one_line(restored)
    assert sorted(p.name for p in fifo.parent.iterdir()) == ["coordinator.db"]
    assert not (tmp_path / "exports").exists() and not (tmp_path / "backups").exists()


def test_an_empty_file_is_refused_and_stays_empty(tmp_path: Path) -> None:
    empty = tmp_path / "db" / "coordinator.db"
    empty.parent.mkdir()
    empty.touch()
    for name, args in _commands(1, tmp_path).items():
        result = run_cli([*args, "--db", str(empty)], tmp_path, timeout=60)
        assert result.returncode == 1, name
        assert "is empty (0 bytes)" in _one_line(result), name
        assert empty.stat().st_size == 0, f"{name} wrote into the empty file"
        assert sorted(p.name for p in empty.parent.iterdir()) == ["coordinator.db"], name
    assert not (tmp_path / "exports").exists()


def test_the_first_run_says_it_is_creating_a_new_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coordinator_tui.commands import app as app_command

    shown: dict[str, object] = {}

    def fake_run(settings: object, **kwargs: object) -> int:
        shown.update(kwargs)
        return 0

    monkeypatch.setattr(app_command, "_run", fake_run)
    new = tmp_path / "first" / "coordinator.db"
    assert cli.main(["--db", str(new)]) == 0
    assert new.stat().st_size > 0 and oct(new.stat().st_mode & 0o777) == "0o600"
    assert str(shown["notice"]).startswith(f"A new, empty database was created at {new} (readable by you only).")
    assert "Quit (Ctrl+Q) and check the path" in str(shown["notice"])
    shown["database"].dispose()  # type: ignore[attr-defined]
    shown.clear()
    assert cli.main(["--db", str(new)]) == 0  # the second run opens it (in the background) without a word
    assert "notice" not in shown and "open_database" in shown


def test_the_first_run_names_the_database_and_where_its_path_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped path is noticed: a line names it as the database is made, and a path the user did not type says
    where it came from: the default database, or COORDINATOR_DB."""
    from coordinator_tui.commands import app as app_command
    from coordinator_tui.config import default_database_path

    shown: dict[str, object] = {}

    def fake_run(settings: object, **kwargs: object) -> int:
        shown.update(kwargs)
        shown["database"].dispose()  # type: ignore[attr-defined]
        return 0

    monkeypatch.setattr(app_command, "_run", fake_run)
    assert cli.main([]) == 0
    default = default_database_path().resolve()
    assert f"no database at {default} (the default database): created a new, empty one" in capsys.readouterr().err
    assert f"created at {default} (the default database)" in str(shown["notice"])
    monkeypatch.setenv("COORDINATOR_DB", str(tmp_path / "from-env.db"))
    assert cli.main([]) == 0
    assert "(COORDINATOR_DB): created a new, empty one" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------------------
# Damaged pages behind a sound header
# ------------------------------------------------------------------------------------------------------------


def _damage_index(path: Path, index: str = "ix_auditevent_patient_id") -> None:
    """Overwrite one index's root page (the header and schema stay readable, so SQLite opens the file)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE").fetchall()
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        row = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()
    finally:
        conn.close()
    assert row is not None, f"no index {index}"
    data = bytearray(path.read_bytes())
    offset = (int(row[0]) - 1) * page_size
    data[offset + 8 : offset + page_size] = bytes((i * 7) % 251 for i in range(page_size - 8))
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_damaged_pages_refuse_every_command_before_it_reads_or_writes(demo_template: Path, tmp_path: Path) -> None:
    damaged = _copy_db(demo_template, tmp_path / "db")
    clinic = busiest_clinic(damaged)
    _damage_index(damaged)
    before = _folder_state(damaged.parent)
    for name, args in _commands(clinic, tmp_path).items():
        if name in ("app", "backup"):
            continue  # the app: tests/ui/test_damaged_database.py; backup: its copy fails its own check below
        result = run_cli([*args, "--db", str(damaged)], tmp_path, timeout=120)
        assert result.returncode == 1, f"{name}: {result.stdout[-300:]}"
        line = _one_line(result)
        assert "damaged" in line, f"{name}: {line}"
        assert _folder_state(damaged.parent) == before, f"{name} changed the damaged file"
    assert not (tmp_path / "exports").exists()
    made = run_cli(["backup", "--to", str(tmp_path / "backups"), "--db", str(damaged)], tmp_path)
    assert made.returncode == 1 and "damaged" in _one_line(made)
    assert not list((tmp_path / "backups").glob("*.db")), "no backup of a damaged database replaces a good one"


def test_a_database_that_fails_its_quick_check_refuses_every_save(demo_template: Path, tmp_path: Path) -> None:
    damaged = _copy_db(demo_template, tmp_path / "db")
    _damage_index(damaged)
    db = open_database(str(damaged), create=False)  # opening checks the header and schema version only
    try:
        assert db.damaged is None
        problem = check_pages(db)
        assert problem is not None and "damaged" in problem and "\n" not in problem
        before = file_digest(damaged)
        with pytest.raises(DamagedDatabaseError, match="quick check"), db.session() as s:
            add_patient(s, 77)
        assert file_digest(damaged) == before
    finally:
        db.dispose()
    sound = _copy_db(demo_template, tmp_path / "sound")
    db = open_database(str(sound), create=False)
    try:
        assert check_pages(db) is None and db.damaged is None
    finally:
        db.dispose()


# ------------------------------------------------------------------------------------------------------------
# Restore: refused means unchanged
# ------------------------------------------------------------------------------------------------------------


def _journal_mode(path: Path) -> str:
    [(mode,)] = read_only_query(path, "PRAGMA journal_mode")
    return str(mode)


def test_a_refused_restore_changes_nothing_byte_for_byte(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _copy_db(demo_template, tmp_path / "live")
    good = backup.make_backup(database, tmp_path / "copies")
    before = _folder_state(database.parent)
    assert _journal_mode(database) == "wal"

    # 1. The backup folder cannot be made (a file is in the way).
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(backup.BackupError, match="cannot be created"):
        backup.restore_backup(good, database, Settings(backup_dir=str(blocker / "backups")))
    assert _folder_state(database.parent) == before

    # 2. The copy of the current database cannot be written (the disk is full), after the database was taken.
    def disk_full(*args: object, **kwargs: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_save_current", disk_full)
    with pytest.raises(backup.BackupError, match="No space left on device"):
        backup.restore_backup(good, database, Settings(backup_dir=str(tmp_path / "backups")))
    monkeypatch.undo()
    assert _folder_state(database.parent) == before
    assert _journal_mode(database) == "wal"
    assert not [p for p in (tmp_path / "backups").iterdir() if p.name.startswith(".")], "no half copy is left"

    # 3. Another program has it open (a reader is enough).
    reader = sqlite3.connect(database)
    reader.execute("SELECT count(*) FROM patient").fetchall()
    try:
        with pytest.raises(backup.DatabaseInUseError):
            backup.restore_backup(good, database, Settings(backup_dir=str(tmp_path / "backups")))
    finally:
        reader.close()
    assert _folder_state(database.parent) == before

    # And when nothing stops it, the restore goes through and the database stays in WAL mode.
    result = backup.restore_backup(good, database, Settings(backup_dir=str(tmp_path / "backups")))
    assert result.previous_saved_as is not None and result.previous_saved_as.exists()
    assert _journal_mode(database) == "wal"
    assert cli.main(["check", "--db", str(database)]) == 0


# ------------------------------------------------------------------------------------------------------------
# Leftovers of a killed run
# ------------------------------------------------------------------------------------------------------------


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_leftover_copies_of_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    dead = _dead_pid()
    leftovers = [
        folder / f".coordinator-2026-11-25.db.{dead}.0a1b2c3d.part",
        folder / f".coordinator.{dead}.deadbeef.tmp",
        folder / f".coordinator.{dead}.deadbeef.tmp-journal",
        folder / f".coordinator-restore.{dead}.01234567.tmp",
        folder / f".2026-12-14_clinic_1_patient_2.ics.{dead}.89abcdef.part",
    ]
    ours = folder / temp_name("coordinator")  # this process is running: its files are left alone
    other = folder / ".hidden-notes.tmp"  # not ours: never touched
    user = folder / "coordinator.db"
    for path in [*leftovers, ours, other, user]:
        path.write_bytes(b"x" * 100)
    assert sorted(remove_leftovers(folder)) == sorted(leftovers)
    assert sorted(p.name for p in folder.iterdir()) == sorted([ours.name, other.name, user.name])


def test_backup_and_export_remove_what_a_killed_run_left(demo_template: Path, tmp_path: Path) -> None:
    database = _copy_db(demo_template, tmp_path / "live")
    clinic = busiest_clinic(database)
    dead = _dead_pid()
    backups, exports = tmp_path / "backups", tmp_path / "exports"
    backups.mkdir()
    exports.mkdir()
    left_backup = backups / f".coordinator.{dead}.0a1b2c3d.tmp"
    left_export = exports / f".2026-12-14_clinic_{clinic}_patient_1.ics.{dead}.0a1b2c3d.part"
    left_backup.write_bytes(b"copy of patient data" * 1000)
    left_export.write_bytes(b"BEGIN:VCALENDAR")
    assert run_cli(["backup", "--to", str(backups), "--db", str(database)], tmp_path).returncode == 0
    exported = run_cli(["export", "--clinic", str(clinic), "--out", str(exports), "--db", str(database)], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert not left_backup.exists() and not left_export.exists()
    assert not [p for p in [*backups.iterdir(), *exports.iterdir()] if p.name.startswith(".")]


# ------------------------------------------------------------------------------------------------------------
# A read-only folder
# ------------------------------------------------------------------------------------------------------------


def _read_only_mount_works() -> bool:
    if os.name != "posix" or shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind / /mnt 2>/dev/null || exit 3; exit 0"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def _in_read_only_folder(folder: Path, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the command in a private mount namespace where ``folder`` is bound read-only (even root cannot write)."""
    command = " ".join(["exec", sys.executable, "-m", "coordinator_tui", *(f"'{a}'" for a in args)])
    script = f"mount --bind '{folder}' '{folder}' && mount -o remount,ro,bind '{folder}' && cd '{REPO}' && {command}"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=child_env(tmp_path), timeout=120
    )


@pytest.mark.skipif(not _read_only_mount_works(), reason="needs root and mount namespaces for a read-only folder")
def test_a_database_in_a_read_only_folder_can_still_be_read(demo_template: Path, tmp_path: Path) -> None:
    database = _copy_db(demo_template, tmp_path / "readonly")
    for sidecar in ("-wal", "-shm"):  # closed cleanly: every commit is in the file itself
        Path(f"{database}{sidecar}").unlink(missing_ok=True)
    before = _folder_state(database.parent)
    listed = _in_read_only_folder(database.parent, ["list", "patients", "--db", str(database)], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "(40 patients)" in listed.stdout and "read-only" not in listed.stderr
    checked = _in_read_only_folder(database.parent, ["check", "--db", str(database)], tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok:")
    # Saving there says what is true, in one line.
    exported = _in_read_only_folder(
        database.parent, ["export", "--clinic", "1", "--out", str(tmp_path / "out"), "--db", str(database)], tmp_path
    )
    assert exported.returncode == 1 and "read-only" in _one_line(exported)
    assert _folder_state(database.parent) == before


@pytest.mark.parametrize("leftover", ["-wal", "-journal"])
def test_no_new_database_where_a_removed_one_left_its_saves(
    tmp_path: Path, leftover: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database removed without its write-ahead log (or journal): SQLite would replay the old saves into a new
    database made there, so the "new, empty" database would show another's records. It is refused instead."""
    path = tmp_path / "coordinator.db"
    sidecar = tmp_path / f"coordinator.db{leftover}"
    sidecar.write_bytes(b"saves of a database that is gone")
    with pytest.raises(DatabaseError, match=f"coordinator.db{leftover} is there"):
        open_database(str(path))
    assert cli.main(["--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert "move the leftover file away" in err
    assert not path.exists() and sidecar.read_bytes() == b"saves of a database that is gone"
