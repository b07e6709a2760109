"""Moving and cancelling a combined clinic (on SQLite and PostgreSQL).

A move shifts everything booked for the clinic by the same number of days, at the same local wall-clock times
(also across the 28/03/2027 clock change): appointments, staffing days, the families' four travel times and hotel
check-in; the date in its name follows; the independent timetable checker still passes. A refused move names every
reason and writes nothing. Cancelling keeps every family's place on record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import local_to_utc, to_local
from coordinator_tui.db import Database
from coordinator_tui.models import (
    Appointment,
    AuditEvent,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    ClinicStatus,
)
from coordinator_tui.services.clinics import clinic_planning as cp
from coordinator_tui.services.clinics import clinics, timetable_build
from coordinator_tui.services.clinics.clinic_moves import (
    MoveRefused,
    move_impact,
    renamed,
    save_clinic_move,
    shift_local,
)
from coordinator_tui.services.clinics.timetable_checker import check_timetable
from coordinator_tui.services.clinics.timetable_plan import current_items
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people import professionals
from coordinator_tui.services.safety.records import create_record, update_record
from coordinator_tui.validation import FieldError, ValidationError
from tests.postgres_server import both_databases
from tests.scheduling_fixtures import make_clinic

pytestmark = both_databases

ZONE = "Europe/London"
BEFORE_CHANGE = dt.date(2027, 3, 22)  # Mon 22 - Tue 23 March 2027: GMT
AFTER_CHANGE = dt.date(2027, 3, 30)  # Tue 30 - Wed 31 March 2027: BST (clocks go forward on Sunday 28 March)


@dataclass(frozen=True)
class Booked:
    db: Database
    clinic_id: int


def _book_travel_and_hotel(session: Session, clinic: ClinicEvent) -> None:
    for attendance in session.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == clinic.id)).all():
        update_record(
            session,
            ClinicAttendance,
            attendance.id,
            {
                "travel_out_mode": "train",
                "travel_out_depart": local_to_utc(clinic.start_date - dt.timedelta(days=1), dt.time(15, 10)),
                "travel_out_arrive": local_to_utc(clinic.start_date - dt.timedelta(days=1), dt.time(18, 45)),
                "travel_home_mode": "train",
                "travel_home_depart": local_to_utc(clinic.end_date, dt.time(16, 30)),
                "travel_home_arrive": local_to_utc(clinic.end_date, dt.time(19, 55)),
                "hotel_name": "Test Lodge",
                "hotel_check_in": clinic.start_date - dt.timedelta(days=1),
                "hotel_nights": 2,
            },
        )


@pytest.fixture
def booked(db: Database) -> Iterator[Booked]:
    """A clinic before the clock change with a built timetable, staffing, and every family's travel and hotel."""
    with db.session() as session:
        rows = make_clinic(session, start=BEFORE_CHANGE, n_patients=3)
        clinic_id = rows.clinic.id
        assert clinic_id is not None
        _book_travel_and_hotel(session, rows.clinic)
    instance, result = timetable_build.build_timetable(db, clinic_id, time_limit=0.5, deterministic=True)
    assert result is not None and result.status in ("optimal", "feasible")
    with db.session() as session:
        cp.apply_solution(session, clinic_id, instance, result)
    yield Booked(db, clinic_id)


def checker_violations(db: Database, clinic_id: int) -> list[str]:
    with db.read_session() as session:
        instance = cp.load_instance(session, clinic_id)
    return [v.message for v in check_timetable(instance, current_items(instance))]


def local_times(db: Database, clinic_id: int) -> dict[str, list[tuple[int, str]]]:
    """Every moment booked for the clinic, as (days after the clinic's first day, local HH:MM)."""
    with db.read_session() as session:
        clinic = session.get(ClinicEvent, clinic_id)
        assert clinic is not None

        def rel(moment: dt.datetime) -> tuple[int, str]:
            local = to_local(moment, ZONE)
            return (local.date() - clinic.start_date).days, f"{local:%H:%M}"

        appointments = session.exec(
            select(Appointment).where(Appointment.clinic_event_id == clinic_id).order_by(col(Appointment.id))
        ).all()
        attendances = session.exec(
            select(ClinicAttendance)
            .where(ClinicAttendance.clinic_event_id == clinic_id)
            .order_by(col(ClinicAttendance.id))
        ).all()
        staffing = session.exec(select(ClinicStaffing).where(ClinicStaffing.clinic_event_id == clinic_id)).all()
        return {
            "appointments": [x for a in appointments for x in (rel(a.start), rel(a.end))],
            "travel": [
                rel(getattr(a, name))
                for a in attendances
                for name in ("travel_out_depart", "travel_out_arrive", "travel_home_depart", "travel_home_arrive")
            ],
            "hotel": [((a.hotel_check_in - clinic.start_date).days, str(a.hotel_nights)) for a in attendances],  # type: ignore[operator]
            "staffing": sorted(((s.day - clinic.start_date).days, f"{s.start_time:%H:%M}") for s in staffing),
        }


def audit_count(db: Database) -> int:
    with db.read_session() as session:
        return len(session.exec(select(AuditEvent)).all())


def test_moving_a_clinic_across_the_clock_change_moves_everything_and_the_checker_still_passes(
    booked: Booked,
) -> None:
    db, clinic_id = booked.db, booked.clinic_id
    assert checker_violations(db, clinic_id) == []
    before = local_times(db, clinic_id)
    assert before["appointments"] and before["staffing"]
    with db.session() as session:
        update_record(session, ClinicEvent, clinic_id, {"name": "Combined clinic 22/03/2027"})
        impact = move_impact(session, clinic_id)
        version = session.get(ClinicEvent, clinic_id).version  # type: ignore[union-attr]
    assert (impact.travel, impact.hotels, impact.staffing) == (3, 3, 12)
    audited = audit_count(db)

    moved = save_clinic_move(db, clinic_id, {"new_start": "30/03/2027"}, expected_version=version)

    assert moved.old_start == BEFORE_CHANGE and moved.impact == impact
    assert (moved.clinic.start_date, moved.clinic.name) == (AFTER_CHANGE, "Combined clinic 30/03/2027")
    assert local_times(db, clinic_id) == before  # the same local times, on the same days of the clinic
    with db.read_session() as session:
        first = session.exec(select(Appointment).where(Appointment.clinic_event_id == clinic_id)).first()
        assert first is not None and to_local(first.start, ZONE).date() in (
            AFTER_CHANGE,
            AFTER_CHANGE + dt.timedelta(1),
        )
        assert first.start.utcoffset() == dt.timedelta(0)  # stored in UTC: one hour earlier than before in UTC
    assert checker_violations(db, clinic_id) == []
    # One audit entry per row changed: the clinic, each appointment, each staffing day, each family's travel/hotel.
    assert audit_count(db) - audited == 1 + impact.appointments + impact.staffing + 3


def test_moving_by_one_day_shifts_staffing_days_without_colliding(booked: Booked) -> None:
    db, clinic_id = booked.db, booked.clinic_id
    before = local_times(db, clinic_id)
    moved = save_clinic_move(db, clinic_id, {"new_start": "23/03/2027"})  # Tue 23 - Wed 24: overlaps its old days
    assert moved.clinic.dates == [dt.date(2027, 3, 23), dt.date(2027, 3, 24)]
    assert local_times(db, clinic_id) == before
    save_clinic_move(db, clinic_id, {"new_start": "22/03/2027"})  # and back
    assert local_times(db, clinic_id) == before
    assert checker_violations(db, clinic_id) == []


def test_a_refused_move_names_every_reason_and_writes_nothing(booked: Booked) -> None:
    db, clinic_id = booked.db, booked.clinic_id
    with db.session() as session:
        clinic = session.get(ClinicEvent, clinic_id)
        assert clinic is not None
        other = create_record(
            session,
            ClinicEvent(service_id=clinic.service_id, name="Other clinic", start_date=dt.date(2027, 3, 30),
                        venue_id=clinic.venue_id, venue=clinic.venue),
        )  # fmt: skip
        staffed = session.exec(select(ClinicStaffing).where(ClinicStaffing.clinic_event_id == clinic_id)).first()
        assert staffed is not None and other.id is not None
        professionals.archive_professional(session, staffed.professional_id, end_memberships=True)
    before, audited = local_times(db, clinic_id), audit_count(db)

    with pytest.raises(MoveRefused) as refused:
        save_clinic_move(db, clinic_id, {"new_start": "29/03/2027"})  # Easter Monday, and the other clinic's day
    reasons = refused.value.reasons
    assert reasons[0] == "29/03/2027 is Easter Monday"
    assert any("overlaps Other clinic (30/03/2027–31/03/2027) at Test Hospital" in r for r in reasons)
    assert any("is staffed but archived" in r for r in reasons)
    assert str(refused.value).startswith("cannot move Test clinic to 29/03/2027: 29/03/2027 is Easter Monday; ")

    with pytest.raises(MoveRefused, match="03/04/2027 is a weekend"):
        save_clinic_move(db, clinic_id, {"new_start": "02/04/2027"})  # Friday - Saturday (and Good Friday is 26/03)
    with pytest.raises(MoveRefused, match="is not after today"):
        save_clinic_move(db, clinic_id, {"new_start": "16/11/2026"})
    with pytest.raises(MoveRefused, match="already starts on 22/03/2027"):
        save_clinic_move(db, clinic_id, {"new_start": "22/03/2027"})
    with pytest.raises(FieldError, match="not a real date"):
        save_clinic_move(db, clinic_id, {"new_start": "31/02/2027"})
    with pytest.raises(ConcurrentEditError):
        save_clinic_move(db, clinic_id, {"new_start": "12/04/2027"}, expected_version=99)
    assert (local_times(db, clinic_id), audit_count(db)) == (before, audited)
    with db.read_session() as session:
        assert session.get(ClinicEvent, clinic_id).start_date == BEFORE_CHANGE  # type: ignore[union-attr]


def test_a_cancelled_or_started_clinic_is_not_moved(db: Database) -> None:
    with db.session() as session:
        rows = make_clinic(session, start=dt.date(2027, 1, 11), n_patients=1, staffing=False)
        clinic_id = rows.clinic.id
        started = create_record(
            session,
            ClinicEvent(service_id=rows.service.id, name="Started", start_date=dt.date(2026, 11, 24)),  # type: ignore[arg-type]
        )
        clinics.cancel_clinic_event(session, clinic_id)  # type: ignore[arg-type]
    with pytest.raises(MoveRefused, match="it is cancelled"):
        save_clinic_move(db, clinic_id, {"new_start": "18/01/2027"})  # type: ignore[arg-type]
    with pytest.raises(MoveRefused, match=r"it has already started \(24/11/2026\)"):
        save_clinic_move(db, started.id, {"new_start": "18/01/2027"})  # type: ignore[arg-type]


def test_cancelling_keeps_every_family_and_booking_on_record(booked: Booked) -> None:
    db, clinic_id = booked.db, booked.clinic_id
    before = local_times(db, clinic_id)
    with db.session() as session:
        version = session.get(ClinicEvent, clinic_id).version  # type: ignore[union-attr]
        with pytest.raises(ConcurrentEditError):
            clinics.cancel_clinic_event(session, clinic_id, expected_version=version + 1)
    with db.session() as session:
        cancelled = clinics.cancel_clinic_event(session, clinic_id, expected_version=version)
        assert cancelled.status is ClinicStatus.CANCELLED
    with db.read_session() as session:
        families = session.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == clinic_id)).all()
        assert len(families) == 3  # the families-to-tell list derives who to tell from these and the exports
        entry = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "clinicevent").order_by(col(AuditEvent.id).desc())
        ).first()
        assert entry is not None and '"cancelled"' in entry.after
    assert local_times(db, clinic_id) == before
    with db.session() as session, pytest.raises(ValidationError, match="already cancelled"):
        clinics.cancel_clinic_event(session, clinic_id)


def test_a_past_clinic_is_not_cancelled_and_dates_change_only_by_moving(db: Database) -> None:
    with db.session() as session:
        rows = make_clinic(session, start=dt.date(2027, 1, 11), n_patients=1, staffing=False)
        past = create_record(
            session,
            ClinicEvent(service_id=rows.service.id, name="Past", start_date=dt.date(2026, 9, 7)),  # type: ignore[arg-type]
        )
        with pytest.raises(ValidationError, match="already taken place"):
            clinics.cancel_clinic_event(session, past.id)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="move the clinic instead"):
            clinics.update_clinic_event(session, rows.clinic.id, {"start_date": dt.date(2027, 1, 18)})  # type: ignore[arg-type]


def test_shifting_keeps_the_local_wall_clock_time_and_names_follow() -> None:
    nine_thirty_gmt = local_to_utc(dt.date(2027, 3, 22), dt.time(9, 30))
    moved = shift_local(nine_thirty_gmt, 8, ZONE)
    assert f"{to_local(moved, ZONE):%d/%m/%Y %H:%M}" == "30/03/2027 09:30"
    assert moved - nine_thirty_gmt == dt.timedelta(days=8, hours=-1)
    assert renamed("Combined clinic 22/03/2027", dt.date(2027, 3, 22), AFTER_CHANGE) == "Combined clinic 30/03/2027"
    assert renamed("Combined clinic March 2027", dt.date(2027, 3, 22), dt.date(2027, 4, 5)) == (
        "Combined clinic April 2027"
    )
    assert renamed("Spring clinic", dt.date(2027, 3, 22), AFTER_CHANGE) == "Spring clinic"
