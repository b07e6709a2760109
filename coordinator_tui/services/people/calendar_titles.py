"""A family's choice of calendar titles: discreet (the default) or detailed, one choice per family.

Calendars sync to cloud accounts and show on lock screens and shared family screens, so an itinerary's event
titles are neutral by default ("Hospital appointment", "Travel", "Hotel check-in"), the specialty and the rest in
the description. A family may choose detailed titles ("Eye clinic (ophthalmology)"). The choice is kept on the
patient (``Patient.detailed_calendar_titles``) with who set it (the operating-system user, ``audit.current_user``)
and when, in an audited update that is refused when someone saved the patient meanwhile.

Use cases: ``set_calendar_titles(session, patient_id, detailed, expected_version)`` (the domain write) and
``choose_calendar_titles(database, patient, detailed)`` (the record screen's); ``calendar_titles_text(patient,
zone)`` says the choice in words for the record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from coordinator_tui import clock
from coordinator_tui.clinic_time import to_local
from coordinator_tui.models import Patient
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import update_record

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def set_calendar_titles(
    session: Session, patient_id: int, detailed: bool, *, expected_version: int | None = None
) -> Patient:
    """Record the family's choice (audited), with who chose and when; ``ConcurrentEditError`` when the patient was
    saved by someone else after ``expected_version`` was read."""
    changes = {
        "detailed_calendar_titles": detailed,
        "calendar_titles_set_by": audit.current_user(session)[:100],
        "calendar_titles_set_at": clock.now(),
    }
    return update_record(session, Patient, patient_id, changes, expected_version=expected_version)


def choose_calendar_titles(database: Database, patient: Patient, detailed: bool) -> Patient:
    """The record screen's use case: the choice for ``patient`` as the screen last read it."""
    assert patient.id is not None, "a saved patient"
    patient_id, version = patient.id, patient.version
    return database.write(lambda session: set_calendar_titles(session, patient_id, detailed, expected_version=version))


def calendar_titles_text(patient: Patient, zone: str = "Europe/London") -> str:
    """'Calendar titles: discreet (default)', or 'Calendar titles: detailed, chosen by X on DD/MM/YYYY'."""
    kind = "detailed" if patient.detailed_calendar_titles else "discreet"
    if patient.calendar_titles_set_at is None:
        return f"Calendar titles: {kind} (default)"
    day = to_local(patient.calendar_titles_set_at, zone).date()
    who = patient.calendar_titles_set_by or "unknown"
    return f"Calendar titles: {kind}, chosen by {who} on {day:%d/%m/%Y}"
