"""Withdrawals reach the calendar: for each way an event stops being current (an appointment deleted, travel or the
hotel removed, a family that declined or was cancelled, a cancelled clinic, a moved clinic), export, change,
re-export: the second file carries the old UID with STATUS:CANCELLED, its last sent times and a higher SEQUENCE, and
parses in icalendar's strict mode. A family never sent anything gets no file. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest
from sqlmodel import Session, select

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.export.service import (
    export_families_to_tell,
    export_for_screen,
    export_itineraries,
    itinerary_preview,
)
from coordinator_tui.models import (
    Appointment,
    AttendanceStatus,
    CancelledBy,
    ClinicAttendance,
    ClinicEvent,
    ExportedEvent,
)
from coordinator_tui.services.clinics import appointments, clinics
from coordinator_tui.services.clinics.clinic_moves import move_clinic
from coordinator_tui.services.itineraries.families_to_tell import clinic_families_to_tell
from coordinator_tui.services.itineraries.itinerary import NotAttendingError
from tests.export_data import Seed, seed_clinic
from tests.ics_checks import events_by_uid, parse_strict
from tests.postgres_server import both_databases

pytestmark = both_databases


def later(hours: int = 1) -> None:
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=hours))


@pytest.fixture
def seed(db: Database) -> Seed:
    """The seeded clinic (29–30/03/2027), both attending families confirmed."""
    with db.session() as session:
        seeded = seed_clinic(session)
        other = _place(session, seeded.clinic_id, seeded.other_patient_id)
        other.status = AttendanceStatus.CONFIRMED
        session.add(other)
    return seeded


def _place(session: Session, clinic_id: int, patient_id: int) -> ClinicAttendance:
    return session.exec(
        select(ClinicAttendance).where(
            ClinicAttendance.clinic_event_id == clinic_id, ClinicAttendance.patient_id == patient_id
        )
    ).one()


def _set_place(session: Session, seed: Seed, **values: object) -> None:
    place = _place(session, seed.clinic_id, seed.patient_id)
    clinics.update_attendance(session, place.id or 0, values)


def _appointment(session: Session, seed: Seed, discipline: str) -> Appointment:
    return session.exec(
        select(Appointment).where(Appointment.patient_id == seed.patient_id, Appointment.discipline == discipline)
    ).one()


def export_ics(db: Database, seed: Seed, out: Path) -> icalendar.Calendar:
    """One family's calendar file, exported and parsed strictly."""
    [path] = export_itineraries(db, seed.clinic_id, seed.patient_id, out, formats=["ics"])
    return parse_strict(path.read_bytes())


def change(db: Database, what: Callable[[Session], object]) -> None:
    with db.session() as session:
        what(session)
    later()


def _summary_and_times(event: icalendar.Event) -> tuple[str, object, object]:
    end = event.decoded("DTEND") if "DTEND" in event else None
    return str(event["SUMMARY"]), event.decoded("DTSTART"), end


def withdrawn_after(
    db: Database, seed: Seed, tmp_path: Path, what: Callable[[Session], object]
) -> tuple[dict[str, icalendar.Event], dict[str, icalendar.Event]]:
    """Export, make the change, export again: (events of the first file, events of the second), by UID."""
    first = events_by_uid(export_ics(db, seed, tmp_path / "first"))
    later()
    change(db, what)
    second = events_by_uid(export_ics(db, seed, tmp_path / "second"))
    return first, second


def assert_withdrawn(first: dict[str, icalendar.Event], second: dict[str, icalendar.Event], uids: set[str]) -> None:
    """Each of ``uids`` was sent, and goes out again cancelled: old UID, same times, higher SEQUENCE, no alarm,
    titled 'Cancelled: <the title it was sent with>'."""
    assert uids and uids <= set(first) and uids <= set(second)
    for uid in uids:
        before, after = first[uid], second[uid]
        assert str(after["STATUS"]) == "CANCELLED"
        assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
        assert after.decoded("DTSTART") == before.decoded("DTSTART")
        if "DTEND" in before:
            assert after.decoded("DTEND") == before.decoded("DTEND")
        sent_title = str(before["SUMMARY"]).removeprefix("CANCELLED: ")
        assert str(after["SUMMARY"]) == f"Cancelled: {sent_title}"
        assert not after.walk("VALARM")


def _uids(session: Session, seed: Seed, kinds: set[str]) -> set[str]:
    rows = session.exec(
        select(ExportedEvent).where(
            ExportedEvent.clinic_event_id == seed.clinic_id, ExportedEvent.patient_id == seed.patient_id
        )
    ).all()
    return {r.uid for r in rows if r.kind in kinds}


# ------------------------------------------------------------------------------------------------------------
# What is stored per event
# ------------------------------------------------------------------------------------------------------------


def test_every_export_stores_what_each_event_showed(db: Database, seed: Seed, tmp_path: Path) -> None:
    calendar = events_by_uid(export_ics(db, seed, tmp_path))
    with db.session() as session:
        rows = {
            r.uid: r
            for r in session.exec(select(ExportedEvent).where(ExportedEvent.patient_id == seed.patient_id)).all()
        }
    assert set(rows) == set(calendar)
    kinds = {r.kind for r in rows.values()}
    assert {"appointment", "travel_out", "travel_home", "hotel_check_in", "hotel_check_out"} <= kinds
    for uid, event in calendar.items():
        row = rows[uid]
        assert row.summary == str(event["SUMMARY"])
        assert row.location == str(event.get("LOCATION", ""))
        assert row.status == str(event["STATUS"])
        start = event.decoded("DTSTART")
        if isinstance(start, dt.datetime):
            assert row.start == start and row.end == event.decoded("DTEND") and row.day is None
        else:
            assert row.day == start and row.start is None
        assert row.withdrawn_at is None


# ------------------------------------------------------------------------------------------------------------
# Each withdrawal, export -> change -> re-export
# ------------------------------------------------------------------------------------------------------------


def test_a_deleted_appointment_goes_out_cancelled(db: Database, seed: Seed, tmp_path: Path) -> None:
    with db.session() as session:
        uid = _appointment(session, seed, "Dietetics").uid
    first, second = withdrawn_after(
        db, seed, tmp_path, lambda s: appointments.delete_appointment(s, _appointment(s, seed, "Dietetics").id or 0)
    )
    assert_withdrawn(first, second, {uid})
    # Every other event is still there, as it was: the file is a full picture.
    assert set(second) == set(first)
    for other in set(first) - {uid}:
        assert int(second[other]["SEQUENCE"]) == int(first[other]["SEQUENCE"])


def test_removed_travel_goes_out_cancelled(db: Database, seed: Seed, tmp_path: Path) -> None:
    with db.session() as session:
        uid = _place(session, seed.clinic_id, seed.patient_id).travel_home_uid
    first, second = withdrawn_after(
        db, seed, tmp_path, lambda s: _set_place(s, seed, travel_home_depart=None, travel_home_arrive=None)
    )
    assert_withdrawn(first, second, {uid})


def test_a_removed_hotel_goes_out_cancelled(db: Database, seed: Seed, tmp_path: Path) -> None:
    with db.session() as session:
        place = _place(session, seed.clinic_id, seed.patient_id)
        uids = {place.hotel_check_in_uid, place.hotel_check_out_uid}
    first, second = withdrawn_after(
        db, seed, tmp_path, lambda s: _set_place(s, seed, hotel_name="", hotel_check_in=None, hotel_nights=0)
    )
    assert_withdrawn(first, second, uids)


def test_a_hotel_night_more_moves_the_check_out_in_place(db: Database, seed: Seed, tmp_path: Path) -> None:
    with db.session() as session:
        uid = _place(session, seed.clinic_id, seed.patient_id).hotel_check_out_uid
    first, second = withdrawn_after(db, seed, tmp_path, lambda s: _set_place(s, seed, hotel_nights=2))
    assert str(second[uid]["STATUS"]) != "CANCELLED"
    assert second[uid].decoded("DTSTART") > first[uid].decoded("DTSTART")
    assert int(second[uid]["SEQUENCE"]) == int(first[uid]["SEQUENCE"]) + 1
    assert not [e for e in second.values() if str(e["STATUS"]) == "CANCELLED" and str(first[e["UID"]]["STATUS"])
                != "CANCELLED"]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "cancelled_by"),
    [(AttendanceStatus.DECLINED, ""), (AttendanceStatus.CANCELLED, CancelledBy.FAMILY.value)],
    ids=["declined", "cancelled"],
)
def test_a_family_no_longer_coming_gets_a_cancellation_only_file(
    db: Database, seed: Seed, tmp_path: Path, status: AttendanceStatus, cancelled_by: str
) -> None:
    first = events_by_uid(export_ics(db, seed, tmp_path / "first"))
    later()
    values: dict[str, object] = {"status": status}
    if cancelled_by:
        values["cancelled_by"] = cancelled_by
    change(db, lambda s: _set_place(s, seed, **values))
    second = events_by_uid(export_ics(db, seed, tmp_path / "second"))
    live = {uid for uid, e in first.items() if str(e["STATUS"]) != "CANCELLED"}
    assert_withdrawn(first, second, live)
    assert set(second) == set(first)  # the appointment sent as cancelled goes out cancelled too
    assert all(str(e["STATUS"]) == "CANCELLED" for e in second.values())
    # Only the calendar file: no itinerary to print for a family not coming.
    paths = export_itineraries(db, seed.clinic_id, seed.patient_id, tmp_path / "all", formats=["ics", "txt", "html"])
    assert [p.suffix for p in paths] == [".ics"]
    with pytest.raises(NotAttendingError, match="only a calendar file"):
        export_itineraries(db, seed.clinic_id, seed.patient_id, tmp_path / "txt", formats=["txt"])
    assert not (tmp_path / "txt").exists()


def test_a_cancelled_clinic_gets_cancellation_only_files(db: Database, seed: Seed, tmp_path: Path) -> None:
    first = events_by_uid(export_ics(db, seed, tmp_path / "first"))
    later()
    change(db, lambda s: clinics.cancel_clinic_event(s, seed.clinic_id))
    second = events_by_uid(export_ics(db, seed, tmp_path / "second"))
    live = {uid for uid, e in first.items() if str(e["STATUS"]) != "CANCELLED"}
    assert_withdrawn(first, second, live)
    assert set(second) == set(first)


def test_a_moved_clinic_updates_in_place_and_a_family_who_cannot_come_gets_the_old_dates_cancelled(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    """A move keeps every UID (appointments, travel, hotel): the next file moves them (same UID, new times, higher
    SEQUENCE), nothing is cancelled. A family who then cannot come gets the events they were sent cancelled, at
    the times they were sent (the old dates)."""
    first = events_by_uid(export_ics(db, seed, tmp_path / "first"))
    later()

    def move(session: Session) -> None:
        clinic = session.get(ClinicEvent, seed.clinic_id)
        assert clinic is not None
        move_clinic(session, seed.clinic_id, dt.date(2027, 4, 12), expected_version=clinic.version)

    change(db, move)
    moved = events_by_uid(export_ics(db, seed, tmp_path / "moved"))
    assert set(moved) == set(first)
    for uid, event in moved.items():
        assert str(event["STATUS"]) == str(first[uid]["STATUS"])
        assert int(event["SEQUENCE"]) == int(first[uid]["SEQUENCE"]) + 1
        assert event.decoded("DTSTART") != first[uid].decoded("DTSTART")

    # A family sent the old dates only, who cannot come to the new ones (a second clinic of its own).
    with db.session() as session:
        seeded = seed_clinic(session, start=dt.date(2027, 5, 10), clinic_name="Second combined clinic")
    sent = events_by_uid(export_ics(db, seeded, tmp_path / "q2-first"))
    later()

    def move_and_decline(session: Session) -> None:
        clinic = session.get(ClinicEvent, seeded.clinic_id)
        assert clinic is not None
        move_clinic(session, seeded.clinic_id, dt.date(2027, 5, 24), expected_version=clinic.version)
        _set_place(session, seeded, status=AttendanceStatus.DECLINED)

    change(db, move_and_decline)
    cancelled = events_by_uid(export_ics(db, seeded, tmp_path / "q2-second"))
    live = {uid for uid, e in sent.items() if str(e["STATUS"]) != "CANCELLED"}
    assert_withdrawn(sent, cancelled, live)


def test_a_cancellation_keeps_its_sequence_on_later_exports(db: Database, seed: Seed, tmp_path: Path) -> None:
    with db.session() as session:
        uid = _appointment(session, seed, "Dietetics").uid
    _first, second = withdrawn_after(
        db, seed, tmp_path, lambda s: appointments.delete_appointment(s, _appointment(s, seed, "Dietetics").id or 0)
    )
    with db.session() as session:
        row = session.exec(select(ExportedEvent).where(ExportedEvent.uid == uid)).one()
        withdrawn_at = row.withdrawn_at
    assert withdrawn_at is not None
    later()
    third = events_by_uid(export_ics(db, seed, tmp_path / "third"))
    assert third[uid]["SEQUENCE"] == second[uid]["SEQUENCE"]
    assert str(third[uid]["STATUS"]) == "CANCELLED"
    with db.session() as session:
        assert session.exec(select(ExportedEvent).where(ExportedEvent.uid == uid)).one().withdrawn_at == withdrawn_at


def test_travel_put_back_is_current_again(db: Database, seed: Seed, tmp_path: Path) -> None:
    with db.session() as session:
        place = _place(session, seed.clinic_id, seed.patient_id)
        uid, depart, arrive = place.travel_home_uid, place.travel_home_depart, place.travel_home_arrive
    _first, second = withdrawn_after(
        db, seed, tmp_path, lambda s: _set_place(s, seed, travel_home_depart=None, travel_home_arrive=None)
    )
    assert str(second[uid]["STATUS"]) == "CANCELLED"
    change(db, lambda s: _set_place(s, seed, travel_home_depart=depart, travel_home_arrive=arrive))
    third = events_by_uid(export_ics(db, seed, tmp_path / "third"))
    assert str(third[uid]["STATUS"]) == "CONFIRMED"
    assert int(third[uid]["SEQUENCE"]) > int(second[uid]["SEQUENCE"])
    with db.session() as session:
        assert session.exec(select(ExportedEvent).where(ExportedEvent.uid == uid)).one().withdrawn_at is None


# ------------------------------------------------------------------------------------------------------------
# Who gets a file
# ------------------------------------------------------------------------------------------------------------


def test_a_family_never_sent_anything_gets_no_file(db: Database, seed: Seed, tmp_path: Path) -> None:
    with pytest.raises(NotAttendingError, match="has declined"):
        export_itineraries(db, seed.clinic_id, seed.declined_patient_id, tmp_path / "d", formats=["ics"])
    change(db, lambda s: clinics.cancel_clinic_event(s, seed.clinic_id))
    with pytest.raises(NotAttendingError, match="never sent an itinerary"):
        export_itineraries(db, seed.clinic_id, seed.patient_id, tmp_path / "c", formats=["ics"])
    assert not (tmp_path / "d").exists() and not (tmp_path / "c").exists()
    outcome = export_for_screen(db, seed.clinic_id, None, tmp_path / "all", ("ics",), False)
    assert outcome.error is None and outcome.paths == []


def test_the_whole_clinic_export_writes_cancellations_for_families_no_longer_coming(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    export_for_screen(db, seed.clinic_id, None, tmp_path / "first", ("ics", "txt"), False)
    later()
    change(db, lambda s: _set_place(s, seed, status=AttendanceStatus.DECLINED))
    outcome = export_for_screen(db, seed.clinic_id, None, tmp_path / "second", ("ics", "txt"), False)
    assert outcome.error is None
    mine = [p for p in outcome.paths if p.stem.endswith(f"p{seed.patient_id}")]
    theirs = [p for p in outcome.paths if p.stem.endswith(f"p{seed.other_patient_id}")]
    assert [p.suffix for p in mine] == [".ics"] and sorted(p.suffix for p in theirs) == [".ics", ".txt"]
    events = parse_strict(mine[0].read_bytes()).walk("VEVENT")
    assert events and all(str(e["STATUS"]) == "CANCELLED" for e in events)
    assert outcome.skipped is not None
    assert "1 family no longer coming gets a calendar file (.ics) cancelling what it was sent" in outcome.skipped
    preview = itinerary_preview(db, seed.clinic_id, seed.patient_id)
    assert preview.error is None and preview.text is not None and "no longer coming" in preview.text
    assert preview.cancellation_only == {seed.patient_id}
    whole = itinerary_preview(db, seed.clinic_id, None)
    assert whole.cancellation_only == {seed.patient_id}
    assert {it.patient_id for it, _stem in whole.previews} == {seed.patient_id, seed.other_patient_id}


def test_exporting_the_families_to_tell_writes_each_of_them(db: Database, seed: Seed, tmp_path: Path) -> None:
    export_for_screen(db, seed.clinic_id, None, tmp_path / "first", ("ics",), False)
    later()
    change(db, lambda s: _set_place(s, seed, status=AttendanceStatus.DECLINED))
    change(db, lambda s: clinics.update_attendance(s, _place(s, seed.clinic_id, seed.other_patient_id).id or 0,
                                                   {"hotel_reference": "HTL-99"}))  # fmt: skip
    assert {f.patient_id for f in clinic_families_to_tell(db, seed.clinic_id)} == {
        seed.patient_id,
        seed.other_patient_id,
    }
    outcome = export_families_to_tell(db, tmp_path / "to-tell", ("txt",))
    assert outcome.error is None and outcome.note is not None and "2 families to tell at 1 clinic" in outcome.note
    names = sorted(p.name for p in outcome.paths)
    assert names == sorted(
        [f"2027-03-29_family-p{seed.patient_id}.ics", f"2027-03-29_family-p{seed.other_patient_id}.ics",
         f"2027-03-29_family-p{seed.other_patient_id}.txt"]
    )  # fmt: skip
    # The change is cleared by the export; the withdrawal stays until the family is told.
    left = clinic_families_to_tell(db, seed.clinic_id)
    assert [f.patient_id for f in left] == [seed.patient_id]
    assert not left[0].unsent and left[0].mark == "! tell"
    assert export_families_to_tell(db, tmp_path / "again", ("ics",)).paths  # still listed: written again
