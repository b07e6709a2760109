"""``coordinator-tui schedule``: summary, review without writing, --apply, --repair, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.models import Appointment
from coordinator_tui.services.clinics.scheduling import NO_BOUND_TEXT
from tests.postgres_server import both_databases, target_of
from tests.scheduling_fixtures import make_clinic


@pytest.fixture
def clinic_db(db: Database) -> tuple[str, int]:
    with db.session() as session:
        rows = make_clinic(session, n_patients=2)
        clinic_id = rows.clinic.id
    assert clinic_id is not None
    return target_of(db), clinic_id


def _count(path: str) -> int:
    from coordinator_tui.db import open_database

    database = open_database(path)
    try:
        with database.session() as session:
            return len(session.exec(select(Appointment)).all())
    finally:
        database.dispose()


@both_databases
def test_schedule_prints_summary_and_writes_nothing(
    clinic_db: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, clinic_id = clinic_db
    assert main(["schedule", "--clinic", str(clinic_id), "--time-limit", "1.5", "--db", path]) == 0
    out = capsys.readouterr().out
    assert "Scheduled: " in out and "unscheduled: 0" in out
    assert "Total waiting:" in out
    assert "Solver: optimal" in out or "Solver: feasible" in out
    assert "gap" in out or NO_BOUND_TEXT in out
    assert "Timetable from: " in out
    assert "not written" in out
    assert _count(path) == 0


def test_schedule_says_there_is_no_bound_instead_of_a_gap(
    clinic_db: tuple[str, int], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A solve that proved no bound (0) prints that the solver could not prove how good the timetable is, not
    "gap 100.0%, bound 0"."""
    from coordinator_tui.services.clinics import scheduling as sch

    real = sch.solve

    def no_bound(*args: object, **kwargs: object) -> sch.ScheduleResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        result.status, result.bound, result.gap = "feasible", 0.0, sch._gap("feasible", result.objective or 0, 0.0)
        return result

    monkeypatch.setattr(sch, "solve", no_bound)
    path, clinic_id = clinic_db
    assert main(["schedule", "--clinic", str(clinic_id), "--time-limit", "1", "--db", path]) == 0
    out = capsys.readouterr().out
    assert NO_BOUND_TEXT in out
    assert "gap" not in out and "bound 0" not in out


@both_databases
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


@both_databases
def test_schedule_unknown_clinic_is_one_line_error(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--clinic", "999", "--db", target_of(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("coordinator-tui: ") and len(err.strip().splitlines()) == 1


def test_schedule_needs_a_clinic(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["schedule", "--db", str(tmp_path / "x.db")])
    assert exc.value.code == 2


@both_databases
def test_schedule_apply_refuses_an_appointment_changed_during_the_solve(
    clinic_db: tuple[str, int], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague moves an appointment while the solver runs (no transaction is open then, so the move is saved):
    the apply refuses as a whole, in one line, and writes nothing."""
    import datetime as dt

    from sqlmodel import col

    from coordinator_tui.db import open_database
    from coordinator_tui.services.clinics import clinic_planning
    from coordinator_tui.services.safety.records import update_record

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


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content, leaving out the app's own log (under xdg-data)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and "xdg-data" not in p.relative_to(folder).parts
    }


@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "-1", "0", "3601", "1e9"])
def test_schedule_refuses_an_unusable_time_limit_in_one_line(
    clinic_db: tuple[str, int], capsys: pytest.CaptureFixture[str], seconds: str
) -> None:
    """A usage error before the database is opened: exit 2, one line naming the option and the value, nothing
    written (the database file and its folder are as they were)."""
    path, clinic_id = clinic_db
    folder = Path(path).parent
    before = _files(folder)
    code = main(["schedule", "--clinic", str(clinic_id), f"--time-limit={seconds}", "--apply", "--db", path])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.endswith("\n")
    assert captured.err == (
        f"coordinator-tui: --time-limit must be a number of seconds above 0 and at most 3600, not {float(seconds):g}\n"
    )
    assert _files(folder) == before


@pytest.mark.parametrize("seconds", ["0.5", "3600", "1e-3"])
def test_schedule_accepts_a_time_limit_up_to_an_hour(
    db: Database, capsys: pytest.CaptureFixture[str], seconds: str
) -> None:
    """Accepted limits get as far as the clinic: an unknown clinic is the error, not the limit."""
    assert db.path is not None
    assert main(["schedule", "--clinic", "999", "--time-limit", seconds, "--db", str(db.path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("coordinator-tui: ") and "999" in captured.err
    assert "time-limit" not in captured.err and "time limit" not in captured.err
