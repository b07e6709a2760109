"""The patient list's first page read at start-up with SQLite alone (``db_file.read_first_patients``) gives exactly
the rows of the portable query (``services.patients.patient_list``) on the same database.

The start-up path reads the first page before SQLAlchemy is loaded, so the first frame shows patients; every other
read, and any other database, goes through the portable query. If the two ever differ, this test says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session

from coordinator_tui.commands.app import _read_first_page_meanwhile
from coordinator_tui.db import Database, open_database
from coordinator_tui.db_file import is_current_database_file, read_first_patients
from coordinator_tui.models import CareTeamMember, CareTeamStatus, Patient, TransitionStatus
from coordinator_tui.services.clinics import clinics, invitations
from coordinator_tui.services.people import care_team, patients, professionals
from coordinator_tui.services.people.patient_summary import PAGE_SIZE, PatientSummary, summary_from_row
from tests.conftest import copy_database
from tests.test_patient_summaries import _clinic, _item, _nhs

TODAY = dt.date(2026, 11, 25)


def _quick(path: Path, *, limit: int, today: dt.date) -> list[PatientSummary]:
    return [summary_from_row(row, today) for row in read_first_patients(path, limit=limit, today=today)]


def _portable(db: Database, *, limit: int, today: dt.date) -> list[PatientSummary]:
    with db.read_session() as session:
        return patients.patient_list(session, "", limit=limit, today=today)


def _assert_same_rows(db: Database, days: list[dt.date], limits: list[int]) -> None:
    assert db.path is not None
    for day in days:
        for limit in limits:
            expected = _portable(db, limit=limit, today=day)
            assert expected, "a page with rows to compare"
            assert _quick(db.path, limit=limit, today=day) == expected, (day, limit)


def _patient(session: Session, n: int, family: str, given: str = "Testy", born: dt.date = dt.date(2012, 5, 1)) -> int:
    values = {"nhs_number": _nhs(n), "hospital_number": f"FP{n}", "given_name": given, "family_name": family}
    made = patients.create_patient(session, {**values, "date_of_birth": born})
    assert made.id is not None
    return made.id


def test_the_first_page_read_with_sqlite_alone_is_the_portable_querys(db: Database) -> None:
    """Every column and rule of the list: name order with ties broken by id, archived patients left out, the next
    clinic not cancelled (ties on the date by id), the active named worker with or without a title, open items
    that already show, and ages on a birthday."""
    with db.session() as session:
        ada = _patient(session, 1, "Summerby", born=dt.date(2010, 11, 25))  # 16 on TODAY
        twins = [_patient(session, n, "Ødegård", "Åse") for n in (3, 2)]  # same name: id order
        bo = _patient(session, 4, "abbot")  # lower case sorts after upper case, as SQLite compares text
        archived = _patient(session, 5, "Aardvark")
        patients.archive_patient(session, archived)
        cy = _patient(session, 6, "Cobb", born=dt.date(2012, 2, 29))
        past = _clinic(session, "Past", dt.date(2026, 9, 7))
        today_clinic = _clinic(session, "Today's", TODAY)
        cancelled = _clinic(session, "Cancelled", dt.date(2026, 12, 7))
        # The same day (at two venues): id order.
        january = [_clinic(session, f"January {n}", dt.date(2027, 1, 11), f"Test Hall {n}") for n in (1, 2)]
        for clinic_id in (past, today_clinic, cancelled, *january):
            invitations.invite(session, clinic_id, ada)
        for clinic_id in (cancelled, *january):
            invitations.invite(session, clinic_id, bo)
        clinics.cancel_clinic_event(session, cancelled)
        doctor = professionals.create_professional(
            session, {"title": "Dr", "given_name": "Nora", "family_name": "Nurseworthy", "discipline": "renal"}
        )
        nurse = professionals.create_professional(
            session, {"given_name": "Nell", "family_name": "Oakapple", "discipline": "specialist nursing"}
        )
        assert doctor.id is not None and nurse.id is not None
        care_team.add_member(session, ada, doctor.id, {"is_named_worker": True})
        care_team.add_member(session, bo, nurse.id, {"is_named_worker": True})
        care_team.add_member(session, cy, nurse.id, {})  # in the team, not named
        # A named worker whose membership ended (written by another program): not the patient's named worker.
        session.add(
            CareTeamMember(
                patient_id=twins[0],
                professional_id=doctor.id,
                is_named_worker=True,
                status=CareTeamStatus.ENDED,
                start_date=dt.date(2020, 1, 1),
                end_date=dt.date(2025, 1, 1),
            )
        )
        session.commit()
        _item(session, ada, "todo-showing", TransitionStatus.TODO, TODAY - dt.timedelta(days=10))
        _item(session, ada, "in-progress", TransitionStatus.IN_PROGRESS, TODAY)
        _item(session, ada, "done", TransitionStatus.DONE, TODAY - dt.timedelta(days=100))
        _item(session, ada, "not-yet", TransitionStatus.TODO, TODAY + dt.timedelta(days=1))
        _item(session, bo, "cancelled-item", TransitionStatus.NOT_APPLICABLE, TODAY - dt.timedelta(days=1))

    days = [TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=1), dt.date(2027, 1, 12)]
    _assert_same_rows(db, days, limits=[1, 2, 3, PAGE_SIZE])
    with db.read_session() as session:
        assert session.get(Patient, archived) is not None
    assert db.path is not None
    listed = _quick(db.path, limit=PAGE_SIZE, today=TODAY)
    assert archived not in {row.patient_id for row in listed}
    assert [row.patient_id for row in listed if row.family_name == "Ødegård"] == sorted(twins)
    by_id = {row.patient_id: row for row in listed}
    assert (by_id[ada].age, by_id[ada].next_clinic_name, by_id[ada].named_worker) == (
        16,
        "Today's",
        "Dr Nora Nurseworthy",
    )
    assert by_id[ada].open_transition_items == 2
    assert (by_id[bo].next_clinic_name, by_id[bo].named_worker) == ("January 1", "Nell Oakapple")
    assert by_id[twins[0]].named_worker is None and by_id[cy].named_worker is None


@pytest.fixture(scope="module")
def demo_copy(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_database(demo_template, tmp_path_factory.mktemp("first-page") / "demo.db")


def test_the_first_page_of_the_demo_data_is_the_portable_querys(demo_copy: Path) -> None:
    db = open_database(str(demo_copy), create=False)
    try:
        _assert_same_rows(db, [TODAY, dt.date(2027, 3, 1), dt.date(2027, 12, 1)], limits=[7, PAGE_SIZE])
    finally:
        db.dispose()


def test_start_up_reads_the_first_page_of_a_current_database_file(demo_copy: Path) -> None:
    """What ``coordinator-tui --db FILE`` shows in its first frame, on today's clock."""
    assert is_current_database_file(demo_copy)
    rows = _read_first_page_meanwhile(demo_copy)()
    db = open_database(str(demo_copy), create=False)
    try:
        assert rows == _portable(db, limit=PAGE_SIZE, today=TODAY)
    finally:
        db.dispose()


def test_a_first_page_that_cannot_be_read_is_left_to_the_portable_query(tmp_path: Path) -> None:
    """No rows (the list then reads them once the database is open), never an error on the terminal."""
    assert _read_first_page_meanwhile(tmp_path / "missing.db")() is None
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("not a database")
    assert _read_first_page_meanwhile(not_a_database)() is None
