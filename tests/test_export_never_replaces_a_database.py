"""No export (an itinerary, a list, a FHIR file, an email draft) ever replaces a database: every one is written by
``export.atomic.write_atomic``, which refuses a destination that is an SQLite database or the ``-wal``, ``-shm`` or
``-journal`` file beside one, before anything is written. A list saved under the database's own name would otherwise
rename a spreadsheet over the live database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coordinator_tui.cli import main
from coordinator_tui.db import open_database
from coordinator_tui.export.atomic import ExportError, write_atomic
from coordinator_tui.services.people import patients
from tests.export_data import fictional_nhs_number
from tests.safety_helpers import read_only_query


def _database(path: Path) -> Path:
    database = open_database(str(path))
    try:
        with database.session() as session:
            patients.create_patient(
                session,
                {
                    "nhs_number": fictional_nhs_number(),
                    "hospital_number": "EXH1",
                    "given_name": "Pip",
                    "family_name": "Applewhistle",
                    "date_of_birth": dt.date(2012, 5, 17),
                },
            )
    finally:
        database.dispose()
    return path


def _patients_in(path: Path) -> int:
    [(count,)] = read_only_query(path, "SELECT count(*) FROM patient")
    return int(count)


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_an_export_over_a_database_or_its_companion_files_is_refused(tmp_path: Path, suffix: str) -> None:
    db_path = _database(tmp_path / "coordinator.db")
    target = tmp_path / f"coordinator.db{suffix}"
    with pytest.raises(ExportError, match="that file is a database"):
        write_atomic(target, b"id,name\r\n", what="the list")
    # Nothing written there (SQLite itself may have made its own -wal and -shm files while being asked).
    assert not target.exists() or target.read_bytes() != b"id,name\r\n"
    assert _patients_in(db_path) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_an_ordinary_file_is_still_replaced(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    target.write_bytes(b"old")
    write_atomic(target, b"new", what="the list")
    assert target.read_bytes() == b"new"


def test_list_out_the_database_itself_is_one_line_and_leaves_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_path = _database(tmp_path / "coordinator.db")
    code = main(["list", "patients", "--format", "csv", "--out", str(db_path), "--db", str(db_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "that file is a database" in err
    assert _patients_in(db_path) == 1
    assert main(["check", "--db", str(db_path)]) == 0
