"""One line for every bad argument and setting, and nothing created (issue 14).

``--clinic 99999999999999999999`` overflowed SQLite's integer and ended in a crash report; ``backup --to FILE`` and
a ``backup_dir`` that is a file ended in NotADirectoryError; an unknown ``--clinic`` still created the ``--out``
folder. Each is now a usage error (exit 2) or a one-line data error (exit 1), and leaves the disk as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import Session

from coordinator_tui.cli import MAX_RECORD_ID
from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.services.safety import backup as backup_service
from coordinator_tui.services.safety.backup import BackupError
from tests.cli_helpers import cli, one_line
from tests.export_data import Seed, seed_clinic
from tests.safety_helpers import run_cli

HUGE = "99999999999999999999"


@pytest.fixture
def seeded(db: Database, session: Session) -> Seed:
    seed = seed_clinic(session)
    session.commit()
    return seed


def everything_in(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, but of the user data folder (where every run logs) crash reports only."""
    data = folder / "xdg-data"
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.startswith("crash") or data not in (p, *p.parents)
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def usage_error(err: str) -> str:
    """The error line of an argparse usage error: the last line, after the usage."""
    assert "Traceback" not in err and "crash report" not in err, err
    lines = err.splitlines()
    assert lines[0].startswith("usage: coordinator-tui"), err
    assert lines[-1].startswith("coordinator-tui ") and ": error: " in lines[-1], err
    return lines[-1]


# ------------------------------------------------------------------------------------------------------------
# Ids beyond any record
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--clinic", "--patient"])
@pytest.mark.parametrize("value", [HUGE, str(MAX_RECORD_ID + 1), "0", "-1", "1e3", "12abc", "٣"])
def test_an_id_that_no_record_can_have_is_a_usage_error(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    args = {"--clinic": str(seeded.clinic_id), "--out": str(tmp_path / "out"), option: value}
    before = everything_in(tmp_path)
    code, out, err = cli(capsys, "export", *[x for kv in args.items() for x in kv], "--db", str(db.path))
    assert code == 2 and out == ""
    assert usage_error(err).endswith(
        f"argument {option}: {value!r} is not a record id (a whole number from 1 to 9223372036854775807)"
    )
    assert everything_in(tmp_path) == before  # no folder, no crash report


def test_the_largest_id_is_an_unknown_record_not_a_crash(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = cli(capsys, "export", "--clinic", str(MAX_RECORD_ID), "--out", str(tmp_path / "o"),
                          "--db", str(db.path))  # fmt: skip
    assert code == 2
    assert usage_error(err).endswith(f"no clinic with id {MAX_RECORD_ID}")


def test_a_huge_id_in_a_real_process_is_one_usage_error_and_no_crash_report(seeded: Seed, db: Database,
                                                                            tmp_path: Path) -> None:  # fmt: skip
    result = run_cli(["export", "--clinic", HUGE, "--out", str(tmp_path / "out"), "--db", str(db.path)], tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert usage_error(result.stderr).endswith("is not a record id (a whole number from 1 to 9223372036854775807)")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.rglob("crash-*"))


def test_schedule_with_a_huge_clinic_id_is_one_line_not_a_crash(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "schedule", "--clinic", HUGE, "--db", str(db.path))
    assert code in (1, 2) and out == ""
    assert f"with id {HUGE}" in err.splitlines()[-1] or "is not a record id" in err, err
    assert "crash report" not in err and not list(tmp_path.rglob("crash-*"))


# ------------------------------------------------------------------------------------------------------------
# Unknown records create nothing
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "message"),
    [("clinic", "no clinic with id 987654"), ("patient", "no patient with id 987654"), ("declined", "has declined")],
)
def test_an_unknown_clinic_or_patient_creates_no_folder(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str, message: str
) -> None:
    out = tmp_path / "new" / "exports"
    clinic = "987654" if which == "clinic" else str(seeded.clinic_id)
    patient = {
        "clinic": [],
        "patient": ["--patient", "987654"],
        "declined": ["--patient", str(seeded.declined_patient_id)],
    }
    before = everything_in(tmp_path)
    code, _out, err = cli(
        capsys, "export", "--clinic", clinic, *patient[which], "--out", str(out), "--db", str(db.path)
    )
    assert code == 2
    assert message in usage_error(err)
    assert everything_in(tmp_path) == before
    assert not (tmp_path / "new").exists()


def test_a_clinic_nobody_attends_creates_no_folder(
    db: Database, session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from coordinator_tui.services.clinics import clinics

    seed_clinic(session)
    empty = clinics.create_clinic_event(
        session, clinics.parse_clinic_form({"name": "Empty clinic", "start_date": "05/04/2027", "days": "2"})
    )
    session.commit()
    out = tmp_path / "out"
    code, printed, err = cli(capsys, "export", "--clinic", str(empty.id), "--out", str(out), "--db", str(db.path))
    assert code == 0 and printed == ""
    assert one_line(err) == f"coordinator-tui: no family has confirmed clinic {empty.id}; nothing written"
    assert not out.exists()


# ------------------------------------------------------------------------------------------------------------
# A file where a backup folder should be
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "not-a-folder"
    path.write_text("someone's notes\n")
    return path


def test_backup_to_a_file_is_a_usage_error_and_creates_nothing(
    db: Database, seeded: Seed, tmp_path: Path, a_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, content = everything_in(tmp_path), digest(a_file)
    code, out, err = cli(capsys, "backup", "--to", str(a_file), "--db", str(db.path))
    assert code == 2 and out == ""
    assert one_line(err) == f"coordinator-tui: --to {a_file} is a file, not a folder"
    assert everything_in(tmp_path) == before and digest(a_file) == content


def test_backup_into_a_folder_below_a_file_is_one_line(
    db: Database, seeded: Seed, tmp_path: Path, a_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = everything_in(tmp_path)
    code, _out, err = cli(capsys, "backup", "--to", str(a_file / "backups"), "--db", str(db.path))
    assert code == 1
    assert one_line(err) == (
        f"coordinator-tui: the backup folder {a_file / 'backups'} cannot be created (a file is in its path)"
    )
    assert everything_in(tmp_path) == before


def test_a_backup_dir_setting_that_is_a_file_is_one_line_for_backup_restore_and_the_daily_backup(
    db: Database,
    seeded: Seed,
    tmp_path: Path,
    a_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(f'backup_dir = "{a_file}"\n')
    monkeypatch.setenv("COORDINATOR_SETTINGS", str(settings_file))
    assert db.path is not None
    db.dispose()
    before, database, content = everything_in(tmp_path), digest(db.path), digest(a_file)

    code, out, err = cli(capsys, "backup", "--db", str(db.path))
    assert code == 1 and out == ""
    assert one_line(err) == f"coordinator-tui: backup_dir in {settings_file} is {a_file}, a file, not a folder"

    backup_service.make_backup(db.path, tmp_path / "elsewhere")  # a good backup to restore
    made = everything_in(tmp_path)
    code, out, err = cli(capsys, "restore", str(next((tmp_path / "elsewhere").glob("*.db"))), "--db", str(db.path))
    assert code == 1
    assert one_line(err) == f"coordinator-tui: the backup folder {a_file} is a file, not a folder"
    assert everything_in(tmp_path) == made and digest(db.path) == database

    # The app's first start of the day: the daily backup fails with the same line (the app shows it as a warning).
    with pytest.raises(BackupError, match=f"the backup folder {a_file} is a file, not a folder"):
        backup_service.daily_backup_if_due(db, Settings(backup_dir=str(a_file)))
    assert digest(a_file) == content
    assert set(everything_in(tmp_path)) - set(before) == set(made) - set(before)  # only the backup made above
