"""The .ics export, checked with an independent strict parser (icalendar) against the database: right the first
time (property order, stored UIDs, the evening reminder, nothing to do for what is cancelled, timed hotel stays,
a LOCATION that does not repeat itself), discreet by default, in plain language."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from coordinator_tui.export import export_itineraries
from coordinator_tui.export.ics import (
    MAX_LINE_OCTETS,
    CalendarEntry,
    _event,
    calendar_entries,
    clean_text,
    fold,
    itinerary_to_ics,
)
from coordinator_tui.export.ics import properties_before_alarms as properties_before_alarms_in
from coordinator_tui.models import (
    Appointment,
    AppointmentStatus,
    ClinicAttendance,
    ClinicEvent,
    ExportedEvent,
    Patient,
    Service,
)
from coordinator_tui.services.itineraries.itinerary import build_itinerary
from tests.export_data import PLANTED, hostile_itinerary, seed_clinic, seed_planted_markers, seed_simple_clinic
from tests.ics_checks import check_framing, events_by_uid, parse_strict, properties_before_alarms, unescaped_value
from tests.postgres_server import both_databases
from tests.venue_helpers import clinic_room

pytestmark = both_databases

LONDON = ZoneInfo("Europe/London")
REMINDER_MINUTES = 45  # the service's reminder lead, from its details in the database


def _export_ics(session: Session, clinic_id: int, patient_id: int | None, out: Path) -> list[Path]:
    clinic = session.get(ClinicEvent, clinic_id)
    assert clinic is not None
    service = session.get(Service, clinic.service_id)
    assert service is not None
    service.reminder_minutes_before = REMINDER_MINUTES
    session.add(service)
    session.flush()
    return export_itineraries(session, clinic_id, patient_id, out, ["ics"])


def _calendar(path: Path) -> icalendar.Calendar:
    return parse_strict(path.read_bytes())


def test_every_event_matches_the_database(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    [path] = _export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)
    calendar = _calendar(path)
    assert str(calendar["X-WR-CALNAME"]) == "Clinic visit 29–30 Mar 2027"
    events = events_by_uid(calendar)
    appointments = session.exec(select(Appointment).where(col(Appointment.patient_id) == seed.patient_id)).all()
    assert len(appointments) == 8
    for appointment in appointments:
        event = events.pop(appointment.uid)
        assert event.decoded("DTSTART") == appointment.start
        assert event.decoded("DTEND") == appointment.end
        assert event.decoded("DTSTART").tzinfo is not None
        expected = "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else None
        if expected:
            assert event["STATUS"] == expected
    attendance = session.exec(select(ClinicAttendance).where(col(ClinicAttendance.patient_id) == seed.patient_id)).one()
    out, home = events.pop(attendance.travel_out_uid), events.pop(attendance.travel_home_uid)
    assert (str(out["SUMMARY"]), str(home["SUMMARY"])) == ("Travel (train)", "Travel home (train)")
    assert (out.decoded("DTSTART"), out.decoded("DTEND")) == (
        attendance.travel_out_depart,
        attendance.travel_out_arrive,
    )
    assert (home.decoded("DTSTART"), home.decoded("DTEND")) == (
        attendance.travel_home_depart,
        attendance.travel_home_arrive,
    )
    check_in, check_out = events.pop(attendance.hotel_check_in_uid), events.pop(attendance.hotel_check_out_uid)
    # Timed, not all day: check in from 15:00 (the hotel gave no time), check out by 10:00 the last morning.
    assert check_in.decoded("DTSTART") == dt.datetime(2027, 3, 29, 15, 0, tzinfo=LONDON)
    assert check_out.decoded("DTSTART") == dt.datetime(2027, 3, 30, 10, 0, tzinfo=LONDON)
    for event in (check_in, check_out):
        assert isinstance(event.decoded("DTEND"), dt.datetime) and event.decoded("DTEND") > event.decoded("DTSTART")
        assert event["TRANSP"] == "TRANSPARENT" and str(event["LOCATION"]) == attendance.hotel_address
    assert (str(check_in["SUMMARY"]), str(check_out["SUMMARY"])) == ("Hotel check-in", "Hotel check-out")
    assert "Check in from 15:00\nFictional Lodge" in str(check_in["DESCRIPTION"])
    assert "Check out by 10:00\nFictional Lodge" in str(check_out["DESCRIPTION"])
    assert events == {}  # breaks are not calendar events


def test_wall_clock_times_across_both_clock_changes(session: Session, tmp_path: Path) -> None:
    """Saturday/Sunday clinics straddling the last Sunday of March and of October 2027: 09:00 stays 09:00."""
    cases = {
        dt.date(2027, 3, 27): ("20270327T090000Z", "20270328T080000Z"),  # GMT, then BST
        dt.date(2027, 10, 30): ("20271030T080000Z", "20271031T090000Z"),  # BST, then GMT
    }
    for start, (utc_day1, utc_day2) in cases.items():
        clinic_id, patient_id = seed_simple_clinic(session, start, [(0, 9, 0), (0, 13, 30), (1, 9, 0), (1, 13, 30)])
        [path] = _export_ics(session, clinic_id, patient_id, tmp_path / start.isoformat())
        raw = path.read_bytes().decode()
        assert f"DTSTART:{utc_day1}" in raw and f"DTSTART:{utc_day2}" in raw
        calendar = _calendar(path)
        db_rows = session.exec(select(Appointment).where(col(Appointment.clinic_event_id) == clinic_id)).all()
        events = events_by_uid(calendar)
        local_times = []
        for appointment in db_rows:
            event = events[appointment.uid]
            assert event.decoded("DTSTART") == appointment.start
            assert event.decoded("DTEND") == appointment.end
            begin = event.decoded("DTSTART").astimezone(LONDON)
            end = event.decoded("DTEND").astimezone(LONDON)
            assert end - begin == dt.timedelta(minutes=30)
            local_times.append((begin.date(), f"{begin:%H:%M}"))
        assert sorted(local_times) == [
            (start, "09:00"),
            (start, "13:30"),
            (start + dt.timedelta(days=1), "09:00"),
            (start + dt.timedelta(days=1), "13:30"),
        ]


def _alarm_moments(event: icalendar.Event) -> list[tuple[dt.datetime, str]]:
    start = event.decoded("DTSTART")
    return [(start + alarm.decoded("TRIGGER"), str(alarm["DESCRIPTION"])) for alarm in event.walk("VALARM")]


def test_reminders_evening_before_and_before_each_appointment(session: Session, tmp_path: Path) -> None:
    # A clinic starting on the Sunday the clocks go forward: the evening before is still GMT.
    clinic_id, patient_id = seed_simple_clinic(session, dt.date(2027, 3, 28), [(0, 9, 0), (1, 10, 0)])
    [path] = _export_ics(session, clinic_id, patient_id, tmp_path)
    calendar = _calendar(path)
    appointments = _appointment_events(session, calendar, clinic_id)
    first, second = (_alarm_moments(e) for e in appointments)
    evening, before_first = first
    assert evening[0].astimezone(LONDON) == dt.datetime(2027, 3, 27, 18, 0, tzinfo=LONDON)
    assert evening[1] == "Tomorrow: Sunday 28 March, first appointment at 09:00."
    assert before_first[0] == appointments[0].decoded("DTSTART") - dt.timedelta(minutes=45)
    assert before_first[1] == "Reminder: Hospital appointment at 09:00."
    assert [m for m, _ in second] == [appointments[1].decoded("DTSTART") - dt.timedelta(minutes=45)]
    for alarm in calendar.walk("VALARM"):
        assert alarm["ACTION"] == "DISPLAY" and str(alarm["DESCRIPTION"])
    # Travel has no alarm.
    travel = next(e for e in calendar.walk("VEVENT") if "Travel" in str(e["SUMMARY"]))
    assert not travel.walk("VALARM")


def _appointment_events(session: Session, calendar: icalendar.Calendar, clinic_id: int) -> list[icalendar.Event]:
    """The calendar's appointment events (found by the appointments' UIDs), in time order."""
    uids = set(session.exec(select(Appointment.uid).where(col(Appointment.clinic_event_id) == clinic_id)).all())
    return sorted((e for e in calendar.walk("VEVENT") if str(e["UID"]) in uids), key=lambda e: e.decoded("DTSTART"))


def test_the_evening_reminder_comes_before_the_first_appointment_still_on(session: Session, tmp_path: Path) -> None:
    """Day 1 (Monday) has nothing left: the reminder fires on Monday evening, naming Tuesday, not on Sunday."""
    start = dt.date(2027, 3, 29)
    clinic_id, patient_id = seed_simple_clinic(session, start, [(0, 9, 0), (0, 11, 0), (1, 10, 0), (1, 14, 0)])
    for appointment in session.exec(select(Appointment).where(col(Appointment.clinic_event_id) == clinic_id)).all():
        if appointment.start.astimezone(LONDON).date() == start:
            appointment.status = AppointmentStatus.CANCELLED
            session.add(appointment)
    session.flush()
    [path] = _export_ics(session, clinic_id, patient_id, tmp_path)
    appointments = _appointment_events(session, _calendar(path), clinic_id)
    assert [str(e["STATUS"]) for e in appointments] == ["CANCELLED", "CANCELLED", "CONFIRMED", "CONFIRMED"]
    assert not appointments[0].walk("VALARM") and not appointments[1].walk("VALARM")
    evening = [(m, text) for e in appointments for m, text in _alarm_moments(e) if text.startswith("Tomorrow")]
    assert evening == [
        (dt.datetime(2027, 3, 29, 18, 0, tzinfo=LONDON), "Tomorrow: Tuesday 30 March, first appointment at 10:00.")
    ]
    # Deleted rather than cancelled: the same.
    for appointment in session.exec(select(Appointment).where(col(Appointment.status) == AppointmentStatus.CANCELLED)):
        session.delete(appointment)
    session.flush()
    [path] = _export_ics(session, clinic_id, patient_id, tmp_path / "again")
    first = _appointment_events(session, _calendar(path), clinic_id)[0]
    assert _alarm_moments(first)[0] == evening[0]


def test_stable_uids_and_rising_sequence(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    first = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path / "1")[0]))
    assert {int(e["SEQUENCE"]) for e in first.values()} == {0}

    again = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path / "2")[0]))
    assert again.keys() == first.keys()
    assert {int(e["SEQUENCE"]) for e in again.values()} == {0}  # nothing changed: SEQUENCE kept

    moved = session.get(Appointment, seed.appointment_ids[1])
    cancelled = session.get(Appointment, seed.appointment_ids[2])
    assert moved is not None and cancelled is not None
    moved.start += dt.timedelta(minutes=5)
    moved.end += dt.timedelta(minutes=5)
    cancelled.status = AppointmentStatus.CANCELLED
    session.add_all([moved, cancelled])
    session.flush()
    third = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path / "3")[0]))
    assert third.keys() == first.keys()
    changed = {uid: int(e["SEQUENCE"]) for uid, e in third.items() if int(e["SEQUENCE"])}
    assert changed == {moved.uid: 1, cancelled.uid: 1}
    assert third[moved.uid].decoded("DTSTART") == moved.start
    assert third[cancelled.uid]["STATUS"] == "CANCELLED"
    assert not third[cancelled.uid].walk("VALARM")

    moved.start += dt.timedelta(minutes=5)
    moved.end += dt.timedelta(minutes=5)
    session.add(moved)
    session.flush()
    fourth = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path / "4")[0]))
    assert int(fourth[moved.uid]["SEQUENCE"]) == 2
    assert int(fourth[cancelled.uid]["SEQUENCE"]) == 1
    rows = session.exec(select(ExportedEvent).where(col(ExportedEvent.patient_id) == seed.patient_id)).all()
    assert {r.uid: r.sequence for r in rows} == {uid: int(e["SEQUENCE"]) for uid, e in fourth.items()}


def test_cancelled_appointment_is_exported_cancelled(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    events = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)[0]))
    cancelled = [e for e in events.values() if e["STATUS"] == "CANCELLED"]
    assert len(cancelled) == 1
    assert str(cancelled[0]["SUMMARY"]) == "Cancelled: Hospital appointment"
    assert str(cancelled[0]["DESCRIPTION"]).startswith("This appointment is cancelled: it will not take place.")
    assert events_by_status(events, "TENTATIVE") == ["Hospital appointment (to be confirmed)"]


def events_by_status(events: dict[str, icalendar.Event], status: str) -> list[str]:
    return [str(e["SUMMARY"]) for e in events.values() if e["STATUS"] == status]


def test_fold_never_splits_a_character() -> None:
    line = "DESCRIPTION:" + "é😀a" * 60
    folded = fold(line)
    physical = folded.split(b"\r\n")[:-1]
    assert all(len(p) <= MAX_LINE_OCTETS for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    for p in physical:
        p.decode("utf-8")
    assert b"".join(p[1:] if i else p for i, p in enumerate(physical)).decode() == line
    assert fold("SHORT:x") == b"SHORT:x\r\n"


# ------------------------------------------------------------------------------------------------------------
# Hostile text, generated
# ------------------------------------------------------------------------------------------------------------

hostile_alphabet = st.sampled_from(
    [*"abcXYZ ;,:\\\"'\n\r\t=<>&é", "😀", "ß", "中", "\u2028", "\x00", "\x1b", "\x85", "\ufeff", "\u0301"]
)
hostile = st.one_of(
    st.text(alphabet=hostile_alphabet, max_size=200),
    st.text(max_size=200),
    st.just("x\r\nATTENDEE:mailto:evil@example.com\r\nBEGIN:VALARM"),
    st.just("A" * 200),
    st.just("👨‍👩‍👧 family; " * 15),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, text=hostile, place=hostile)
def test_hostile_text_is_escaped_folded_and_round_trips(name: str, text: str, place: str) -> None:
    itinerary = hostile_itinerary(name, text, place)
    data = itinerary_to_ics(itinerary, stamp=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    calendar = parse_strict(data)  # CRLF, <= 75 octets, UTF-8, only our properties, strict parse, in order
    assert properties_before_alarms(data) == 2
    assert unescaped_value(data, "X-WR-CALNAME") == " ".join(clean_text(itinerary.title).split("\n"))
    events = events_by_uid(calendar)
    assert set(events) == {"u1@test.invalid", "u2@test.invalid"}
    for entry in calendar_entries(itinerary):
        event = events[entry.uid]
        assert str(event["SUMMARY"]) == clean_text(entry.summary)
        assert str(event.get("DESCRIPTION", "")) == clean_text(entry.description)
        assert str(event.get("LOCATION", "")) == clean_text(entry.location)
    assert events["u1@test.invalid"].decoded("DTSTART") == dt.datetime(2027, 3, 28, 8, 0, tzinfo=dt.UTC)
    assert len(calendar.walk("VALARM")) == 2


def test_two_hundred_character_names_from_the_database(session: Session, tmp_path: Path) -> None:
    long_name = "Ÿ" + "a" * 98 + "😀"
    seed = seed_clinic(session, patient_given=long_name, patient_family="O'Brien;\\,\nDROP")
    attendance = session.exec(select(ClinicAttendance).where(col(ClinicAttendance.patient_id) == seed.patient_id)).one()
    attendance.hotel_name = ("Hôtel ; , \\ \n" * 20)[:200]
    session.add(attendance)
    session.flush()
    patient = session.get(Patient, seed.patient_id)
    assert patient is not None
    patient.detailed_calendar_titles = True  # the hotel's name in the title too
    session.add(patient)
    session.flush()
    [path] = _export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)
    calendar = _calendar(path)
    assert str(calendar["X-WR-CALNAME"]) == "Clinic visit 29–30 Mar 2027"  # never the child's name
    hotel = events_by_uid(calendar)[attendance.hotel_check_in_uid]
    assert str(hotel["SUMMARY"]) == "Hotel check-in: " + attendance.hotel_name
    assert attendance.hotel_name in str(hotel["DESCRIPTION"])


# ------------------------------------------------------------------------------------------------------------
# Right the first time
# ------------------------------------------------------------------------------------------------------------


def test_every_vevent_has_its_properties_before_its_alarms(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    # ics 0.7 on its own writes an event's VALARMs first: the reordering is what makes the file right.
    entry = next(e for e in calendar_entries(build_itinerary(session, seed.clinic_id, seed.patient_id)) if e.alarms)
    raw = _event(entry, 0, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lines = raw.serialize().split("\r\n")
    assert lines.index("BEGIN:VALARM") < lines.index(f"UID:{entry.uid}")
    fixed = properties_before_alarms_in(lines)
    assert fixed.index(f"UID:{entry.uid}") < fixed.index("BEGIN:VALARM") and sorted(fixed) == sorted(lines)

    for path in _export_ics(session, seed.clinic_id, None, tmp_path / "all"):
        data = path.read_bytes()
        parse_strict(data)  # every component's properties before its sub-components
        events = data.count(b"BEGIN:VEVENT")
        assert events and properties_before_alarms(data) >= 1


def test_uids_are_unique_across_two_clinics_and_two_families(session: Session, tmp_path: Path) -> None:
    seeds = [seed_clinic(session), seed_clinic(session, dt.date(2027, 10, 4), clinic_name="Autumn clinic")]
    seen: dict[str, Path] = {}
    for index, seed in enumerate(seeds):
        for path in _export_ics(session, seed.clinic_id, None, tmp_path / str(index)):
            for uid in events_by_uid(_calendar(path)):
                assert uid not in seen, (uid, path.name, seen.get(uid))
                assert not re.search(r"c\d+-p\d+", uid)  # no internal ids
                seen[uid] = path
    assert len({p for p in seen.values()}) == 4  # two families at each of two clinics
    assert len(seen) >= 2 * (8 + 4) + 2 * (1 + 2)
    stored = session.exec(select(ClinicAttendance)).all()
    for attendance in stored:
        if attendance.hotel_name:
            assert attendance.hotel_check_in_uid in seen and attendance.hotel_check_out_uid in seen
        if attendance.travel_out_depart:
            assert attendance.travel_out_uid in seen and attendance.travel_home_uid in seen


def test_a_cancelled_appointment_leaves_nothing_to_do_in_the_calendar(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    eyes = session.get(Appointment, seed.appointment_ids[0])
    assert eyes is not None and eyes.fasting and eyes.family_instructions
    before = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path / "1")[0]))
    assert "Please note: Bring your glasses" in str(before[eyes.uid]["DESCRIPTION"])
    assert "Fasting:" in str(before[eyes.uid]["DESCRIPTION"])
    assert any("fasting" in text for e in before.values() for _, text in _alarm_moments(e))

    eyes.status = AppointmentStatus.CANCELLED
    session.add(eyes)
    session.flush()
    after = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path / "2")[0]))
    description = str(after[eyes.uid]["DESCRIPTION"])
    assert description.startswith("This appointment is cancelled")
    for todo in ("Please note", "Bring your glasses", "Fasting", "What to bring"):
        assert todo not in description, todo
    # No fasting appointment remains: no event or reminder mentions fasting.
    for event in after.values():
        assert "fasting" not in str(event.get("DESCRIPTION", "")).casefold()
        assert all("fasting" not in text.casefold() for _, text in _alarm_moments(event))


def test_location_names_the_building_and_venue_once(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    clinic = session.get(ClinicEvent, seed.clinic_id)
    assert clinic is not None
    clinic.venue = "Exampleton Children's Hospital, Outpatients"
    session.add(clinic)
    room = clinic_room(session, clinic, "Room 1", "Outpatients")
    cardiology = session.get(Appointment, seed.appointment_ids[2])
    assert cardiology is not None
    cardiology.room_id = room.id
    session.add(cardiology)
    session.flush()
    events = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)[0]))
    assert str(events[cardiology.uid]["LOCATION"]) == "Outpatients, Exampleton Children's Hospital"
    assert "Where: Room 1, Outpatients, Exampleton Children's Hospital\n" in str(events[cardiology.uid]["DESCRIPTION"])
    appointments = session.exec(select(Appointment).where(col(Appointment.patient_id) == seed.patient_id)).all()
    for appointment in appointments:
        location = str(events[appointment.uid]["LOCATION"])
        parts = [p.strip().casefold() for p in location.split(",")]
        assert len(parts) == len(set(parts)), location  # nothing repeated
        assert "Exampleton Children's Hospital" in location
        assert not any(name in location for name in ("Room 1", "Room 3", "Seminar room"))  # rooms: description


def test_an_all_day_hotel_event_sent_before_updates_in_place(session: Session, tmp_path: Path) -> None:
    """A check-in sent all-day by an older version (same UID, by migration 0010) becomes timed with a higher
    SEQUENCE: the family's calendar updates the event instead of keeping two."""
    seed = seed_clinic(session)
    attendance = session.exec(select(ClinicAttendance).where(col(ClinicAttendance.patient_id) == seed.patient_id)).one()
    old = CalendarEntry(
        uid=attendance.hotel_check_in_uid,
        summary="Hotel check-in: Fictional Lodge",
        description="Fictional Lodge\n1 Imaginary Road, Nowhere NW1 0AA",
        location=attendance.hotel_address,
        status="CONFIRMED",
        day=dt.date(2027, 3, 29),
        transparent=True,
    )
    session.add(
        ExportedEvent(
            uid=old.uid,
            patient_id=seed.patient_id,
            clinic_event_id=seed.clinic_id,
            fingerprint=old.fingerprint(),
            sequence=2,
            last_exported=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
            kind="hotel_check_in",
            day=old.day,
        )
    )
    session.flush()
    events = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)[0]))
    check_in = events[attendance.hotel_check_in_uid]
    assert int(check_in["SEQUENCE"]) == 3
    assert check_in.decoded("DTSTART") == dt.datetime(2027, 3, 29, 15, 0, tzinfo=LONDON)
    row = session.exec(select(ExportedEvent).where(col(ExportedEvent.uid) == attendance.hotel_check_in_uid)).one()
    assert row.sequence == 3


def test_every_event_says_whom_to_call_and_each_appointment_what_to_bring(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    service = session.get(Service, seed.service_id)
    assert service is not None
    service.phone, service.short_name = "0121 496 0000", "Children's clinic"
    service.what_to_bring = "Snacks for a long day\nPhone charger"
    session.add(service)
    session.flush()
    events = events_by_uid(_calendar(_export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)[0]))
    call = "If you are running late or cannot come, call the clinic team on 0121 496 0000."
    appointments = {
        a.uid: a for a in session.exec(select(Appointment).where(col(Appointment.patient_id) == seed.patient_id))
    }
    for uid, event in events.items():
        description = str(event["DESCRIPTION"])
        assert description.endswith(f"\n{call}"), description
        bring = "What to bring:\n- Snacks for a long day\n- Phone charger\n"
        if uid in appointments and appointments[uid].status != AppointmentStatus.CANCELLED:
            assert bring in description
        else:
            assert "What to bring" not in description  # travel, hotel, a cancelled appointment


# ------------------------------------------------------------------------------------------------------------
# Discreet by default; detailed titles on the family's choice
# ------------------------------------------------------------------------------------------------------------


def _lock_screen_texts(data: bytes, calendar: icalendar.Calendar) -> list[str]:
    """What a lock screen or a shared calendar shows: the calendar's name, titles, locations, reminders."""
    texts = [unescaped_value(data, "X-WR-CALNAME")]
    for event in calendar.walk("VEVENT"):
        texts += [str(event["SUMMARY"]), str(event.get("LOCATION", ""))]
        texts += [str(alarm["DESCRIPTION"]) for alarm in event.walk("VALARM")]
    return texts


def test_discreet_titles_name_no_child_condition_specialty_or_professional(session: Session, tmp_path: Path) -> None:
    seed = seed_planted_markers(session)
    [path] = _export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)
    data = path.read_bytes()
    calendar = _calendar(path)
    shown = "\n".join(_lock_screen_texts(data, calendar)).casefold()
    for marker in PLANTED.values():
        assert marker.casefold() not in shown, marker
    for name in ("ophthalmology", "eye clinic", "audiology", "cardiology", "nora", "fictional lodge", "round table"):
        assert name not in shown, name
    assert unescaped_value(data, "X-WR-CALNAME") == "Clinic visit 29–30 Mar 2027"
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert summaries == {
        "Hospital appointment",
        "Cancelled: Hospital appointment",
        "Hospital appointment (to be confirmed)",
        "Travel (train)",
        "Travel home (train)",
        "Hotel check-in",
        "Hotel check-out",
    }
    # The condition and the child are nowhere in the file (the service's full name names the condition: calendars
    # say "the clinic team"); the details a family needs are in the descriptions.
    whole = "".join(check_framing(data)).casefold()
    for key in ("condition", "child_given", "child_family"):
        assert PLANTED[key].casefold() not in whole, key
    descriptions = "\n".join(str(e.get("DESCRIPTION", "")) for e in calendar.walk("VEVENT"))
    assert (
        f"With: Dr Rhea {PLANTED['professional']}" in descriptions and f"{PLANTED['room']} Eye Clinic" in descriptions
    )
    assert "Eye clinic (ophthalmology)\nWith: Dr Nora Fictional" in descriptions
    assert "call the clinic team on 0121 496 0000." in descriptions


def test_detailed_titles_are_plain_language_and_still_name_no_child_or_condition(
    session: Session, tmp_path: Path
) -> None:
    seed = seed_planted_markers(session)
    patient = session.get(Patient, seed.patient_id)
    assert patient is not None
    patient.detailed_calendar_titles = True
    session.add(patient)
    session.flush()
    [path] = _export_ics(session, seed.clinic_id, seed.patient_id, tmp_path)
    data = path.read_bytes()
    calendar = _calendar(path)
    whole = "".join(check_framing(data)).casefold()
    for key in ("condition", "child_given", "child_family"):
        assert PLANTED[key].casefold() not in whole, key
    events = events_by_uid(calendar)
    appointments = {
        a.discipline: a for a in session.exec(select(Appointment).where(col(Appointment.patient_id) == seed.patient_id))
    }
    eyes = events[appointments["Ophthalmology"].uid]
    assert str(eyes["SUMMARY"]) == "Eye clinic (ophthalmology) with Dr Nora Fictional"
    assert [text for _, text in _alarm_moments(eyes)] == [
        "Tomorrow: Monday 29 March, first appointment at 09:30: Eye clinic (ophthalmology). "
        "Remember the fasting instructions.",
        "Reminder: Eye clinic (ophthalmology) with Dr Nora Fictional at 09:30 in Room 3, Eye Block.",
    ]
    meeting = events[appointments["Team meeting"].uid]
    assert str(meeting["SUMMARY"]) == "Meeting with your care team"  # not a list of names
    assert "Nora" not in str(meeting["DESCRIPTION"]) and "Madeup" not in str(meeting["DESCRIPTION"])
    assert str(events[appointments["Physiotherapy"].uid]["SUMMARY"]) == (
        "Cancelled: Physiotherapist (movement and exercise)"
    )
    planted = events[appointments[PLANTED["discipline"]].uid]
    assert str(planted["SUMMARY"]) == f"{PLANTED['discipline']} with Dr Rhea {PLANTED['professional']}"
    assert PLANTED["room"] not in str(planted["LOCATION"])
    assert unescaped_value(data, "X-WR-CALNAME") == "Clinic visit 29–30 Mar 2027"
