"""Staffing: who attends each clinic day, their hours and room, and the copy from the previous clinic.

Every rule of ``services/clinics/staffing.py``: a day is added, changed and removed (audited; a change on a stale
read refused); hours outside the clinic's day, a room of another venue or archived, an archived professional, and
anyone in two places at once are refused; booked appointments are never left outside a professional's hours; the
copy maps day 1 to day 1, keeps hours (cut to the clinic's day), maps rooms by the catalogue, skips archived
professionals saying who, and never duplicates a row. The disciplines invited families need that nobody covers are
listed per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.db import Database
from coordinator_tui.models import (
    Appointment,
    AppointmentProfessional,
    AuditAction,
    AuditEvent,
    ClinicAttendance,
    ClinicStaffing,
    Patient,
    Professional,
)
from coordinator_tui.services.clinics import clinic_planning, clinics, venues
from coordinator_tui.services.clinics import staffing as st
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people import professionals
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.validation import ValidationError
from tests.postgres_server import both_databases

pytestmark = both_databases

FIRST = dt.date(2027, 1, 11)  # Monday; the fixed clock's today is 25/11/2026
SECOND = dt.date(2027, 3, 8)  # Monday
THIRD = dt.date(2027, 5, 10)  # Monday (the early May bank holiday is 03/05/2027)
T = dt.time


@dataclass
class World:
    db: Database
    venue: int
    outreach: int
    eye: int  # Eye Clinic, Children's Building
    room1: int  # Room 1, Outpatients
    room2: int  # Room 2, Outpatients
    outreach_room1: int  # Room 1, Outpatients, at the outreach centre
    quinn: int  # cardiology
    ada: int  # endocrinology
    una: int  # ophthalmology
    archie: int  # renal
    first: int  # 2 days from 11/01/2027 at the hospital
    second: int  # 2 days from 08/03/2027 at the hospital


def _professional(s: Session, title: str, given: str, family: str, discipline: str) -> int:
    values = {"title": title, "given_name": given, "family_name": family, "discipline": discipline}
    made = professionals.create_professional(s, values)
    assert made.id is not None
    return made.id


def _clinic(s: Session, name: str, start: dt.date, venue_id: int, **more: object) -> int:
    values = {"name": name, "start_date": start, "days": 2, "venue_id": venue_id, **more}
    clinic = clinics.create_clinic_event(s, values)
    assert clinic.id is not None
    return clinic.id


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Exampleton Children's Hospital"})
        outreach = venues.add_venue(s, {"name": "Western Outreach Centre"})
        assert venue.id is not None and outreach.id is not None
        eye = venues.add_room(s, venue.id, {"name": "Eye Clinic", "building": "Children's Building"})
        room1 = venues.add_room(s, venue.id, {"name": "Room 1", "building": "Outpatients"})
        room2 = venues.add_room(s, venue.id, {"name": "Room 2", "building": "Outpatients"})
        outreach_room1 = venues.add_room(s, outreach.id, {"name": "room 1", "building": "outpatients"})
        world = World(
            db=db,
            venue=venue.id,
            outreach=outreach.id,
            eye=eye.id,  # type: ignore[arg-type]
            room1=room1.id,  # type: ignore[arg-type]
            room2=room2.id,  # type: ignore[arg-type]
            outreach_room1=outreach_room1.id,  # type: ignore[arg-type]
            quinn=_professional(s, "Dr", "Quinn", "Gooseberry", "cardiology"),
            ada=_professional(s, "Dr", "Ada", "Endoexample", "endocrinology"),
            una=_professional(s, "Ms", "Una", "Eyeexample", "ophthalmology"),
            archie=_professional(s, "Mr", "Archie", "Renalexample", "renal"),
            first=_clinic(s, "January clinic", FIRST, venue.id),
            second=_clinic(s, "March clinic", SECOND, venue.id),
        )
    yield world


def rows_of(s: Session, clinic_id: int) -> list[tuple[int, dt.date, dt.time, dt.time, int | None]]:
    rows = s.exec(
        select(ClinicStaffing)
        .where(ClinicStaffing.clinic_event_id == clinic_id)
        .order_by(ClinicStaffing.day, ClinicStaffing.professional_id)
    ).all()
    return [(r.professional_id, r.day, r.start_time, r.end_time, r.room_id) for r in rows]


def audited(s: Session) -> list[AuditAction]:
    return [
        e.action
        for e in s.exec(
            select(AuditEvent).where(AuditEvent.entity == "clinicstaffing").order_by(col(AuditEvent.id))
        ).all()
    ]


# ------------------------------------------------------------------------------------------------------------
# One professional's day
# ------------------------------------------------------------------------------------------------------------


def test_a_day_is_added_changed_and_removed_each_audited(world: World) -> None:
    day2 = FIRST + dt.timedelta(days=1)
    with world.db.session() as s:
        added = st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(13), world.room1, new=True)
        changed = st.set_staff_day(
            s, world.first, world.quinn, FIRST, T(10), T(16), world.room2, expected=st.StaffedHours.of(added)
        )
        assert changed.id == added.id
        st.set_staff_day(s, world.first, world.quinn, day2, T(9), T(12))
        assert rows_of(s, world.first) == [
            (world.quinn, FIRST, T(10), T(16), world.room2),
            (world.quinn, day2, T(9), T(12), None),
        ]
        removed = st.remove_staff_day(s, world.first, world.quinn, day2, expected=st.StaffedHours(T(9), T(12), None))
        assert removed.day == day2
        assert audited(s) == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.CREATE, AuditAction.DELETE]
        assert len(rows_of(s, world.first)) == 1


def test_adding_someone_already_on_the_day_is_refused_and_a_stale_change_too(world: World) -> None:
    with world.db.session() as s:
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(13), world.room1)
    with (
        pytest.raises(ValidationError, match=r"already in clinic on day 1 \(Mon 11/01/2027\) \(09:00–13:00\)"),
        world.db.session() as s,
    ):
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(14), T(17), new=True)
    read = st.StaffedHours(T(9), T(13), world.room1)
    with world.db.session() as s:  # a colleague changes the hours meanwhile
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(12), world.room1)
    with pytest.raises(ConcurrentEditError, match="changed by test-coordinator"), world.db.session() as s:
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(17), world.room1, expected=read)
    with pytest.raises(ConcurrentEditError), world.db.session() as s:
        st.remove_staff_day(s, world.first, world.quinn, FIRST, expected=read)
    with world.db.read_session() as s:
        assert rows_of(s, world.first) == [(world.quinn, FIRST, T(9), T(12), world.room1)]


@pytest.mark.parametrize(
    ("day", "start", "end", "field", "message"),
    [
        (FIRST, T(8, 30), T(12), "start_time", "08:30 is before the clinic's day starts (09:00–17:00)"),
        (FIRST, T(13), T(17, 30), "end_time", "17:30 is after the clinic's day ends (09:00–17:00)"),
        (FIRST, T(13), T(12), "end_time", "must be after the start time"),
        (FIRST, T(13), T(13), "end_time", "must be after the start time"),
        (FIRST + dt.timedelta(days=2), T(9), T(12), "day", "is not one of this clinic's days"),
    ],
)
def test_hours_must_lie_within_the_clinic_day(
    world: World, day: dt.date, start: dt.time, end: dt.time, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as exc, world.db.session() as s:
        st.set_staff_day(s, world.first, world.quinn, day, start, end)
    assert exc.value.errors == {field: message}
    with world.db.read_session() as s:
        assert rows_of(s, world.first) == []


def test_the_whole_clinic_day_is_accepted(world: World) -> None:
    with world.db.session() as s:
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(17))
        assert rows_of(s, world.first) == [(world.quinn, FIRST, T(9), T(17), None)]


def test_rooms_come_from_the_clinic_venues_catalogue(world: World) -> None:
    with (
        pytest.raises(ValidationError, match="is a room of Western Outreach Centre, not of this clinic's venue"),
        world.db.session() as s,
    ):
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(12), world.outreach_room1)
    with world.db.session() as s:  # a room added to the catalogue after the clinic was made: offered, and used
        late = venues.add_room(s, world.venue, {"name": "Room 3", "building": "Outpatients"})
        assert late.id not in {r.id for r in clinics.list_rooms(s, world.first)}
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(12), late.id)
        assert late.id in {r.id for r in clinics.list_rooms(s, world.first)}
        plan = st.staffing_plan(s, world.first)
        assert [c.label for c in plan.rooms] == [
            "Eye Clinic, Children's Building",
            "Room 1, Outpatients",
            "Room 2, Outpatients",
            "Room 3, Outpatients",
        ]
        venues.archive_room(s, world.room2)
        assert "Room 2, Outpatients" not in [c.label for c in st.staffing_plan(s, world.first).rooms]
    with pytest.raises(ValidationError, match="Room 2 is archived"), world.db.session() as s:
        st.set_staff_day(s, world.first, world.ada, FIRST, T(9), T(12), world.room2)


def test_an_archived_professional_is_never_newly_staffed(world: World) -> None:
    with world.db.session() as s:
        professionals.archive_professional(s, world.archie)
    with pytest.raises(st.StaffingConflict, match="Mr Archie Renalexample is archived"), world.db.session() as s:
        st.set_staff_day(s, world.first, world.archie, FIRST, T(9), T(12))
    with world.db.session() as s:
        assert st.professionals_to_staff(s, world.first, FIRST, "") == [
            s.get(Professional, world.ada),
            s.get(Professional, world.una),
            s.get(Professional, world.quinn),
        ]


def test_no_one_is_in_two_places_at_once(world: World) -> None:
    with world.db.session() as s:
        other = _clinic(s, "Outreach clinic", FIRST, world.outreach)
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(12), world.room1)
        st.set_staff_day(s, other, world.quinn, FIRST, T(13), T(17))  # the afternoon elsewhere: fine
    with (
        pytest.raises(st.StaffingConflict, match="already at Outreach clinic on 11/01/2027 13:00–17:00"),
        world.db.session() as s,
    ):
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(14), world.room1)
    with pytest.raises(st.StaffingConflict) as exc, world.db.session() as s:
        st.set_staff_day(s, world.first, world.ada, FIRST, T(11), T(15), world.room1)
    assert exc.value.errors == {
        "room": "Room 1 is Dr Quinn Gooseberry's on day 1 (Mon 11/01/2027) 09:00–12:00: choose another room or other "
        "hours"
    }
    with world.db.session() as s:
        st.set_staff_day(s, world.first, world.ada, FIRST, T(12), T(17), world.room1)  # after Quinn: fine
        assert len(rows_of(s, world.first)) == 2


def _book(s: Session, world: World, professional_id: int, day: dt.date, start: dt.time, minutes: int) -> None:
    patient = create_record(
        s,
        Patient(
            nhs_number="9990000109",
            hospital_number="TEST0109",
            given_name="Testpatient1",
            family_name="Example",
            date_of_birth=dt.date(2012, 3, 1),
            registered_on=dt.date(2020, 1, 1),
        ),
    )
    begin = local_to_utc(day, start, "Europe/London")
    appointment = create_record(
        s,
        Appointment(
            uid="staffing-test-1",
            clinic_event_id=world.first,
            patient_id=patient.id,  # type: ignore[arg-type]
            discipline="cardiology",
            start=begin,
            end=begin + dt.timedelta(minutes=minutes),
        ),
    )
    create_record(s, AppointmentProfessional(appointment_id=appointment.id, professional_id=professional_id))  # type: ignore[arg-type]


def test_booked_appointments_are_never_left_outside_the_hours(world: World) -> None:
    with world.db.session() as s:
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(17), world.room1)
        _book(s, world, world.quinn, FIRST, T(15), 30)
    with (
        pytest.raises(st.StaffingConflict, match=r"1 appointment of Dr Quinn Gooseberry \(first 15:00–15:30\) would"),
        world.db.session() as s,
    ):
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(13), world.room1)
    with (
        pytest.raises(st.StaffingConflict, match=r"\(first 15:00–15:30\) is booked with them that day: move or cancel"),
        world.db.session() as s,
    ):
        st.remove_staff_day(s, world.first, world.quinn, FIRST)
    with world.db.session() as s:
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(12), T(16), world.room1)  # still covers 15:00
        assert rows_of(s, world.first) == [(world.quinn, FIRST, T(12), T(16), world.room1)]


def test_clinics_set_staffing_keeps_the_same_rules(world: World) -> None:
    with pytest.raises(ValidationError, match="before the clinic's day starts"), world.db.session() as s:
        clinics.set_staffing(s, world.first, world.quinn, FIRST, T(7), T(12))
    with world.db.session() as s:
        first = clinics.set_staffing(s, world.first, world.quinn, FIRST, T(9), T(12), world.room1)
        again = clinics.set_staffing(s, world.first, world.quinn, FIRST, T(13), T(17))
        assert again.id == first.id
        assert [(r.start_time, p.id) for r, p in clinics.list_staffing(s, world.first)] == [(T(13), world.quinn)]


# ------------------------------------------------------------------------------------------------------------
# Copy from the previous clinic
# ------------------------------------------------------------------------------------------------------------


def _staff_first(world: World) -> None:
    day2 = FIRST + dt.timedelta(days=1)
    with world.db.session() as s:
        st.set_staff_day(s, world.first, world.quinn, FIRST, T(9), T(17), world.room1)
        st.set_staff_day(s, world.first, world.quinn, day2, T(9), T(13), world.room1)
        st.set_staff_day(s, world.first, world.ada, FIRST, T(10), T(16), world.eye)
        st.set_staff_day(s, world.first, world.una, day2, T(13), T(17))
        st.set_staff_day(s, world.first, world.archie, day2, T(9), T(12), world.room2)
        professionals.archive_professional(s, world.archie, end_memberships=True)


def test_copy_maps_day_by_position_keeps_hours_and_rooms_and_skips_the_archived(world: World) -> None:
    _staff_first(world)
    day2 = SECOND + dt.timedelta(days=1)
    with world.db.session() as s:
        assert st.previous_clinic(s, clinics.get_clinic(s, world.second)).id == world.first  # type: ignore[union-attr]
        result = st.copy_staffing(s, world.second)
        assert result.source.id == world.first
        assert rows_of(s, world.second) == [
            (world.quinn, SECOND, T(9), T(17), world.room1),
            (world.ada, SECOND, T(10), T(16), world.eye),
            (world.quinn, day2, T(9), T(13), world.room1),
            (world.una, day2, T(13), T(17), None),
        ]
        assert result.skipped == ["Mr Archie Renalexample (renal), day 2: archived"]
        assert (len(result.created), result.kept, result.changed) == (4, 0, [])
        assert result.lines()[0] == "Copied 4 staffing rows from January clinic."
        assert audited(s).count(AuditAction.CREATE) == 5 + 4


def test_copy_again_never_duplicates_a_row_and_keeps_what_is_there(world: World) -> None:
    _staff_first(world)
    with world.db.session() as s:
        st.set_staff_day(s, world.second, world.quinn, SECOND, T(10), T(12), world.room2)  # added by hand first
        first = st.copy_staffing(s, world.second)
        assert (len(first.created), first.kept) == (3, 1)
        assert (world.quinn, SECOND, T(10), T(12), world.room2) in rows_of(s, world.second)  # kept as it was
        again = st.copy_staffing(s, world.second)
        assert (len(again.created), again.kept) == (0, 4)
        assert again.lines()[0] == "Copied 0 staffing rows from January clinic; kept the 4 already here as they were."
        assert len(rows_of(s, world.second)) == 4


def test_copy_to_another_venue_maps_rooms_by_the_catalogue_and_says_what_it_could_not(world: World) -> None:
    _staff_first(world)
    with world.db.session() as s:
        third = clinics.create_clinic_event(
            s, {"name": "Outreach clinic", "start_date": THIRD, "days": 1, "venue_id": world.outreach}
        )
        assert third.id is not None
        result = st.copy_staffing(s, third.id, world.first)
        assert rows_of(s, third.id) == [
            (world.quinn, THIRD, T(9), T(17), world.outreach_room1),  # Room 1, Outpatients there too
            (world.ada, THIRD, T(10), T(16), None),  # no Eye Clinic at the outreach centre
        ]
        assert result.changed == [
            "Dr Ada Endoexample (endocrinology), day 1: no room (Eye Clinic, Children's Building is not a room of "
            "Western Outreach Centre in use)"
        ]
        assert sorted(result.skipped) == [
            "Dr Quinn Gooseberry (cardiology), day 2: this clinic has 1 day(s)",
            "Mr Archie Renalexample (renal), day 2: this clinic has 1 day(s)",
            "Ms Una Eyeexample (ophthalmology), day 2: this clinic has 1 day(s)",
        ]


def test_copy_cuts_hours_to_the_clinic_day_and_skips_hours_outside_it(world: World) -> None:
    _staff_first(world)
    with world.db.session() as s:
        later = _clinic(s, "Afternoon clinic", THIRD, world.venue, day_start=T(13), day_end=T(17))
        result = st.copy_staffing(s, later, world.first)
        assert rows_of(s, later) == [
            (world.quinn, THIRD, T(13), T(17), world.room1),
            (world.ada, THIRD, T(13), T(16), world.eye),
            (world.una, THIRD + dt.timedelta(days=1), T(13), T(17), None),
        ]
        assert result.changed == [
            "Dr Ada Endoexample (endocrinology), day 1: hours 10:00–16:00 cut to 13:00–16:00",
            "Dr Quinn Gooseberry (cardiology), day 1: hours 09:00–17:00 cut to 13:00–17:00",
        ]
        assert "Dr Quinn Gooseberry (cardiology), day 2: 09:00–13:00 is outside this clinic's day (13:00–17:00)" in (
            result.skipped
        )


def test_copy_skips_whoever_would_be_in_two_places_at_once(world: World) -> None:
    _staff_first(world)
    with world.db.session() as s:
        elsewhere = _clinic(s, "Outreach clinic", SECOND, world.outreach)
        st.set_staff_day(s, elsewhere, world.ada, SECOND, T(9), T(12))
        result = st.copy_staffing(s, world.second)
        assert [r.professional_id for r in result.created] == [world.quinn, world.una, world.quinn]
        assert result.skipped[0] == (
            "Dr Ada Endoexample (endocrinology), day 1: Dr Ada Endoexample is already at Outreach clinic on "
            "08/03/2027 09:00–12:00: one place at a time"
        )


def test_copy_needs_an_earlier_clinic_with_staffing(world: World) -> None:
    with (
        pytest.raises(st.StaffingConflict, match="no earlier clinic of this service has staffing"),
        world.db.session() as s,
    ):
        st.copy_staffing(s, world.second)
    with pytest.raises(st.StaffingConflict, match="January clinic has no staffing to copy"), world.db.session() as s:
        st.copy_staffing(s, world.second, world.first)
    with pytest.raises(ValidationError, match="this is the same clinic"), world.db.session() as s:
        st.copy_staffing(s, world.second, world.second)
    _staff_first(world)
    with world.db.session() as s:  # the first clinic has nothing earlier
        assert st.previous_clinic(s, clinics.get_clinic(s, world.first)) is None
        clinics.cancel_clinic_event(s, world.first)
        assert st.previous_clinic(s, clinics.get_clinic(s, world.second)) is None  # a cancelled one is not copied


def test_copy_from_last_in_one_call_and_through_the_use_case(world: World) -> None:
    _staff_first(world)
    result = st.copy_previous(world.db, world.second)
    assert len(result.created) == 4
    with world.db.read_session() as s:
        assert len(rows_of(s, world.second)) == 4


# ------------------------------------------------------------------------------------------------------------
# What the screen shows
# ------------------------------------------------------------------------------------------------------------


def _invite(s: Session, world: World, n: int, *disciplines: str) -> None:
    patient = create_record(
        s,
        Patient(
            nhs_number=f"99900001{n:02d}",
            hospital_number=f"TEST01{n:02d}",
            given_name=f"Testpatient{n}",
            family_name="Example",
            date_of_birth=dt.date(2012, 3, 1),
            registered_on=dt.date(2020, 1, 1),
        ),
    )
    assert patient.id is not None
    for discipline in disciplines:
        clinic_planning.set_need(s, patient.id, discipline, minutes=30)
    create_record(s, ClinicAttendance(clinic_event_id=world.first, patient_id=patient.id))


def test_the_plan_lists_each_day_and_the_disciplines_nobody_covers(world: World) -> None:
    _staff_first(world)
    with world.db.session() as s:
        _invite(s, world, 1, "endocrinology", "cardiology")
        _invite(s, world, 2, "endocrinology")
        plan = st.staffing_plan(s, world.first)
    assert plan.families == 2
    day1, day2 = plan.days
    assert [(r.name, r.discipline, r.hours, r.room) for r in day1.rows] == [
        ("Dr Quinn Gooseberry", "cardiology", "09:00–17:00", "Room 1, Outpatients"),
        ("Dr Ada Endoexample", "endocrinology", "10:00–16:00", "Eye Clinic, Children's Building"),
    ]
    assert [(r.name, r.archived) for r in day2.rows] == [
        ("Dr Quinn Gooseberry", False),
        ("Ms Una Eyeexample", False),
        ("Mr Archie Renalexample", True),
    ]
    # Every family also needs the defaults (fasting bloods, specialist nursing), which nobody here covers.
    assert day1.uncovered == (("phlebotomy", 2), ("specialist nursing", 2))
    assert day2.uncovered == (("endocrinology", 2), ("phlebotomy", 2), ("specialist nursing", 2))
    assert day2.uncovered_text().startswith("endocrinology (2 families), phlebotomy (2 families)")
    assert plan.day_number_of("endocrinology") == 2
    assert plan.day_number_of("cardiology") is None
    assert plan.previous is None and plan.rows == 5
    with world.db.session() as s:
        second = st.staffing_plan(s, world.second)
    assert second.previous is not None and second.previous.id == world.first
    assert second.families == 0 and all(not d.uncovered for d in second.days)


def test_a_declined_family_needs_no_one(world: World) -> None:
    with world.db.session() as s:
        _invite(s, world, 1, "endocrinology")
        attendance = s.exec(select(ClinicAttendance).where(col(ClinicAttendance.clinic_event_id) == world.first)).one()
        attendance.status = "declined"  # type: ignore[assignment]
        s.add(attendance)
    with world.db.read_session() as s:
        plan = st.staffing_plan(s, world.first)
    assert plan.families == 0 and all(not d.uncovered for d in plan.days)
