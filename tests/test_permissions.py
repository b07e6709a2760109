"""Owner-only files: the database, its WAL and shared-memory files, backups, and the folders the app creates.

Modes are checked under a permissive umask (0o022), so the app's own choices are tested, not the test runner's.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from coordinator_tui import config
from coordinator_tui.cli import main
from coordinator_tui.db import backup_sqlite_file, open_database
from coordinator_tui.services.people import patients


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def write_something(path: Path) -> None:
    database = open_database(str(path))
    try:
        with database.session() as s:
            patients.create_patient(
                s,
                {
                    "nhs_number": "9434765919",
                    "hospital_number": "EXH1",
                    "given_name": "Pip",
                    "family_name": "Applewhistle",
                    "date_of_birth": dt.date(2012, 5, 17),
                },
            )
        # While the database is open, its -wal and -shm files exist: check them now.
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert side.exists(), suffix
            assert mode(side) & 0o077 == 0, f"{side.name} is readable by others: {oct(mode(side))}"
    finally:
        database.dispose()


def test_new_database_file_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "coordinator.db"
    write_something(path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_default_location_is_private(tmp_path: Path) -> None:
    # conftest points XDG_DATA_HOME at tmp_path / "xdg-data".
    target = config.database_target()
    assert target == str(tmp_path / "xdg-data" / "coordinator-tui" / "coordinator.db")
    write_something(Path(target))
    assert mode(Path(target)) == 0o600
    assert mode(Path(target).parent) == 0o700


def test_existing_folder_mode_is_left_alone(tmp_path: Path) -> None:
    """--db ~/clinic.db must not chmod the user's home folder (nor /tmp) to 0700."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    write_something(shared / "clinic.db")
    assert mode(shared) == 0o755
    assert mode(shared / "clinic.db") == 0o600


def test_backup_is_0600(tmp_path: Path) -> None:
    source = tmp_path / "db" / "coordinator.db"
    write_something(source)
    backup = backup_sqlite_file(source, tmp_path / "backups" / "coordinator.db.bak")
    assert mode(backup) == 0o600
    assert mode(backup.parent) == 0o700
    assert not list(backup.parent.glob("*.part"))


def test_demo_command_writes_owner_only_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo" / "demo.db"
    assert main(["demo", "--db", str(path), "--patients", "2"]) == 0
    capsys.readouterr()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    for side in path.parent.iterdir():
        assert mode(side) & 0o077 == 0, side.name


def test_umask_is_owner_only_after_the_cli_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["list", "patients", "--db", str(tmp_path / "missing.db")])
    capsys.readouterr()
    current = os.umask(0o022)
    assert current == 0o077
