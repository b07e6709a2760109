"""The itinerary builder: order, breaks, lunch, cancelled flags, family-facing text only, few queries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from coordinator_tui.models import Appointment, AttendanceStatus, ClinicAttendance, ClinicEvent, ClinicStatus
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.itineraries.itinerary import (
    ItemKind,
    Itinerary,
    NotAttendingError,
    build_clinic_itineraries,
    build_itinerary,
    format_date_range,
)
from tests.export_data import OTHER_FAMILY_MARKERS, SECRET_MARKERS, add_patient, seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases


def _hm(moment: dt.datetime | None) -> str:
    assert moment is not None
    return f"{moment:%H:%M}"


def test_items_in_time_order_with_travel_hotel_breaks_and_lunch(session: Session) -> None:
    seed = seed_clinic(session)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    summary = [
        (item.kind, item.day.day, _hm(item.start) if item.start else "-", item.title) for item in itinerary.items
    ]
    assert summary == [
        (ItemKind.TRAVEL_OUT, 29, "06:45", "Travel to the clinic"),
        (ItemKind.APPOINTMENT, 29, "09:30", "Ophthalmology"),
        (ItemKind.APPOINTMENT, 29, "10:15", "Audiology"),
        (ItemKind.BREAK, 29, "10:45", "Break"),
        (ItemKind.APPOINTMENT, 29, "11:30", "Cardiology"),
        (ItemKind.LUNCH, 29, "12:00", "Lunch break"),
        (ItemKind.APPOINTMENT, 29, "13:00", "Dietetics"),
        (ItemKind.BREAK, 29, "13:45", "Break"),  # the cancelled 14:00 slot is free time
        (ItemKind.APPOINTMENT, 29, "14:00", "Physiotherapy"),
        (ItemKind.APPOINTMENT, 29, "15:00", "Psychology"),
        (ItemKind.HOTEL_CHECK_IN, 29, "-", "Hotel check-in"),
        (ItemKind.HOTEL_CHECK_OUT, 30, "-", "Hotel check-out"),
        (ItemKind.APPOINTMENT, 30, "09:00", "Endocrinology"),
        (ItemKind.BREAK, 30, "09:30", "Break"),
        (ItemKind.APPOINTMENT, 30, "11:00", "Team meeting (round table)"),
        (ItemKind.TRAVEL_HOME, 30, "14:30", "Travel home"),
    ]
    assert [d for d, _ in itinerary.days] == [dt.date(2027, 3, 29), dt.date(2027, 3, 30)]
    assert itinerary.title == "Ava – Combined clinic 29–30 March 2027"


def test_appointment_details_are_family_facing(session: Session) -> None:
    seed = seed_clinic(session)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    eyes = itinerary.appointments[0]
    assert eyes.start is not None and eyes.start.utcoffset() == dt.timedelta(hours=1)  # BST on 29 March 2027
    assert eyes.minutes == 45
    assert eyes.professionals == ("Dr Nora Fictional",)
    assert (eyes.room, eyes.building, eyes.location) == ("Room 3", "Eye Block", "Room 3, Eye Block")
    assert eyes.instructions == "Bring your glasses; nothing to eat after midnight."
    assert eyes.fasting and not eyes.cancelled and eyes.uid
    by_title = {i.title: i for i in itinerary.appointments}
    assert by_title["Physiotherapy"].cancelled
    assert by_title["Psychology"].tentative and not by_title["Psychology"].cancelled
    assert by_title["Team meeting (round table)"].professionals == (
        "Dr Nora Fictional",
        "Olu Madeup",
        "Dr Priya Placeholder",
    )
    hotel = next(i for i in itinerary.items if i.kind is ItemKind.HOTEL_CHECK_IN)
    assert (hotel.place, hotel.phone, hotel.reference) == ("Fictional Lodge", "0300 000 0000", "HTL-42")
    assert itinerary.instructions == "Please bring the red book."


def test_no_internal_or_other_family_text_in_the_itinerary(session: Session) -> None:
    seed = seed_clinic(session)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    text = repr(dataclasses.asdict(itinerary)) + repr(itinerary.days)
    for marker in [*SECRET_MARKERS.values(), *OTHER_FAMILY_MARKERS.values()]:
        assert marker not in text
    # The itinerary holds no database objects.
    for item in itinerary.items:
        for value in dataclasses.asdict(item).values():
            assert isinstance(value, str | int | bool | tuple | dt.date | dt.datetime | type(None))


def test_whole_clinic_skips_declined_and_orders_by_name(session: Session) -> None:
    seed = seed_clinic(session)
    itineraries = build_clinic_itineraries(session, seed.clinic_id)
    assert [it.patient_id for it in itineraries] == [seed.other_patient_id, seed.patient_id]  # Otherfamily < Test…
    other = itineraries[0]
    assert [a.title for a in other.appointments] == ["Ophthalmology"]
    assert all(it.patient_id != seed.declined_patient_id for it in itineraries)


def test_errors_for_unknown_and_not_attending(session: Session) -> None:
    seed = seed_clinic(session)
    with pytest.raises(NotFoundError, match="no clinic with id 999"):
        build_itinerary(session, 999, seed.patient_id)
    with pytest.raises(NotFoundError, match="no patient with id 999"):
        build_itinerary(session, seed.clinic_id, 999)
    with pytest.raises(NotAttendingError, match="declined"):
        build_itinerary(session, seed.clinic_id, seed.declined_patient_id)
    stranger = add_patient(session, "Nell", "Notinvited")
    with pytest.raises(NotAttendingError, match="not invited"):
        build_itinerary(session, seed.clinic_id, stranger.id or 0)


def test_cancelled_clinic_marks_everything_cancelled(session: Session) -> None:
    seed = seed_clinic(session)
    clinic = session.get(ClinicEvent, seed.clinic_id)
    assert clinic is not None
    clinic.status = ClinicStatus.CANCELLED
    session.add(clinic)
    session.flush()
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    assert itinerary.clinic_cancelled
    assert all(i.cancelled for i in itinerary.items if i.uid)
    assert not any(i.kind in (ItemKind.BREAK, ItemKind.LUNCH) for i in itinerary.items)


def test_missing_travel_and_hotel_are_left_out(session: Session) -> None:
    seed = seed_clinic(session)
    itinerary = build_itinerary(session, seed.clinic_id, seed.other_patient_id)
    kinds = [i.kind for i in itinerary.items]
    assert ItemKind.TRAVEL_OUT not in kinds and ItemKind.TRAVEL_HOME not in kinds
    assert kinds.count(ItemKind.HOTEL_CHECK_IN) == 1


def _count_queries(session: Session, clinic_id: int) -> tuple[int, list[Itinerary]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        session.expire_all()
        result = build_clinic_itineraries(session, clinic_id)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements), result


def test_whole_clinic_uses_a_fixed_number_of_queries(session: Session) -> None:
    seed = seed_clinic(session)
    few, result = _count_queries(session, seed.clinic_id)
    assert len(result) == 2
    for n in range(6):
        patient = add_patient(session, f"Extra{n}", "Family")
        confirmed = AttendanceStatus.CONFIRMED  # itineraries are built for families who confirmed
        session.add(ClinicAttendance(clinic_event_id=seed.clinic_id, patient_id=patient.id, status=confirmed))
        source = session.get(Appointment, seed.appointment_ids[0])
        assert source is not None
        session.add(
            Appointment(
                uid=f"extra-{n}@test.invalid",
                clinic_event_id=seed.clinic_id,
                patient_id=patient.id or 0,
                discipline="Audiology",
                start=source.start,
                end=source.end,
            )
        )
    session.flush()
    many, result = _count_queries(session, seed.clinic_id)
    assert len(result) == 8
    assert many == few <= 6


def test_format_date_range() -> None:
    assert format_date_range(dt.date(2027, 3, 29), dt.date(2027, 3, 30)) == "29–30 March 2027"
    assert format_date_range(dt.date(2027, 3, 31), dt.date(2027, 4, 1)) == "31 March – 1 April 2027"
    assert format_date_range(dt.date(2027, 12, 31), dt.date(2028, 1, 1)) == "31 December 2027 – 1 January 2028"
    assert format_date_range(dt.date(2027, 3, 29), dt.date(2027, 3, 29)) == "29 March 2027"
