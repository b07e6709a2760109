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


def test_schedule_apply_refuses_an_appointment_changed_during_the_solve(
    clinic_db: tuple[str, int], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague moves an appointment while the solver runs (no transaction is open then, so the move is saved):
    the apply refuses as a whole, in one line, and writes nothing."""
    import datetime as dt

    from sqlmodel import col

    from coordinator_tui.db import open_database
    from coordinator_tui.services import clinic_planning
    from coordinator_tui.services.records import update_record

    path, clinic_id = clinic_db
    assert main(["schedule", "--clinic", str(clinic_id), "--time-limit", "1.5", "--apply", "--db", path]) == 0
    capsys.readouterr()
    solve = clinic_planning.solve_instance

    def solve_while_a_colleague_moves_one(*args: object, **kwargs: object) -> object:
        result = solve(*args, **kwargs)  # type: ignore[arg-type]
        colleague = open_database(path, create=False)
        try:
            with colleague.session() as session:  # 3 minutes: off the solver's 5-minute grid, so the plan moves it
                first = session.exec(select(Appointment).order_by(col(Appointment.id))).first()
                assert first is not None
                shift = dt.timedelta(minutes=3)
                update_record(session, Appointment, first.id, {"start": first.start + shift, "end": first.end + shift})
        finally:
            colleague.dispose()
        return result

    monkeypatch.setattr(clinic_planning, "solve_instance", solve_while_a_colleague_moves_one)
    before = _rows(path)
    assert main(["schedule", "--clinic", str(clinic_id), "--time-limit", "1.5", "--apply", "--db", path]) == 1
    captured = capsys.readouterr()
    assert "Applied:" not in captured.out
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("coordinator-tui: nothing applied: the timetable changed while this one was being")
    after = _rows(path)
    assert len(after) == len(before) and sum(1 for a, b in zip(before, after, strict=True) if a != b) == 1


def _rows(path: str) -> list[tuple[int | None, str, str, int]]:
    from sqlmodel import col

    from coordinator_tui.db import open_database

    database = open_database(path, create=False)
    try:
        with database.read_session() as session:
            rows = session.exec(select(Appointment).order_by(col(Appointment.id))).all()
            return [(a.id, a.start.isoformat(), a.status.value, a.version) for a in rows]
    finally:
        database.dispose()
