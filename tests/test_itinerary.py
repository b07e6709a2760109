"""The itinerary builder: order, breaks, lunch, cancelled flags, family-facing text only, plain language, timed
hotel stays, stored UIDs, the family's choice of calendar titles, what to bring, few queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from coordinator_tui.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    Patient,
    Service,
)
from coordinator_tui.services.clinics.disciplines import discipline_defaults, family_name, is_round_table
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.itineraries.itinerary import (
    CARE_TEAM_MEETING,
    DEFAULT_WHAT_TO_BRING,
    MIN_BREAK,
    ItemKind,
    Itinerary,
    ItineraryItem,
    NotAttendingError,
    breaks,
    build_clinic_itineraries,
    build_itinerary,
    format_date_range,
    format_short_date_range,
    what_to_bring_items,
)
from tests.export_data import OTHER_FAMILY_MARKERS, SECRET_MARKERS, Seed, add_patient, local, seed_clinic
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
        (ItemKind.APPOINTMENT, 29, "09:30", "Eye clinic (ophthalmology)"),
        (ItemKind.APPOINTMENT, 29, "10:15", "Hearing test (audiology)"),
        (ItemKind.BREAK, 29, "10:45", "Break"),
        (ItemKind.APPOINTMENT, 29, "11:30", "Heart doctor (cardiology)"),
        (ItemKind.LUNCH, 29, "12:00", "Lunch break"),
        (ItemKind.APPOINTMENT, 29, "13:00", "Dietitian (food and nutrition)"),
        (ItemKind.APPOINTMENT, 29, "14:00", "Physiotherapist (movement and exercise)"),  # cancelled
        (ItemKind.BREAK, 29, "14:30", "Break"),  # after the cancelled one, never over it
        (ItemKind.APPOINTMENT, 29, "15:00", "Psychologist (feelings and wellbeing)"),
        (ItemKind.HOTEL_CHECK_IN, 29, "15:00", "Hotel check-in"),  # from 15:00, after what starts then
        (ItemKind.APPOINTMENT, 30, "09:00", "Hormone doctor (endocrinology)"),
        (ItemKind.BREAK, 30, "09:30", "Break"),
        (ItemKind.HOTEL_CHECK_OUT, 30, "10:00", "Hotel check-out"),
        (ItemKind.APPOINTMENT, 30, "11:00", "Meeting with your care team"),
        (ItemKind.TRAVEL_HOME, 30, "14:30", "Travel home"),
    ]
    assert [d for d, _ in itinerary.days] == [dt.date(2027, 3, 29), dt.date(2027, 3, 30)]
    assert itinerary.title == "Clinic visit 29–30 Mar 2027"  # the calendar's name: neither the child nor the clinic


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
    assert (eyes.title, eyes.discipline) == ("Eye clinic (ophthalmology)", "Ophthalmology")
    by_discipline = {i.discipline: i for i in itinerary.appointments}
    assert by_discipline["Physiotherapy"].cancelled
    assert by_discipline["Psychology"].tentative and not by_discipline["Psychology"].cancelled
    meeting = by_discipline["Team meeting"]
    assert meeting.care_team_meeting and meeting.title == "Meeting with your care team"
    assert meeting.professionals == ()  # a meeting with the care team, not a list of every name
    assert meeting.instructions == "The whole team, the family and the charity."
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
    assert [a.title for a in other.appointments] == ["Eye clinic (ophthalmology)"]
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


def test_format_short_date_range_names_the_calendar() -> None:
    assert format_short_date_range(dt.date(2026, 12, 14), dt.date(2026, 12, 15)) == "14–15 Dec 2026"
    assert format_short_date_range(dt.date(2027, 3, 31), dt.date(2027, 4, 1)) == "31 Mar – 1 Apr 2027"
    assert format_short_date_range(dt.date(2027, 12, 31), dt.date(2028, 1, 1)) == "31 Dec 2027 – 1 Jan 2028"
    assert format_short_date_range(dt.date(2027, 3, 29), dt.date(2027, 3, 29)) == "29 Mar 2027"


# ------------------------------------------------------------------------------------------------------------
# Plain language
# ------------------------------------------------------------------------------------------------------------


def test_every_discipline_has_a_capitalised_family_name() -> None:
    table = discipline_defaults()
    assert len(table) >= 17
    for name, entry in table.items():
        family = family_name(name)
        assert family == entry.family and family[:1].isupper(), (name, family)
        assert family.casefold() != name.casefold(), (name, family)  # plain words, not just the discipline
    assert family_name("phlebotomy") == "Blood test"
    assert family_name("Ophthalmology") == "Eye clinic (ophthalmology)"
    assert family_name("hearing") == "Hearing test (audiology)"  # an alias
    assert family_name("renal") == "Kidney doctor (renal)"
    assert family_name("round table") == CARE_TEAM_MEETING
    # A discipline the file does not know is shown as recorded, capitalised.
    assert family_name("podiatry for ENT") == "Podiatry for ENT"


def test_a_discipline_without_a_family_name_falls_back_to_its_label(tmp_path: Path) -> None:
    path = tmp_path / "disciplines.toml"
    path.write_text(
        '[disciplines.orthoptics]\nlabel = "eye muscles (orthoptics)"\n[disciplines.podiatry]\nminutes = 20\n'
        '[disciplines.speech]\nfamily = "speech and language therapy"\n',
        encoding="utf-8",
    )
    assert family_name("orthoptics", path) == "Eye muscles (orthoptics)"
    assert family_name("podiatry", path) == "Podiatry"
    assert family_name("speech", path) == "Speech and language therapy"


# ------------------------------------------------------------------------------------------------------------
# Breaks
# ------------------------------------------------------------------------------------------------------------

_DAY = dt.date(2027, 3, 29)
_TZ = ZoneInfo("Europe/London")


def _appointment(start_minute: int, minutes: int, cancelled: bool) -> ItineraryItem:
    start = dt.datetime.combine(_DAY, dt.time(8), tzinfo=_TZ) + dt.timedelta(minutes=start_minute)
    return ItineraryItem(
        kind=ItemKind.APPOINTMENT,
        day=_DAY,
        title="Blood test",
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        uid=f"{start_minute}-{minutes}-{cancelled}@test.invalid",
        cancelled=cancelled,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 9 * 60), st.sampled_from([10, 15, 30, 45, 60, 90]), st.booleans()),
        max_size=10,
    )
)
def test_a_break_never_overlaps_an_appointment(slots: list[tuple[int, int, bool]]) -> None:
    shown = [_appointment(*slot) for slot in slots]
    found = breaks(shown)
    live = [a for a in shown if a.live]
    if not live:
        assert found == []
        return
    assert sum(1 for b in found if b.kind is ItemKind.LUNCH) <= 1
    first = min(a.start for a in live if a.start)
    last = max(a.end for a in live if a.end)
    for gap in found:
        assert gap.start is not None and gap.end is not None
        assert gap.end - gap.start >= MIN_BREAK
        assert first <= gap.start and gap.end <= last
        for appointment in shown:  # cancelled ones too: they are printed
            assert appointment.start is not None and appointment.end is not None
            assert not (appointment.start < gap.end and gap.start < appointment.end), (gap, appointment)
    # Every free half hour between live appointments with nothing printed in it is a break.
    busy = sorted((a.start, a.end) for a in shown if a.start and a.end)
    free = []
    latest = busy[0][1]
    for start, end in busy[1:]:
        if start - latest >= MIN_BREAK and first <= latest and start <= last:
            free.append((latest, start))
        latest = max(latest, end)
    assert [(b.start, b.end) for b in found] == free


# ------------------------------------------------------------------------------------------------------------
# Cancelled appointments, fasting, timed hotel stays, stored UIDs, the family's and the service's choices
# ------------------------------------------------------------------------------------------------------------


def test_a_cancelled_appointment_leaves_nothing_to_do(session: Session) -> None:
    seed = seed_clinic(session)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    fasting = itinerary.fasting_appointment
    assert fasting is not None and fasting.discipline == "Ophthalmology"
    eyes = session.get(Appointment, seed.appointment_ids[0])
    assert eyes is not None and eyes.fasting
    eyes.status = AppointmentStatus.CANCELLED
    session.add(eyes)
    session.flush()
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    cancelled = next(i for i in itinerary.appointments if i.uid == eyes.uid)
    assert cancelled.cancelled and cancelled.instructions == "" and not cancelled.fasting
    assert itinerary.fasting_appointment is None  # no fasting appointment remains
    assert itinerary.first_appointment is not None and itinerary.first_appointment.discipline == "Audiology"


def _attendance(session: Session, clinic_id: int, patient_id: int) -> ClinicAttendance:
    return session.exec(
        select(ClinicAttendance).where(
            col(ClinicAttendance.clinic_event_id) == clinic_id, col(ClinicAttendance.patient_id) == patient_id
        )
    ).one()


def test_hotel_check_in_and_check_out_are_timed(session: Session) -> None:
    seed = seed_clinic(session)
    hotel = [i for i in build_itinerary(session, seed.clinic_id, seed.patient_id).items if i.place]
    assert [(i.kind, i.start) for i in hotel] == [
        (ItemKind.HOTEL_CHECK_IN, dt.datetime(2027, 3, 29, 15, 0, tzinfo=_TZ)),
        (ItemKind.HOTEL_CHECK_OUT, dt.datetime(2027, 3, 30, 10, 0, tzinfo=_TZ)),
    ]
    attendance = _attendance(session, seed.clinic_id, seed.patient_id)
    attendance.hotel_check_in = dt.date(2027, 3, 27)  # the Saturday before the clocks go forward
    attendance.hotel_check_in_time = dt.time(14, 30)
    attendance.hotel_nights = 3
    session.add(attendance)
    session.flush()
    hotel = [i for i in build_itinerary(session, seed.clinic_id, seed.patient_id).items if i.place]
    check_in, check_out = hotel
    assert (check_in.day, check_in.start) == (dt.date(2027, 3, 27), dt.datetime(2027, 3, 27, 14, 30, tzinfo=_TZ))
    assert check_in.start is not None and check_in.start.utcoffset() == dt.timedelta(0)  # GMT
    assert (check_out.day, check_out.start) == (dt.date(2027, 3, 30), dt.datetime(2027, 3, 30, 10, 0, tzinfo=_TZ))
    assert check_out.start is not None and check_out.start.utcoffset() == dt.timedelta(hours=1)  # BST


def test_travel_and_hotel_use_stored_uids_unique_across_clinics_and_families(session: Session) -> None:
    first = seed_clinic(session)
    second = seed_clinic(session, dt.date(2027, 10, 4), clinic_name="Autumn clinic")
    uids: list[str] = []
    for seed in (first, second):
        for patient_id in (seed.patient_id, seed.other_patient_id):
            attendance = _attendance(session, seed.clinic_id, patient_id)
            attendance.travel_out_depart = attendance.travel_out_depart or local(seed_day(session, seed), 7)
            attendance.travel_home_depart = attendance.travel_home_depart or local(seed_day(session, seed), 18)
            session.add(attendance)
            session.flush()
            itinerary = build_itinerary(session, seed.clinic_id, patient_id)
            stored = {
                ItemKind.TRAVEL_OUT: attendance.travel_out_uid,
                ItemKind.TRAVEL_HOME: attendance.travel_home_uid,
                ItemKind.HOTEL_CHECK_IN: attendance.hotel_check_in_uid,
                ItemKind.HOTEL_CHECK_OUT: attendance.hotel_check_out_uid,
            }
            others = [i for i in itinerary.items if i.kind in stored]
            assert len(others) == 4
            for item in others:
                assert item.uid == stored[item.kind]
                assert re.fullmatch(r"[0-9a-f-]{36}@coordinator-tui\.invalid", item.uid)  # random: no internal ids
            again = build_itinerary(session, seed.clinic_id, patient_id)
            assert [i.uid for i in again.items] == [i.uid for i in itinerary.items]  # stable
            uids += [i.uid for i in itinerary.items if i.uid]
    assert len(uids) == len(set(uids)) > 16  # unique across two clinics and two families, appointments included


def seed_day(session: Session, seed: Seed) -> dt.date:
    clinic = session.get(ClinicEvent, seed.clinic_id)
    assert clinic is not None
    return clinic.start_date


def test_the_familys_choice_of_titles_and_the_services_details_reach_the_itinerary(session: Session) -> None:
    seed = seed_clinic(session)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    assert not itinerary.detailed_titles  # discreet by default
    assert itinerary.what_to_bring == DEFAULT_WHAT_TO_BRING
    assert itinerary.calendar_contact == "" and itinerary.running_late == ""  # no phone number yet
    patient = session.get(Patient, seed.patient_id)
    service = session.get(Service, seed.service_id)
    assert patient is not None and service is not None
    patient.detailed_calendar_titles = True
    service.what_to_bring = "- Snacks for a long day\n\n  Phone charger  \n* Spare nappies\n"
    service.phone = "0121 496 0000"
    session.add_all([patient, service])
    session.flush()
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    assert itinerary.detailed_titles
    assert itinerary.what_to_bring == ("Snacks for a long day", "Phone charger", "Spare nappies")
    # Calendars say "the clinic team" (the service's names may name the condition); printed itineraries use the
    # short name for families, else the full name.
    assert itinerary.calendar_contact == "the clinic team on 0121 496 0000"
    assert itinerary.running_late == (
        "If you are running late or cannot come, call Fictional Rare Disease Service on 0121 496 0000."
    )
    service.short_name = "Children's clinic"
    session.add(service)
    session.flush()
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    assert itinerary.calendar_contact == "the clinic team on 0121 496 0000"
    assert itinerary.running_late == "If you are running late or cannot come, call Children's clinic on 0121 496 0000."
    assert what_to_bring_items(" \n\n") == DEFAULT_WHAT_TO_BRING


def test_the_closing_meeting_reads_as_a_meeting_with_the_care_team(session: Session) -> None:
    assert is_round_table("Round table") and not is_round_table("cardiology")
    seed = seed_clinic(session)
    cardiology = session.get(Appointment, seed.appointment_ids[2])
    assert cardiology is not None and cardiology.kind == AppointmentKind.CONSULTATION
    cardiology.discipline = "Round table"  # booked as a consultation, named as the meeting
    session.add(cardiology)
    session.flush()
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    meetings = [i for i in itinerary.appointments if i.care_team_meeting]
    assert [(m.title, m.professionals) for m in meetings] == [(CARE_TEAM_MEETING, ()), (CARE_TEAM_MEETING, ())]
