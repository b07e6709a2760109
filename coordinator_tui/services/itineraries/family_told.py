"""Recording that a family was told of a change to their visit: how, on which day, by whom.

A withdrawal (an event the family was sent that is no longer happening) stays on the families-to-tell list until
such a record is made after its cancellation was sent (``families_to_tell``): calendar programs that import files
may ignore a cancellation, so a person has to tell the family. The record is audit-logged like every write;
``recorded_by`` is the operating-system user (as in the audit log), ``told_by`` the team member who told them.

Use case (for the screen and the command line)::

    record_family_told(database, clinic_id, patient_id, how, told_on, told_by, note="") -> FamilyTold

``how``: phone, letter, email or in person (``ToldHow``); ``told_on``: typed DD/MM/YYYY (or a date), not in the
future and not before the family was first sent an itinerary for the clinic (``ExportedEvent.first_exported``);
``told_by``: required. Raises ``ValidationError`` (per field: ``how``, ``told_on``, ``told_by``, ``note``) or
``NotFoundError`` (unknown clinic or patient, or a family never sent an itinerary for that clinic).
``told_history`` lists the records of one family at one clinic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.models import ClinicEvent, ExportedEvent, FamilyTold, Patient, Service, ToldHow
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.validation import FieldError, FormErrors, clean_text, parse_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database

#: How a family may be told, as typed or chosen ("in person" and "in_person" both work).
HOW_WORDS = {
    "phone": ToldHow.PHONE,
    "letter": ToldHow.LETTER,
    "email": ToldHow.EMAIL,
    "in person": ToldHow.IN_PERSON,
    "in_person": ToldHow.IN_PERSON,
    "in-person": ToldHow.IN_PERSON,
}
#: How each way reads to the coordinator.
HOW_TEXT = {
    ToldHow.PHONE: "phone",
    ToldHow.LETTER: "letter",
    ToldHow.EMAIL: "email",
    ToldHow.IN_PERSON: "in person",
}
TOLD_BY_MAX = 100
NOTE_MAX = 400


def parse_how(value: str | ToldHow) -> ToldHow:
    """'phone', 'letter', 'email', 'in person'; anything else a FieldError on ``how``."""
    if isinstance(value, ToldHow):
        return value
    found = HOW_WORDS.get(" ".join(str(value).strip().casefold().split()))
    if found is None:
        raise FieldError("how", "choose phone, letter, email or in person")
    return found


def record_family_told(
    database: Database,
    clinic_id: int,
    patient_id: int,
    how: str | ToldHow,
    told_on: str | dt.date,
    told_by: str,
    note: str = "",
) -> FamilyTold:
    """Record that the family was told (validated, audit-logged); see the module notes."""
    return database.write(_record, clinic_id, patient_id, how, told_on, told_by, note)


def _record(
    session: Session,
    clinic_id: int,
    patient_id: int,
    how: str | ToldHow,
    told_on: str | dt.date,
    told_by: str,
    note: str,
) -> FamilyTold:
    clinic = session.get(ClinicEvent, clinic_id)
    if clinic is None:
        raise NotFoundError(f"no clinic with id {clinic_id}")
    if session.get(Patient, patient_id) is None:
        raise NotFoundError(f"no patient with id {patient_id}")
    service = session.get(Service, clinic.service_id)
    zone_name = service.timezone if service is not None else "Europe/London"
    first = _first_sent(session, clinic_id, patient_id)
    if first is None:
        raise NotFoundError(f"patient {patient_id} was never sent an itinerary for clinic {clinic_id}: nothing to tell")
    errors = FormErrors()
    chosen = errors.check("how", parse_how, how)
    if isinstance(told_on, dt.date):
        day: dt.date | None = told_on
        if told_on > clock.today(zone_name):
            errors.add("told_on", "cannot be in the future")
    else:
        day = errors.check("told_on", parse_uk_date, told_on, "told_on", allow_future=False)
    first_day = to_local(first, zone_name).date()
    if day is not None and "told_on" not in errors.errors and day < first_day:
        errors.add(
            "told_on", f"is before the family was first sent an itinerary for this clinic ({format_date(first_day)})"
        )
    who = errors.check("told_by", clean_text, told_by, "told_by", max_length=TOLD_BY_MAX, required=True)
    if who is not None and not who:
        errors.add("told_by", "enter who told the family")
    text = errors.check("note", clean_text, note, "note", max_length=NOTE_MAX)
    errors.raise_if_any()
    assert chosen is not None and day is not None and who is not None
    record = FamilyTold(
        clinic_event_id=clinic_id,
        patient_id=patient_id,
        how=chosen,
        told_on=day,
        told_by=who,
        note=text or "",
        recorded_at=clock.now(),
        recorded_by=audit.current_user(session)[:100],
    )
    return create_record(session, record)


def _first_sent(session: Session, clinic_id: int, patient_id: int) -> dt.datetime | None:
    """When the family was first sent anything for the clinic (None: never sent)."""
    rows = session.exec(
        select(ExportedEvent.first_exported, ExportedEvent.last_exported).where(
            col(ExportedEvent.clinic_event_id) == clinic_id, col(ExportedEvent.patient_id) == patient_id
        )
    ).all()
    moments = [first or last for first, last in rows]
    return min(moments) if moments else None


def told_history(database: Database, clinic_id: int, patient_id: int) -> Sequence[FamilyTold]:
    """The family's told records for the clinic, newest first."""
    return database.read(_told_history, clinic_id, patient_id)


def _told_history(session: Session, clinic_id: int, patient_id: int) -> Sequence[FamilyTold]:
    return session.exec(
        select(FamilyTold)
        .where(col(FamilyTold.clinic_event_id) == clinic_id, col(FamilyTold.patient_id) == patient_id)
        .order_by(col(FamilyTold.recorded_at).desc(), col(FamilyTold.id).desc())
    ).all()


def told_text(record: FamilyTold) -> str:
    """'told by phone on 26/11/2026 by Nurse Example', 'told in person on …'."""
    how = ToldHow(record.how)
    way = "in person" if how is ToldHow.IN_PERSON else f"by {HOW_TEXT[how]}"
    return f"told {way} on {format_date(record.told_on)} by {record.told_by}"


def default_teller() -> str:
    """Who told the family, as the form first offers it: the operating-system user's full name where the system
    knows it, else their login name."""
    login = audit.current_user()
    try:
        import pwd

        full = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError, OSError):
        full = ""
    return (full or login)[:TOLD_BY_MAX]


def save_family_told(database: Database, form: Mapping[str, object], *, clinic_id: int, patient_id: int) -> FamilyTold:
    """The told form's use case: its values (how, told_on, told_by, note) as typed."""
    return record_family_told(
        database,
        clinic_id,
        patient_id,
        str(form.get("how", "")),
        str(form.get("told_on", "")),
        str(form.get("told_by", "")),
        str(form.get("note", "")),
    )
