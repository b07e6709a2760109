"""The demo data set: deterministic, fictional, and shaped like one national service's year.

The default demo (40 patients, seed 7) is loaded once for the module, "as of" conftest's fixed clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import to_local
from coordinator_tui.db import Database, open_database
from coordinator_tui.models import (
    Appointment,
    AppointmentStatus,
    AttendanceStatus,
    AuditEvent,
    CareTeamMember,
    CareTeamStatus,
    ClinicAttendance,
    ClinicEvent,
    Contact,
    Patient,
    Professional,
)
from coordinator_tui.services.clinics import appointments, clinics
from coordinator_tui.services.clinics.appointments import ClashKind
from coordinator_tui.services.demo_data import CENTRE_DISCIPLINES, LOCAL_ROLES, demo_nhs_numbers, load_demo
from coordinator_tui.services.people.patients import age_on
from coordinator_tui.services.safety import audit
from coordinator_tui.validation import nhs_check_digit, validate_nhs_number, validate_uk_phone
from tests.conftest import FIXED_NOW

TODAY = FIXED_NOW.date()  # 25/11/2026 (10:00 UTC is 10:00 in London)
ZONE = "Europe/London"


def build(path: Path, **kwargs: int) -> None:
    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    database = open_database(str(path))
    try:
        with database.session() as session:
            load_demo(session, **kwargs)
    finally:
        database.dispose()
        clock.set_fixed_now(None)
        audit.set_current_user(None)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build(path)
    return path


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Iterator[Database]:
    database = open_database(str(demo_path), writable=False)
    yield database
    database.dispose()


@pytest.fixture
def s(demo: Database) -> Iterator[Session]:
    with demo.session() as session:
        yield session


def rows(path: Path, model: type, columns: tuple[str, ...]) -> list[tuple[object, ...]]:
    database = open_database(str(path), writable=False)
    try:
        with database.session() as session:
            return [tuple(getattr(r, c) for c in columns) for r in session.exec(select(model).order_by(model.id))]
    finally:
        database.dispose()


# ------------------------------------------------------------------------------------------------------------
# Deterministic
# ------------------------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_data_and_another_seed_other_people(tmp_path: Path) -> None:
    # Small sets take the same code path as the default one (bulk inserts start above 200 patients).
    first, again, other = tmp_path / "first.db", tmp_path / "again.db", tmp_path / "other.db"
    build(first, patients=8, seed=7)
    build(again, patients=8, seed=7)
    build(other, patients=8, seed=8)
    patient_columns = tuple(Patient.model_fields)
    assert rows(again, Patient, patient_columns) == rows(first, Patient, patient_columns)
    assert len(rows(first, Patient, ("id",))) == 8
    for model, columns in [
        (Professional, ("given_name", "family_name", "discipline", "phone", "email")),
        (CareTeamMember, ("patient_id", "professional_id", "start_date", "is_named_worker")),
        (ClinicEvent, ("name", "start_date", "days", "status")),
        (ClinicAttendance, ("clinic_event_id", "patient_id", "status", "travel_out_depart", "hotel_name")),
        (Appointment, ("clinic_event_id", "patient_id", "discipline", "start", "end", "room_id")),
        (Contact, ("patient_id", "name", "phone", "email")),
    ]:
        assert rows(again, model, columns) == rows(first, model, columns), model.__name__
    names = ("given_name", "family_name", "date_of_birth")
    assert rows(other, Patient, names) != rows(first, Patient, names)


def test_demo_refuses_a_database_with_patients(demo_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_path.read_bytes())
    database = open_database(str(copy))
    try:
        with pytest.raises(ValueError, match="already holds patients"), database.session() as session:
            load_demo(session)
    finally:
        database.dispose()


# ------------------------------------------------------------------------------------------------------------
# Patients and professionals
# ------------------------------------------------------------------------------------------------------------


def test_forty_patients_with_valid_test_range_nhs_numbers(s: Session) -> None:
    people = s.exec(select(Patient)).all()
    assert len(people) == 40
    numbers = [p.nhs_number for p in people]
    assert len(set(numbers)) == 40
    for number in numbers:
        assert validate_nhs_number(number) == number
        assert number.startswith("999")
    assert len({p.hospital_number for p in people}) == 40


def test_demo_nhs_numbers_skip_impossible_ones() -> None:
    generated = demo_nhs_numbers()
    first = [next(generated) for _ in range(200)]
    assert all(validate_nhs_number(n) == n for n in first)
    assert len(set(first)) == 200
    # Every nine-digit stem 999nnnnnn with a possible check digit appears, in order; the others are skipped.
    stems = [int(n[3:9]) for n in first]
    assert stems == [n for n in range(stems[-1] + 1) if nhs_check_digit(f"999{n:06d}") is not None]
    assert nhs_check_digit("999000000") is None and stems[0] == 1


def test_ages_two_to_thirty(s: Session) -> None:
    people = s.exec(select(Patient)).all()
    ages = [age_on(p.date_of_birth, TODAY) for p in people]
    assert min(ages) >= 2 and max(ages) <= 30
    assert any(a < 11 for a in ages) and any(13 <= a <= 18 for a in ages) and any(a >= 19 for a in ages)
    for p in people:
        assert p.date_of_birth <= p.registered_on <= TODAY
        assert p.condition == "Alström syndrome"


def test_twenty_five_professionals_across_the_disciplines(s: Session) -> None:
    pros = s.exec(select(Professional)).all()
    assert len(pros) == 25
    disciplines = {p.discipline for p in pros}
    assert {d for d, *_ in CENTRE_DISCIPLINES} | {d for d, _ in LOCAL_ROLES} <= disciplines
    assert len({(p.given_name, p.family_name) for p in pros}) == 25


def test_contact_details_are_fictional(s: Session) -> None:
    """Phone numbers from Ofcom's drama ranges, email addresses at example.org."""
    drama = re.compile(r"^(01632 960\d{3}|07700 900\d{3})$")
    for pro in s.exec(select(Professional)).all():
        assert drama.match(pro.phone), pro.phone
        assert pro.email.endswith("@example.org")
    contacts = s.exec(select(Contact)).all()
    assert contacts
    for contact in contacts:
        assert drama.match(contact.phone), contact.phone
        assert validate_uk_phone(contact.phone) == contact.phone
        assert contact.email.endswith("@example.org")
    # Every child has a parent or carer to receive the itinerary.
    by_patient: dict[int, list[Contact]] = defaultdict(list)
    for contact in contacts:
        by_patient[contact.patient_id].append(contact)
    for p in s.exec(select(Patient)).all():
        assert any(c.receives_itinerary for c in by_patient[p.id]), p.id  # type: ignore[index]


def test_every_patient_has_one_named_worker_and_a_team_of_8_to_15(s: Session) -> None:
    members = s.exec(select(CareTeamMember).where(CareTeamMember.status == CareTeamStatus.ACTIVE)).all()
    pros = {p.id: p for p in s.exec(select(Professional)).all()}
    teams: dict[int, list[CareTeamMember]] = defaultdict(list)
    for m in members:
        teams[m.patient_id].append(m)
    assert len(teams) == 40
    for patient_id, team in teams.items():
        assert 8 <= len(team) <= 15, patient_id
        named = [m for m in team if m.is_named_worker]
        assert len(named) == 1, patient_id
        assert pros[named[0].professional_id].discipline in {"specialist nursing", "transition coordination"}
        assert len({m.professional_id for m in team}) == len(team)  # nobody twice in one team
    sizes = Counter(len(t) for t in teams.values())
    assert len(sizes) > 3  # sizes vary


# ------------------------------------------------------------------------------------------------------------
# Clinics, attendances, appointments
# ------------------------------------------------------------------------------------------------------------


def test_six_upcoming_two_day_clinics_over_the_next_year(s: Session) -> None:
    upcoming = [c for c in clinics.list_clinics(s) if c.start_date > TODAY]
    assert len(upcoming) == 6
    for clinic in upcoming:
        assert clinic.days == 2
        assert clinic.start_date.weekday() == 0  # Monday and Tuesday
        assert 8 <= clinic.start_date.day <= 14  # the second Monday of the month
        assert clinic.start_date < TODAY + relativedelta(months=12)
        assert clinic.name == f"Combined clinic {clinic.start_date:%B %Y}"
        assert clinic.series_id == "demo-2026"
    months = [c.start_date.year * 12 + c.start_date.month for c in upcoming]
    assert [b - a for a, b in pairwise(months)] == [2] * 5  # every second month
    past = [c for c in clinics.list_clinics(s) if c.start_date <= TODAY]
    assert past and all(c.end_date < TODAY for c in past)


def test_each_patient_invited_to_one_upcoming_clinic_with_travel_and_hotel(s: Session) -> None:
    upcoming = {c.id: c for c in clinics.list_clinics(s) if c.start_date > TODAY}
    attendances = [a for a in s.exec(select(ClinicAttendance)).all() if a.clinic_event_id in upcoming]
    assert Counter(a.patient_id for a in attendances) == Counter({pid: 1 for pid in range(1, 41)})
    assert {a.status for a in attendances} <= {
        AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED, AttendanceStatus.DECLINED
    }  # fmt: skip
    booked = [a for a in attendances if a.travel_booked]
    with_hotel = [a for a in attendances if a.hotel_booked]
    assert len(booked) >= 10 and len(with_hotel) >= 8
    assert len(booked) < len(attendances)  # some families still to book: work for the support worker
    for a in booked:
        clinic = upcoming[a.clinic_event_id]
        assert a.travel_out_depart and a.travel_out_arrive and a.travel_home_depart and a.travel_home_arrive
        assert all(t.tzinfo is not None for t in (a.travel_out_depart, a.travel_home_arrive))
        assert a.travel_out_depart < a.travel_out_arrive < a.travel_home_depart < a.travel_home_arrive
        assert to_local(a.travel_out_arrive, ZONE).date() == clinic.start_date - dt.timedelta(days=1)
        assert to_local(a.travel_home_depart, ZONE).date() == clinic.end_date
        assert a.travel_out_mode and a.travel_out_reference.startswith("TRV")
    for a in with_hotel:
        assert a.hotel_check_in == upcoming[a.clinic_event_id].start_date - dt.timedelta(days=1)
        assert a.hotel_nights == 2 and a.hotel_phone.startswith("01632 960")
    past_attendances = [a for a in s.exec(select(ClinicAttendance)).all() if a.clinic_event_id not in upcoming]
    assert past_attendances and all(a.status is AttendanceStatus.ATTENDED for a in past_attendances)


def test_appointments_for_the_next_clinic_only(s: Session) -> None:
    upcoming = [c for c in clinics.list_clinics(s) if c.start_date > TODAY]
    next_clinic, later = upcoming[0], upcoming[1:]
    for clinic in later:
        assert appointments.for_clinic(s, clinic.id) == []  # type: ignore[arg-type]
    views = appointments.for_clinic(s, next_clinic.id)  # type: ignore[arg-type]
    invited = clinics.attendances_for_clinic(s, next_clinic.id)  # type: ignore[arg-type]
    attending = {v.patient.id for v in invited if v.attendance.status is not AttendanceStatus.DECLINED}
    declined = {v.patient.id for v in invited if v.attendance.status is AttendanceStatus.DECLINED}
    per_patient = Counter(v.patient.id for v in views)
    assert attending and set(per_patient) == attending
    assert not declined & set(per_patient)
    deliberate = [v for v in views if "double-booked" in v.appointment.internal_notes]
    for patient_id, count in per_patient.items():
        extra = sum(1 for v in deliberate if v.patient.id == patient_id)
        assert 10 <= count - extra <= 14, (patient_id, count)
    for v in views:
        a = v.appointment
        start, end = to_local(a.start, ZONE), to_local(a.end, ZONE)
        assert start.date() in next_clinic.dates and end.date() == start.date()
        assert dt.time(9) <= start.time() and end.time() <= dt.time(17)
        assert a.status is AppointmentStatus.BOOKED
        assert len(v.professionals) == 1 and v.professionals[0].discipline == a.discipline
        assert v.room is not None
    # Every fasting test is the bloods.
    assert {v.appointment.discipline for v in views if v.appointment.fasting} == {"phlebotomy"}


def test_past_clinics_have_fulfilled_appointments(s: Session) -> None:
    past = [c for c in clinics.list_clinics(s) if c.start_date <= TODAY]
    statuses = Counter(
        v.appointment.status
        for c in past
        for v in appointments.for_clinic(s, c.id)  # type: ignore[arg-type]
    )
    assert set(statuses) == {AppointmentStatus.FULFILLED}
    assert sum(statuses.values()) > 40 * 10


def test_the_deliberate_clash_is_detected(s: Session) -> None:
    next_clinic = next(c for c in clinics.list_clinics(s) if c.start_date > TODAY)
    clashes = appointments.find_clashes(s, next_clinic.id)  # type: ignore[arg-type]
    deliberate = s.exec(
        select(Appointment).where(Appointment.internal_notes == "Staff only: double-booked by phone, to fix.")
    ).all()
    assert len(deliberate) == 1
    clash_id = deliberate[0].id
    professional = [c for c in clashes if c.kind is ClashKind.PROFESSIONAL]
    assert len(professional) == 1
    assert clash_id in professional[0].appointment_ids
    assert "cardiology" in professional[0].description
    # Nothing else in the demo timetable clashes: every clash involves the deliberate appointment.
    assert all(clash_id in c.appointment_ids for c in clashes)
    assert {c.kind for c in clashes} <= {ClashKind.PROFESSIONAL, ClashKind.ROOM, ClashKind.PATIENT}


def test_no_other_clinic_has_clashes(s: Session) -> None:
    for clinic in clinics.list_clinics(s):
        if clinic.start_date > TODAY:
            continue
        assert appointments.find_clashes(s, clinic.id) == [], clinic.name  # type: ignore[arg-type]


def test_demo_load_is_audited(s: Session) -> None:
    load = s.exec(select(AuditEvent).where(AuditEvent.entity == "demo_data")).all()
    assert len(load) == 1
    assert load[0].user == "test-coordinator"
    assert '"seed": 7' in load[0].after and '"patients": 40' in load[0].after
    created = s.exec(select(AuditEvent).where(AuditEvent.entity == "patient")).all()
    assert len([e for e in created if e.action.value == "create"]) == 40
