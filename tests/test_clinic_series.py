"""Clinic series from a recurrence, skipping England's bank holidays."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from coordinator_tui.models import AuditAction, AuditEvent, ClinicEvent, ClinicStatus, Room, Service
from coordinator_tui.services.clinics.clinic_moves import MoveRefused, move_clinic
from coordinator_tui.services.clinics.clinic_series import (
    bank_holidays,
    create_series,
    every_n_months_on,
    plan_dates,
)
from coordinator_tui.services.clinics.clinics import cancel_clinic_event
from coordinator_tui.services.clinics.venues import add_venue, clinic_rooms
from coordinator_tui.services.safety.records import create_record


def test_bank_holidays_come_from_the_library() -> None:
    table = bank_holidays([2027])
    assert table[dt.date(2027, 3, 29)] == "Easter Monday"
    assert dt.date(2027, 5, 31) in table  # late May (spring) bank holiday
    assert dt.date(2027, 3, 17) not in table  # St Patrick's Day is not a bank holiday in England


def test_every_second_month_on_the_second_monday() -> None:
    dates = plan_dates(every_n_months_on(2, 0, start=dt.date(2027, 1, 1), interval=2, count=6))
    assert [d.start for d in dates] == [
        dt.date(2027, 1, 11),
        dt.date(2027, 3, 8),
        dt.date(2027, 5, 10),
        dt.date(2027, 7, 12),
        dt.date(2027, 9, 13),
        dt.date(2027, 11, 8),
    ]
    assert not any(d.moved for d in dates)


def test_easter_monday_and_late_may_move_to_the_next_valid_occurrence() -> None:
    # Last Monday of March and of May 2027: Easter Monday and the spring bank holiday.
    rule = every_n_months_on(-1, 0, start=dt.date(2027, 3, 1), interval=2, count=2)
    dates = plan_dates(rule)
    assert [d.requested for d in dates] == [dt.date(2027, 3, 29), dt.date(2027, 5, 31)]
    assert [d.start for d in dates] == [dt.date(2027, 4, 5), dt.date(2027, 6, 7)]
    assert "Easter Monday" in dates[0].note
    assert "Spring Bank Holiday" in dates[1].note


def test_second_day_on_good_friday_counts_and_drop_option() -> None:
    # A Thursday-Friday clinic: 25-26 March 2027, and 26 March is Good Friday.
    dates = plan_dates([dt.date(2027, 3, 25), dt.date(2027, 4, 22)], on_holiday="drop")
    assert [d.start for d in dates] == [dt.date(2027, 4, 22)]
    moved = plan_dates([dt.date(2027, 3, 25)])
    assert moved[0].start == dt.date(2027, 4, 1)
    assert "Good Friday" in moved[0].note


@pytest.fixture
def service(session: Session) -> Service:
    return create_record(session, Service(name="Test Rare Disease Service"))


def test_create_series_move_and_cancel_are_audited(session: Session, service: Service) -> None:
    assert service.id is not None
    venue = add_venue(session, {"name": "Test Children's Hospital"})
    dates = plan_dates(every_n_months_on(-1, 0, start=dt.date(2027, 3, 1), interval=2, count=2))
    events = create_series(
        session,
        service.id,
        "Combined clinic",
        dates,
        venue="Test Children's Hospital",
        rooms=[("Room 1", "Main"), ("Eye clinic", "Eye and Ear")],
        day_start=dt.time(9, 0),
        day_end=dt.time(17, 0),
    )
    assert [e.start_date for e in events] == [dt.date(2027, 4, 5), dt.date(2027, 6, 7)]
    assert len({e.series_id for e in events}) == 1
    # The rooms are the venue's catalogue rooms, used by both clinics of the series.
    assert sorted((r.building, r.name) for r in session.exec(select(Room)).all()) == [
        ("Eye and Ear", "Eye clinic"),
        ("Main", "Room 1"),
    ]
    for event in events:
        assert event.venue == "Test Children's Hospital" and event.venue_id == venue.id
        assert [r.name for r in clinic_rooms(session, event.id)] == ["Eye clinic", "Room 1"]  # type: ignore[arg-type]
    audited = session.exec(select(AuditEvent).where(AuditEvent.entity == "clinicevent")).all()
    assert [a.action for a in audited] == [AuditAction.CREATE, AuditAction.UPDATE] * 2  # created, then its venue

    with pytest.raises(MoveRefused, match="Spring Bank Holiday"):
        move_clinic(session, events[1].id, dt.date(2027, 5, 31))  # type: ignore[arg-type]
    moved = move_clinic(session, events[1].id, dt.date(2027, 6, 14)).clinic  # type: ignore[arg-type]
    assert moved.start_date == dt.date(2027, 6, 14)
    assert "14/06/2027" in moved.name
    dropped = cancel_clinic_event(session, events[0].id)  # type: ignore[arg-type]
    assert dropped.status == ClinicStatus.CANCELLED
    assert session.get(ClinicEvent, events[0].id) is not None
    assert len(session.exec(select(AuditEvent).where(AuditEvent.entity == "clinicevent")).all()) == 6
