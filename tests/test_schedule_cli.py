"""``coordinator-tui schedule``: summary, review without writing, --apply, --repair, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.models import Appointment
from tests.scheduling_fixtures import make_clinic


@pytest.fixture
def clinic_db(db: Database) -> tuple[str, int]:
    with db.session() as session:
        rows = make_clinic(session, n_patients=2)
        clinic_id = rows.clinic.id
    assert db.path is not None and clinic_id is not None
    return str(db.path), clinic_id


def _count(path: str) -> int:
    from coordinator_tui.db import open_database

    database = open_database(path)
    try:
        with database.session() as session:
            return len(session.exec(select(Appointment)).all())
    finally:
        database.dispose()


def test_schedule_prints_summary_and_writes_nothing(
    clinic_db: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, clinic_id = clinic_db
    assert main(["schedule", "--clinic", str(clinic_id), "--time-limit", "1.5", "--db", path]) == 0
    out = capsys.readouterr().out
    assert "Scheduled: " in out and "unscheduled: 0" in out
    assert "Total waiting:" in out
    assert "Solver: optimal" in out or "Solver: feasible" in out
    assert "gap" in out
    assert "not written" in out
    assert _count(path) == 0


def test_schedule_apply_then_repair(clinic_db: tuple[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    path, clinic_id = clinic_db
    assert main(["schedule", "--clinic", str(clinic_id), "--time-limit", "1.5", "--apply", "--db", path]) == 0
    out = capsys.readouterr().out
    assert "Applied:" in out
    written = _count(path)
    assert written > 0
    assert main(["schedule", "--clinic", str(clinic_id), "--time-limit", "1.5", "--repair", "--db", path]) == 0
    out = capsys.readouterr().out
    assert "Scheduled: " in out
    assert "Changes to the existing timetable" not in out  # nothing changed, nothing moves
    assert _count(path) == written


def test_schedule_unknown_clinic_is_one_line_error(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert db.path is not None
    assert main(["schedule", "--clinic", "999", "--db", str(db.path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("coordinator-tui: ") and len(err.strip().splitlines()) == 1


def test_schedule_needs_a_clinic(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["schedule", "--db", str(tmp_path / "x.db")])
    assert exc.value.code == 2
