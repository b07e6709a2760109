"""Errors name no patient: every export and backup error names files by clinic and record id (issue 14).

An itinerary's file was named after the family (``2027-03-29_clinic_<surname>_<given>.ics``; now by date and
patient id), so an error quoting the file name ("cannot write 2026-12-14_clinic_bramblecombe_gus.ics …: is a
directory") named the patient on the screen, in a terminal's scroll-back and in whatever the message is pasted
into. A unique name is planted; each error path is driven through the services and the command line (in-process
and as a real process); the name (as typed, and folded) must appear in no message, log, crash report or output.
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.export import ExportError, atomic, export_itineraries
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.safety import backup as backup_service
from coordinator_tui.text_fold import fold
from tests.export_data import seed_clinic
from tests.safety_helpers import run_cli


@dataclass
class Planted:
    db: Database
    clinic_id: int
    patient_id: int
    declined_id: int
    names: tuple[str, ...]  # the name as typed, and folded
    stem: str  # the file name an export writes for the planted family, without extension

    def assert_nowhere(self, *texts: str, where: str) -> None:
        for text in texts:
            for name in self.names:
                assert name.lower() not in text.lower(), f"{name!r} appears in {where}: {text!r}"


@pytest.fixture
def planted(db: Database, session: Session) -> Planted:
    token = secrets.token_hex(3)
    given, family = f"Quorra{token}", f"Vantablack-Ødeby{token}"
    seed = seed_clinic(session, patient_given=given, patient_family=family)
    session.commit()
    stem = f"2027-03-29_family-p{seed.patient_id}"  # the file names the family by its patient id only
    return Planted(db, seed.clinic_id, seed.patient_id, seed.declined_patient_id, (given, family, fold(family)), stem)


def _logs(root: Path) -> str:
    """Every log file and crash report under the user data directory."""
    return "\n".join(p.read_text(errors="replace") for p in sorted(root.rglob("*")) if p.is_file())


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


# ------------------------------------------------------------------------------------------------------------
# Export: each way a write fails
# ------------------------------------------------------------------------------------------------------------


def _is_a_directory(out: Path, planted: Planted, monkeypatch: pytest.MonkeyPatch) -> None:
    (out / f"{planted.stem}.ics").mkdir(parents=True)  # a folder where the family's .ics goes


def _disk_full(out: Path, planted: Planted, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)


def _permission_denied(out: Path, planted: Planted, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(directory: Path, name: str) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied", str(directory / name))

    monkeypatch.setattr(atomic, "create_temp_file", denied)


def _read_only(out: Path, planted: Planted, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(source: str, target: str) -> None:
        raise OSError(errno.EROFS, "Read-only file system", target)

    monkeypatch.setattr(os, "replace", refused)


def _other_error(out: Path, planted: Planted, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error whose own text names the file (as the operating system's messages do)."""

    def failing(source: str, target: str) -> None:
        raise OSError(errno.EIO, f"Input/output error: {target}", target)

    monkeypatch.setattr(os, "replace", failing)


WRITE_FAULTS: dict[str, Callable[[Path, Planted, pytest.MonkeyPatch], None]] = {
    "is a directory": _is_a_directory,
    "disk full": _disk_full,
    "permission denied": _permission_denied,
    "read-only file system": _read_only,
    "input/output error": _other_error,
}


@pytest.mark.parametrize("fault", WRITE_FAULTS)
@pytest.mark.parametrize("whole_clinic", [False, True], ids=["one family", "whole clinic"])
def test_export_write_errors_name_the_clinic_and_patient_ids_not_the_patient(
    planted: Planted,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fault: str,
    whole_clinic: bool,
) -> None:
    out = tmp_path / "out"
    WRITE_FAULTS[fault](out, planted, monkeypatch)
    patient = None if whole_clinic else planted.patient_id
    with pytest.raises(ExportError) as info:
        export_itineraries(planted.db, planted.clinic_id, patient, out)
    message = str(info.value)
    assert "\n" not in message
    assert f"clinic {planted.clinic_id}" in message and "patient " in message, message
    if fault == "is a directory" or not whole_clinic:  # the planted family's file failed
        assert f"of patient {planted.patient_id} at clinic {planted.clinic_id} in {out}: " in message, message
    planted.assert_nowhere(message, where="the service's error")

    argv = ["export", "--clinic", str(planted.clinic_id), "--out", str(out), "--db", str(planted.db.path)]
    if patient is not None:
        argv += ["--patient", str(patient)]
    code, printed = _cli(capsys, *argv)
    assert code == 1
    assert printed.count("\n") == 1 and printed.startswith("coordinator-tui: cannot write the ."), printed
    planted.assert_nowhere(printed, _logs(tmp_path / "xdg-data"), where="the command's output or the log")


def test_export_errors_about_the_folder_or_the_family_name_no_patient(
    planted: Planted, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cases: list[tuple[list[str], int]] = [
        (["--clinic", str(planted.clinic_id), "--out", str(blocker)], 1),  # not a folder
        (["--clinic", str(planted.clinic_id), "--out", str(blocker / "sub")], 1),  # cannot be created
        (["--clinic", str(planted.clinic_id), "--patient", str(planted.declined_id), "--out", str(tmp_path / "o")], 2),
        (["--clinic", str(planted.clinic_id), "--patient", "987654", "--out", str(tmp_path / "o")], 2),
        (["--clinic", "987654", "--out", str(tmp_path / "o")], 2),
        (["--clinic", "99999999999999999999", "--out", str(tmp_path / "o")], 2),
    ]
    for args, expected in cases:
        code, printed = _cli(capsys, "export", *args, "--db", str(planted.db.path))
        assert code == expected, printed
        planted.assert_nowhere(printed, where=f"export {' '.join(args)}")
    with pytest.raises(NotFoundError) as info:
        export_itineraries(planted.db, planted.clinic_id, planted.declined_id, tmp_path / "o")
    assert str(info.value) == f"patient {planted.declined_id} has declined clinic {planted.clinic_id}"
    assert not (tmp_path / "o").exists()
    planted.assert_nowhere(_logs(tmp_path / "xdg-data"), where="the log")


def test_export_errors_in_a_real_process_name_no_patient(planted: Planted, tmp_path: Path) -> None:
    """The real command, as a coordinator runs it: a folder in the way of the family's file, then a file in the way
    of the folder. Standard error, standard output, the log and any crash report hold no name."""
    out = tmp_path / "out"
    (out / f"{planted.stem}.txt").mkdir(parents=True)
    result = run_cli(["export", "--clinic", str(planted.clinic_id), "--out", str(out), "--db", str(planted.db.path)],
                     tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        f"coordinator-tui: cannot write the .txt itinerary of patient {planted.patient_id} at clinic "
        f"{planted.clinic_id} in {out}: is a directory\n"
    )
    planted.assert_nowhere(result.stdout, result.stderr, _logs(tmp_path / "xdg-data"), where="the real process")


# ------------------------------------------------------------------------------------------------------------
# Backup and restore
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def backup_faults(planted: Planted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Planted]:
    monkeypatch.setenv("COORDINATOR_SETTINGS", str(tmp_path / "settings.toml"))
    yield planted


def test_backup_and_restore_errors_name_no_patient(
    backup_faults: Planted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = backup_faults
    db_arg = ["--db", str(planted.db.path)]
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    outputs: list[str] = []

    def run(*argv: str) -> int:
        code, printed = _cli(capsys, *argv)
        assert code in (1, 2) and printed.count("\n") == 1, printed
        outputs.append(printed)
        return code

    assert run("backup", "--to", str(blocker), *db_arg) == 2
    assert run("backup", "--to", str(blocker / "sub"), *db_arg) == 1
    (tmp_path / "settings.toml").write_text(f'backup_dir = "{blocker}"\n')
    assert run("backup", *db_arg) == 1
    assert run("restore", str(tmp_path / "missing.db"), *db_arg) == 1
    (tmp_path / "settings.toml").unlink()

    def full(source: Path, dest: Path) -> Path:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(backup_service, "backup_sqlite_file", full)
    assert run("backup", "--to", str(tmp_path / "backups"), *db_arg) == 1
    assert "the disk is full" in outputs[-1]
    planted.assert_nowhere(*outputs, _logs(tmp_path / "xdg-data"), where="backup and restore errors")
