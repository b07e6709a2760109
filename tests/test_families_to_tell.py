"""Families to tell: export, change the clinic, and the family is listed with the reason; a re-export takes them off
unless the change is a withdrawal: that stays, saying its cancellation was sent, until the family is recorded as
told (``record_family_told``); on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import local_to_utc, to_local
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_itineraries
from coordinator_tui.models import (
    Appointment,
    AttendanceStatus,
    CancelledBy,
    ClinicAttendance,
    ClinicEvent,
)
from coordinator_tui.services.clinics import appointments, clinics
from coordinator_tui.services.itineraries.families_to_tell import (
    NOT_SENT_YET,
    SENT_ON,
    FamilyToTell,
    clinic_families_to_tell,
    families_to_tell,
    patient_visits_to_tell,
    upcoming_families_to_tell,
)
from coordinator_tui.services.safety.records import update_record
from tests.export_data import ZONE, Seed, add_appointment, seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases

EXPORTED_ON = "25/11/2026"  # FIXED_NOW's date
SENT = SENT_ON.format(EXPORTED_ON)  # a withdrawal's cancellation exported (the same day)


def later(hours: int = 1) -> None:
    """Move the fixed clock on: a change made after the export has a later time than it."""
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=hours))


@pytest.fixture
def seed(db: Database, tmp_path: Path) -> Seed:
    """The seeded clinic (29–30/03/2027) with both attending families confirmed and exported, then an hour on."""
    with db.session() as session:
        seeded = seed_clinic(session)
        other = _place(session, seeded.clinic_id, seeded.other_patient_id)
        other.status = AttendanceStatus.CONFIRMED
        session.add(other)
    for patient_id in (seeded.patient_id, seeded.other_patient_id):
        export_itineraries(db, seeded.clinic_id, patient_id, tmp_path / "first", formats=["ics"])
    later()
    return seeded


def _place(session: Session, clinic_id: int, patient_id: int) -> ClinicAttendance:
    return session.exec(
        select(ClinicAttendance).where(
            ClinicAttendance.clinic_event_id == clinic_id, ClinicAttendance.patient_id == patient_id
        )
    ).one()


def _appointment(session: Session, seed: Seed, discipline: str) -> Appointment:
    return session.exec(
        select(Appointment).where(Appointment.patient_id == seed.patient_id, Appointment.discipline == discipline)
    ).one()


def change(db: Database, what: Callable[[Session], object]) -> None:
    with db.session() as session:
        what(session)
    later()


def to_tell(db: Database, seed: Seed) -> dict[int, FamilyToTell]:
    return {f.patient_id: f for f in clinic_families_to_tell(db, seed.clinic_id)}


def reasons(db: Database, seed: Seed, patient_id: int | None = None) -> list[str]:
    family = to_tell(db, seed).get(patient_id or seed.patient_id)
    return [r.text for r in family.reasons] if family else []


def export_again(db: Database, seed: Seed, tmp_path: Path) -> None:
    export_itineraries(db, seed.clinic_id, None, tmp_path / "again", formats=["ics"])
    later()


# ------------------------------------------------------------------------------------------------------------
# Nothing changed, nothing sent, nothing to come
# ------------------------------------------------------------------------------------------------------------


def test_nobody_is_listed_when_nothing_changed_since_the_export(db: Database, seed: Seed) -> None:
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_a_family_never_sent_anything_is_not_listed(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        seeded = seed_clinic(session)
    export_itineraries(db, seeded.clinic_id, seeded.patient_id, tmp_path, formats=["ics"])
    later()
    change(db, lambda s: _set_place(s, seeded, seeded.other_patient_id, hotel_name="Another Fictional Inn"))
    change(db, lambda s: _set_place(s, seeded, seeded.declined_patient_id, status=AttendanceStatus.CANCELLED))
    assert clinic_families_to_tell(db, seeded.clinic_id) == []


def test_a_past_clinic_is_not_looked_at(db: Database, seed: Seed) -> None:
    change(db, lambda s: _set_place(s, seed, seed.patient_id, status=AttendanceStatus.DECLINED))
    assert reasons(db, seed)
    clock.set_fixed_now(dt.datetime(2027, 3, 31, 9, 0, tzinfo=dt.UTC))  # the day after the clinic's last day
    assert clinic_families_to_tell(db, seed.clinic_id) == []
    assert upcoming_families_to_tell(db) == []


def test_another_familys_change_lists_only_that_family(db: Database, seed: Seed) -> None:
    change(db, lambda s: _set_place(s, seed, seed.other_patient_id, hotel_name="Another Fictional Inn"))
    assert set(to_tell(db, seed)) == {seed.other_patient_id}
    assert reasons(db, seed, seed.other_patient_id) == ["hotel changed"]


def test_an_unknown_clinic_is_refused(db: Database) -> None:
    from coordinator_tui.services.errors import NotFoundError

    with pytest.raises(NotFoundError):
        clinic_families_to_tell(db, 999)


# ------------------------------------------------------------------------------------------------------------
# Each kind of change
# ------------------------------------------------------------------------------------------------------------


def _set_place(session: Session, seed: Seed, patient_id: int, **values: object) -> None:
    place = _place(session, seed.clinic_id, patient_id)
    clinics.update_attendance(session, place.id or 0, values)


def _shift(moment: dt.datetime | None, days: int) -> dt.datetime | None:
    """The same local wall-clock time ``days`` later."""
    if moment is None:
        return None
    local = to_local(moment, ZONE)
    return local_to_utc(local.date() + dt.timedelta(days=days), local.time(), ZONE)


def _move_clinic(session: Session, clinic_id: int, days: int) -> None:
    """The clinic, its appointments, travel and hotel a week later (as a full move does), through audited saves."""
    clinic = session.get(ClinicEvent, clinic_id)
    assert clinic is not None
    update_record(session, ClinicEvent, clinic_id, {"start_date": clinic.start_date + dt.timedelta(days=days)})
    for appointment in session.exec(select(Appointment).where(Appointment.clinic_event_id == clinic_id)).all():
        shifted = {"start": _shift(appointment.start, days), "end": _shift(appointment.end, days)}
        update_record(session, Appointment, appointment.id, shifted)
    for place in session.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == clinic_id)).all():
        values: dict[str, object] = {
            name: _shift(getattr(place, name), days)
            for name in ("travel_out_depart", "travel_out_arrive", "travel_home_depart", "travel_home_arrive")
        }
        if place.hotel_check_in is not None:
            values["hotel_check_in"] = place.hotel_check_in + dt.timedelta(days=days)
        update_record(session, ClinicAttendance, place.id, values)


def test_clinic_moved_names_the_old_and_new_dates_and_a_re_export_clears_it(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    change(db, lambda s: _move_clinic(s, seed.clinic_id, 7))
    assert reasons(db, seed) == ["clinic moved from 29/03–30/03/2027 to 05/04–06/04/2027"]
    assert reasons(db, seed, seed.other_patient_id) == ["clinic moved from 29/03–30/03/2027 to 05/04–06/04/2027"]
    export_again(db, seed, tmp_path)
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_clinic_moved_with_only_its_dates_changed_still_says_moved(db: Database, seed: Seed) -> None:
    def move_dates_only(session: Session) -> None:
        update_record(session, ClinicEvent, seed.clinic_id, {"start_date": dt.date(2027, 4, 12)})

    change(db, move_dates_only)
    assert reasons(db, seed)[0] == "clinic moved from 29/03–30/03/2027 to 12/04–13/04/2027"


def test_clinic_cancelled_is_a_withdrawal_that_a_re_export_does_not_clear(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    change(db, lambda s: clinics.cancel_clinic_event(s, seed.clinic_id))
    assert reasons(db, seed) == [f"clinic cancelled after an itinerary was sent on {EXPORTED_ON}: {NOT_SENT_YET}"]
    assert to_tell(db, seed)[seed.patient_id].withdrawal and to_tell(db, seed)[seed.patient_id].unsent
    assert set(to_tell(db, seed)) == {seed.patient_id, seed.other_patient_id}
    export_again(db, seed, tmp_path)
    assert set(to_tell(db, seed)) == {seed.patient_id, seed.other_patient_id}
    assert reasons(db, seed) == [f"clinic cancelled after an itinerary was sent on {EXPORTED_ON}: {SENT}"]
    assert not to_tell(db, seed)[seed.patient_id].unsent


def test_appointment_moved_and_re_exported(db: Database, seed: Seed, tmp_path: Path) -> None:
    def move(session: Session) -> None:
        cardiology = _appointment(session, seed, "Cardiology")
        start = local_to_utc(dt.date(2027, 3, 29), dt.time(16, 0), ZONE)
        appointments.move_appointment(session, cardiology.id or 0, start=start, end=start + dt.timedelta(minutes=30))

    change(db, move)
    assert reasons(db, seed) == ["appointment Cardiology 16:00 Mon 29/03 changed"]
    assert not to_tell(db, seed)[seed.patient_id].withdrawal
    export_again(db, seed, tmp_path)
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_appointment_cancelled_and_re_exported(db: Database, seed: Seed, tmp_path: Path) -> None:
    change(db, lambda s: appointments.cancel_appointment(s, _appointment(s, seed, "Audiology").id or 0))
    assert reasons(db, seed) == ["appointment Audiology 10:15 Mon 29/03 cancelled"]
    export_again(db, seed, tmp_path)  # the calendar gets STATUS:CANCELLED for it
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_appointment_deleted_stays_after_a_re_export(db: Database, seed: Seed, tmp_path: Path) -> None:
    change(db, lambda s: appointments.delete_appointment(s, _appointment(s, seed, "Dietetics").id or 0))
    assert reasons(db, seed) == [f"appointment Dietetics 13:00 Mon 29/03 deleted: {NOT_SENT_YET}"]
    export_again(db, seed, tmp_path)
    assert reasons(db, seed) == [f"appointment Dietetics 13:00 Mon 29/03 deleted: {SENT}"]
    assert to_tell(db, seed)[seed.patient_id].withdrawal


def test_appointment_booked_since_the_export(db: Database, seed: Seed, tmp_path: Path) -> None:
    def book(session: Session) -> None:
        clinic = session.get(ClinicEvent, seed.clinic_id)
        patient_place = _place(session, seed.clinic_id, seed.patient_id)
        from coordinator_tui.models import Patient

        patient = session.get(Patient, patient_place.patient_id)
        assert clinic is not None and patient is not None
        add_appointment(session, clinic, patient, "Nephrology", local_to_utc(clinic.dates[1], dt.time(10), ZONE), 30,
                        [], None)  # fmt: skip

    change(db, book)
    assert reasons(db, seed) == ["appointment Nephrology 10:00 Tue 30/03 booked"]
    export_again(db, seed, tmp_path)
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_hotel_changed_and_re_exported(db: Database, seed: Seed, tmp_path: Path) -> None:
    change(db, lambda s: _set_place(s, seed, seed.patient_id, hotel_reference="HTL-43"))
    assert reasons(db, seed) == ["hotel changed"]
    export_again(db, seed, tmp_path)
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_hotel_removed_stays_after_a_re_export(db: Database, seed: Seed, tmp_path: Path) -> None:
    change(db, lambda s: _set_place(s, seed, seed.patient_id, hotel_name="", hotel_check_in=None, hotel_nights=0))
    assert reasons(db, seed) == [f"hotel removed: {NOT_SENT_YET}"]
    export_again(db, seed, tmp_path)
    assert reasons(db, seed) == [f"hotel removed: {SENT}"]


def test_one_more_hotel_night_changes_the_check_out(db: Database, seed: Seed) -> None:
    change(db, lambda s: _set_place(s, seed, seed.patient_id, hotel_nights=2))
    assert reasons(db, seed) == ["hotel check-out changed"]


def test_travel_changed_and_re_exported(db: Database, seed: Seed, tmp_path: Path) -> None:
    depart = local_to_utc(dt.date(2027, 3, 29), dt.time(6, 15), ZONE)
    change(db, lambda s: _set_place(s, seed, seed.patient_id, travel_out_depart=depart))
    assert reasons(db, seed) == ["travel to the clinic changed"]
    export_again(db, seed, tmp_path)
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_travel_removed_stays_after_a_re_export(db: Database, seed: Seed, tmp_path: Path) -> None:
    change(db, lambda s: _set_place(s, seed, seed.patient_id, travel_home_depart=None, travel_home_arrive=None))
    assert reasons(db, seed) == [f"travel home removed: {NOT_SENT_YET}"]
    export_again(db, seed, tmp_path)
    assert reasons(db, seed) == [f"travel home removed: {SENT}"]


def test_family_declined_after_export_stays_after_a_re_export(db: Database, seed: Seed, tmp_path: Path) -> None:
    change(db, lambda s: _set_place(s, seed, seed.patient_id, status=AttendanceStatus.DECLINED))
    assert reasons(db, seed) == [f"declined after an itinerary was sent on {EXPORTED_ON}: {NOT_SENT_YET}"]
    export_again(db, seed, tmp_path)  # the other family's itinerary, and a cancellation-only file for this one
    assert reasons(db, seed) == [f"declined after an itinerary was sent on {EXPORTED_ON}: {SENT}"]
    assert set(to_tell(db, seed)) == {seed.patient_id}


def test_family_cancelled_after_export_says_by_whom(db: Database, seed: Seed) -> None:
    values = {"status": AttendanceStatus.CANCELLED, "cancelled_by": CancelledBy.SERVICE.value}
    change(db, lambda s: _set_place(s, seed, seed.patient_id, **values))
    assert reasons(db, seed) == [
        f"place cancelled by the service after an itinerary was sent on {EXPORTED_ON}: {NOT_SENT_YET}"
    ]
    assert to_tell(db, seed)[seed.patient_id].withdrawal


def test_several_changes_are_all_given_in_itinerary_order(db: Database, seed: Seed) -> None:
    def several(session: Session) -> None:
        appointments.cancel_appointment(session, _appointment(session, seed, "Endocrinology").id or 0)
        _set_place(session, seed, seed.patient_id, hotel_reference="HTL-44", travel_home_reference="TRN-HOME-2")
        appointments.delete_appointment(session, _appointment(session, seed, "Cardiology").id or 0)

    change(db, several)
    assert reasons(db, seed) == [
        "hotel changed",
        "appointment Endocrinology 09:00 Tue 30/03 cancelled",
        "travel home changed",
        f"appointment Cardiology 11:30 Mon 29/03 deleted: {NOT_SENT_YET}",
    ]


def test_many_changed_appointments_are_counted_after_the_first_three(db: Database, seed: Seed) -> None:
    def instructions(session: Session) -> None:
        for discipline in ("Audiology", "Cardiology", "Dietetics", "Endocrinology", "Team meeting"):
            appointment = _appointment(session, seed, discipline)
            appointments.update_appointment(session, appointment.id or 0, {"family_instructions": "Bring water."})

    change(db, instructions)
    assert reasons(db, seed) == [
        "appointment Audiology 10:15 Mon 29/03 changed",
        "appointment Cardiology 11:30 Mon 29/03 changed",
        "appointment Dietetics 13:00 Mon 29/03 changed",
        "and 2 more appointments changed",
    ]


# ------------------------------------------------------------------------------------------------------------
# The patient's visits, every upcoming clinic, the cost
# ------------------------------------------------------------------------------------------------------------


def test_the_patients_visit_says_its_itinerary_needs_telling(db: Database, seed: Seed) -> None:
    change(db, lambda s: _set_place(s, seed, seed.patient_id, hotel_reference="HTL-43"))
    with db.read_session() as session:
        visits = patient_visits_to_tell(session, seed.patient_id)
        assert set(visits) == {seed.clinic_id}
        assert visits[seed.clinic_id].reason_text == "hotel changed"
        assert patient_visits_to_tell(session, seed.declined_patient_id) == {}


def test_every_upcoming_clinic_with_families_to_tell(db: Database, seed: Seed) -> None:
    assert upcoming_families_to_tell(db) == []
    change(db, lambda s: _set_place(s, seed, seed.patient_id, hotel_reference="HTL-43"))
    [clinic] = upcoming_families_to_tell(db)
    assert (clinic.clinic_id, [f.patient_id for f in clinic.families]) == (seed.clinic_id, [seed.patient_id])


def test_the_number_of_queries_does_not_grow_with_the_families(db: Database, seed: Seed) -> None:
    for patient_id in (seed.patient_id, seed.other_patient_id):
        change(db, lambda s, p=patient_id: _set_place(s, seed, p, hotel_reference="HTL-99"))

    def count_for(patient_ids: list[int] | None) -> int:
        statements: list[str] = []
        with db.read_session() as session:
            engine = session.get_bind()

            def seen(*args: object) -> None:
                statements.append(str(args[2]))

            event.listen(engine, "before_cursor_execute", seen)
            try:
                families_to_tell(session, seed.clinic_id, patient_ids)
            finally:
                event.remove(engine, "before_cursor_execute", seen)
        return len(statements)

    assert len(to_tell(db, seed)) == 2
    assert count_for([seed.patient_id]) == count_for(None)


def test_the_first_appointment_cancelled_names_it_alone(db: Database, seed: Seed, tmp_path: Path) -> None:
    """The evening-before reminder moves onto the next appointment: that one is not named as changed as well."""
    change(db, lambda s: appointments.cancel_appointment(s, _appointment(s, seed, "Ophthalmology").id or 0))
    assert reasons(db, seed) == ["appointment Ophthalmology 09:30 Mon 29/03 cancelled"]
    export_again(db, seed, tmp_path)
    assert clinic_families_to_tell(db, seed.clinic_id) == []
    # Sent as cancelled, then deleted: the family's calendar already shows it cancelled, nothing to tell; the
    # next export still carries it, cancelled.
    change(db, lambda s: appointments.delete_appointment(s, _appointment(s, seed, "Ophthalmology").id or 0))
    assert clinic_families_to_tell(db, seed.clinic_id) == []
    export_again(db, seed, tmp_path)
    assert clinic_families_to_tell(db, seed.clinic_id) == []


def test_a_family_sent_one_before_replying_is_compared_like_a_confirmed_one(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        seeded = seed_clinic(session)  # the other family is invited and has not replied
    export_itineraries(db, seeded.clinic_id, seeded.other_patient_id, tmp_path, formats=["ics"], unconfirmed=True)
    later()
    assert clinic_families_to_tell(db, seeded.clinic_id) == []
    change(db, lambda s: _set_place(s, seeded, seeded.other_patient_id, hotel_nights=2))
    assert reasons(db, seeded, seeded.other_patient_id) == ["hotel check-out changed"]
