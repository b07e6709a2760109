"""Records for the ``list`` command: ordered rows for people and every column for scripts.

The table cells are values (dates, local times, numbers, text): the command prints them as text
(``export.lists.cell_text``) and ``--format csv|xlsx`` writes them as they are (``services.list_exports``). The
kinds after the records (the caseload, who's coming to a clinic, a clinic's timetable) are lists of
``services.list_exports``, not records: they have no JSON object of a record, and are listed here so that the command
and the service agree on every kind."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, SQLModel

from coordinator_tui.clinic_time import to_local
from coordinator_tui.export.lists import Cell
from coordinator_tui.services.clinics import appointments, clinics
from coordinator_tui.services.people import patients, professionals
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.validation import format_nhs_number

#: Kinds that are records of one table (their JSON is the whole record).
RECORD_KINDS = ("patients", "professionals", "clinics", "appointments")
#: Every kind the command lists: the records, then the lists the team shares (``services.list_exports``).
KINDS = (*RECORD_KINDS, "caseload", "coming", "timetable")


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


def rows(session: Session, kind: str) -> tuple[list[str], Iterator[tuple[list[Cell], dict[str, Any]]]]:
    """Column headings, and for each record its table cells (values: dates, local times, numbers, text) and its full
    JSON object, in date or name order."""
    zone = service_zone(session)
    if kind == "patients":
        headings = ["id", "name", "NHS number", "hospital no.", "date of birth", "school"]
        return headings, (
            (
                [p.id, f"{p.family_name}, {p.given_name}", format_nhs_number(p.nhs_number), p.hospital_number,
                 p.date_of_birth, p.school],
                record_json(p),
            )
            for p in patients.list_patients(session, include_archived=True)
        )  # fmt: skip
    if kind == "professionals":
        headings = ["id", "name", "discipline", "organisation", "phone", "email"]
        return headings, (
            ([p.id, p.display_name, p.discipline, p.organisation, p.phone, p.email], record_json(p))
            for p in professionals.list_professionals(session, include_archived=True)
        )
    if kind == "clinics":
        headings = ["id", "name", "first day", "last day", "venue", "status"]
        return headings, (
            (
                [c.id, c.name, c.start_date, c.end_date, c.venue, c.status.value],
                record_json(c),
            )
            for c in clinics.list_clinics(session)
        )
    if kind == "appointments":
        headings = ["id", "clinic", "when", "until", "patient", "discipline", "with", "room", "status"]

        def generate() -> Iterator[tuple[list[Cell], dict[str, Any]]]:
            for clinic in clinics.list_clinics(session):
                for v in appointments.for_clinic(session, clinic.id):  # type: ignore[arg-type]
                    a = v.appointment
                    yield (
                        [a.id, a.clinic_event_id, to_local(a.start, zone).replace(tzinfo=None),
                         to_local(a.end, zone).time().replace(second=0, microsecond=0), v.patient.full_name,
                         a.discipline, v.professional_names, v.room.name if v.room else "", a.status.value],
                        record_json(a, professional_ids=[p.id for p in v.professionals]),
                    )  # fmt: skip

        return headings, generate()
    raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(RECORD_KINDS)}")
