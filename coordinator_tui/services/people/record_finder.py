"""Find any record by part of its name: patients (archived ones too, marked so: this is how an archived patient is
found again), professionals and clinic events (the command palette's search)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlmodel import Session

from coordinator_tui.validation import format_nhs_number, format_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database

LIMIT = 8


@dataclass(frozen=True)
class Found:
    kind: Literal["patient", "professional", "clinic"]
    record_id: int
    name: str
    detail: str


def _find(session: Session, text: str, limit: int) -> list[Found]:
    from coordinator_tui.services.clinics.clinics import list_clinics
    from coordinator_tui.services.people.patients import search_patients
    from coordinator_tui.services.people.professionals import list_professionals

    found: list[Found] = []
    words = text.lower().split()
    for patient in search_patients(session, text, limit=limit, include_archived=True):
        assert patient.id is not None
        archived = " · archived (A on the record brings them back)" if patient.archived else ""
        found.append(
            Found(
                "patient",
                patient.id,
                patient.full_name,
                f"patient · NHS {format_nhs_number(patient.nhs_number)} · {patient.hospital_number}{archived}",
            )
        )
    for professional in list(list_professionals(session, text=text))[:limit]:
        assert professional.id is not None
        found.append(
            Found(
                "professional",
                professional.id,
                professional.display_name,
                f"professional · {professional.discipline} · {professional.organisation}",
            )
        )
    clinics = [c for c in list_clinics(session) if all(w in c.name.lower() for w in words)]
    for clinic in clinics[:limit]:
        assert clinic.id is not None
        found.append(
            Found(
                "clinic",
                clinic.id,
                clinic.name,
                f"clinic · {format_uk_date(clinic.start_date)} · {clinic.venue} · {clinic.status.value}",
            )
        )
    return found


def find_records(database: Database, text: str, limit: int = LIMIT) -> list[Found]:
    """Patients, professionals and clinic events matching ``text`` (every word), at most ``limit`` of each, in one
    read."""
    return database.read(_find, text, limit)
