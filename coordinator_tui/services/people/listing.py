"""Records for the ``list`` command: ordered rows for people and every column for scripts."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, SQLModel

from coordinator_tui.clinic_time import format_local_datetime, to_local
from coordinator_tui.services.clinics import appointments, clinics
from coordinator_tui.services.people import patients, professionals
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.validation import format_nhs_number, format_uk_date

KINDS = ("patients", "professionals", "clinics", "appointments")


def json_value(value: Any) -> Any:
    """ISO 8601 dates, datetimes with their UTC offset, enum values as their code."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in the database")
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def record_json(record: SQLModel, **extra: Any) -> dict[str, Any]:
    row = {key: json_value(value) for key, value in record.model_dump().items()}
    row.update({key: json_value(value) for key, value in extra.items()})
    return row


def rows(session: Session, kind: str) -> tuple[list[str], Iterator[tuple[list[str], dict[str, Any]]]]:
    """Column headings, and for each record its table cells and its full JSON object, in date or name order."""
    zone = service_zone(session)
    if kind == "patients":
        headings = ["id", "name", "NHS number", "hospital no.", "date of birth", "school"]
        return headings, (
            (
                [str(p.id), f"{p.family_name}, {p.given_name}", format_nhs_number(p.nhs_number), p.hospital_number,
                 format_uk_date(p.date_of_birth), p.school],
                record_json(p),
            )
            for p in patients.list_patients(session, include_archived=True)
        )  # fmt: skip
    if kind == "professionals":
        headings = ["id", "name", "discipline", "organisation", "phone", "email"]
        return headings, (
            ([str(p.id), p.display_name, p.discipline, p.organisation, p.phone, p.email], record_json(p))
            for p in professionals.list_professionals(session, include_archived=True)
        )
    if kind == "clinics":
        headings = ["id", "name", "first day", "last day", "venue", "status"]
        return headings, (
            (
                [str(c.id), c.name, format_uk_date(c.start_date), format_uk_date(c.end_date), c.venue, c.status.value],
                record_json(c),
            )
            for c in clinics.list_clinics(session)
        )
    if kind == "appointments":
        headings = ["id", "clinic", "when", "until", "patient", "discipline", "with", "room", "status"]

        def generate() -> Iterator[tuple[list[str], dict[str, Any]]]:
            for clinic in clinics.list_clinics(session):
                for v in appointments.for_clinic(session, clinic.id):  # type: ignore[arg-type]
                    a = v.appointment
                    yield (
                        [str(a.id), str(a.clinic_event_id), format_local_datetime(a.start, zone),
                         f"{to_local(a.end, zone):%H:%M}", v.patient.full_name, a.discipline, v.professional_names,
                         v.room.name if v.room else "", a.status.value],
                        record_json(a, professional_ids=[p.id for p in v.professionals]),
                    )  # fmt: skip

        return headings, generate()
    raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
