"""The patient list's rows: age, next clinic, named worker and open transition items, and the age rule itself."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from coordinator_tui.models import TransitionItem, TransitionStatus
from coordinator_tui.services.clinics import clinics, invitations, venues
from coordinator_tui.services.people import care_team, patients, professionals
from coordinator_tui.validation import nhs_check_digit
from tests.postgres_server import both_databases

pytestmark = both_databases

TODAY = dt.date(2026, 11, 25)


def _nhs(n: int) -> str:
    while (check := nhs_check_digit(f"999{n:06d}")) is None:
        n += 1
    return f"999{n:06d}{check}"


def _patient(session: Session, family: str, n: int, born: dt.date = dt.date(2012, 5, 1)) -> int:
    p = patients.create_patient(
        session,
        {
            "nhs_number": _nhs(n),
            "hospital_number": f"SUM{n}",
            "given_name": "Testy",
            "family_name": family,
            "date_of_birth": born,
        },
    )
    assert p.id is not None
    return p.id


def _clinic(session: Session, name: str, start: dt.date, venue: str = "Test Hall") -> int:
    """A clinic at ``venue`` (added to the catalogue first if missing; one venue holds one clinic at a time)."""
    if venue not in [entry.venue.name for entry in venues.load_catalogue(session).venues]:
        venues.add_venue(session, {"name": venue})
    event = clinics.create_clinic_event(session, {"name": name, "start_date": start, "days": 2, "venue": venue})
    assert event.id is not None
    return event.id


def _item(session: Session, patient_id: int, rule: str, status: TransitionStatus, appears_on: dt.date) -> None:
    session.add(
        TransitionItem(
            patient_id=patient_id,
            rule_id=rule,
            title=rule,
            category="education",
            owner_role="transition coordinator",
            due_date=appears_on + dt.timedelta(days=90),
            appears_on=appears_on,
            status=status,
        )
    )
    session.commit()


@given(
    born=st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2026, 12, 31)),
    day=st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2100, 12, 31)),
)
def test_age_is_completed_years_as_relativedelta_counts_them(born: dt.date, day: dt.date) -> None:
    if day >= born:
        assert patients.age_on(born, day) == relativedelta(day, born).years


def test_age_of_a_29_february_birthday() -> None:
    born = dt.date(2012, 2, 29)
    assert patients.age_on(born, dt.date(2027, 2, 28)) == 14
    assert patients.age_on(born, dt.date(2027, 3, 1)) == 15
    assert patients.age_on(born, dt.date(2028, 2, 29)) == 16


def test_summary_rows(session: Session) -> None:
    ada = _patient(session, "Summerby", 1, born=dt.date(2010, 11, 26))  # 16 tomorrow
    bo = _patient(session, "Wintersby", 2)
    past = _clinic(session, "Past clinic", dt.date(2026, 9, 7))
    later = _clinic(session, "March clinic", dt.date(2027, 3, 8))
    sooner = _clinic(session, "January clinic", dt.date(2027, 1, 11))
    cancelled = _clinic(session, "Cancelled clinic", dt.date(2026, 12, 7))
    for clinic_id in (past, later, sooner, cancelled):
        invitations.invite(session, clinic_id, ada)
    clinics.cancel_clinic_event(session, cancelled)
    nurse = professionals.create_professional(
        session, {"title": "Dr", "given_name": "Nora", "family_name": "Nurseworthy", "discipline": "specialist nursing"}
    )
    care_team.add_member(session, ada, nurse.id, {"is_named_worker": True})  # type: ignore[arg-type]
    care_team.add_member(session, bo, nurse.id, {})  # type: ignore[arg-type]  (in the team, not named)
    _item(session, ada, "todo-showing", TransitionStatus.TODO, TODAY - dt.timedelta(days=10))
    _item(session, ada, "in-progress", TransitionStatus.IN_PROGRESS, TODAY)
    _item(session, ada, "done", TransitionStatus.DONE, TODAY - dt.timedelta(days=100))
    _item(session, ada, "not-yet-showing", TransitionStatus.TODO, TODAY + dt.timedelta(days=1))

    rows = patients.patient_list(session, "testy", today=TODAY)

    assert [r.patient_id for r in rows] == [ada, bo]
    first, second = rows
    assert first.age == 15
    assert (first.next_clinic_date, first.next_clinic_name) == (dt.date(2027, 1, 11), "January clinic")
    assert first.named_worker == "Dr Nora Nurseworthy"
    assert first.open_transition_items == 2
    assert second.age == 14
    assert (second.next_clinic_date, second.next_clinic_name) == (None, "")
    assert second.named_worker is None
    assert second.open_transition_items == 0
    assert (first.family_name, first.given_name, first.hospital_number) == ("Summerby", "Testy", "SUM1")
    assert first.nhs_number == _nhs(1)
    assert patients.patient_list(session, "nobody-matches", today=TODAY) == []


def test_the_list_matches_every_word_typed_in_names_and_numbers_ignoring_case(session: Session) -> None:
    mia = _patient(session, "Oakhampton", 11)
    _patient(session, "Birchwood", 12)
    rows = patients.patient_list  # what the patient filter calls at each keystroke

    def ids(text: str) -> list[int]:
        return [r.patient_id for r in rows(session, text, today=TODAY)]

    assert ids("OAKHAMP") == ids("oakhamp") == ids("khampt") == [mia]
    assert ids("testy oak") == ids("oak TESTY") == [mia]  # every word must match, in any field
    assert ids("testy pine") == []
    assert ids("sum11") == ids("SUM11") == [mia]  # hospital number
    nhs = _nhs(11)
    assert ids(nhs) == ids(f"{nhs[:3]}-{nhs[3:6]}-{nhs[6:]}") == ids(nhs[5:]) == [mia]  # NHS number, as printed too
    assert ids("%") == ids("_") == []  # LIKE's wildcards are letters here


def test_the_list_is_a_page_in_name_order_without_archived_patients(session: Session) -> None:
    made = {family: _patient(session, family, n) for n, family in enumerate(["Cobb", "Abbot", "Bell", "Dunn"], 20)}
    patients.archive_patient(session, made["Dunn"])
    listed = patients.patient_list(session, "", today=TODAY)
    assert [r.family_name for r in listed] == ["Abbot", "Bell", "Cobb"]
    assert [r.family_name for r in patients.patient_list(session, "", limit=2, today=TODAY)] == ["Abbot", "Bell"]
    assert patients.patient_list(session, "dunn", today=TODAY) == []


def test_case_is_folded_by_lower_except_on_sqlite_whose_like_already_folds_it() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    from coordinator_tui.models import Patient
    from coordinator_tui.services.people.text_search import contains

    condition = contains(Patient.family_name, "McT")
    on_sqlite = str(condition.compile(dialect=sqlite.dialect()))
    on_postgresql = str(condition.compile(dialect=postgresql.dialect()))
    assert "lower" not in on_sqlite and on_sqlite.startswith("patient.family_name LIKE")
    assert on_postgresql.startswith("lower(patient.family_name) LIKE")
