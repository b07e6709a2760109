"""The professionals directory's use cases: a page of the directory with patient counts, one professional's
patients, and one professional by id. Each reads in a read-only unit of work of its own (no write lock)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coordinator_tui.models import Patient, Professional
from coordinator_tui.services.people.professionals import (
    get_professional,
    list_professionals,
    patient_counts,
    patients_of,
)

if TYPE_CHECKING:
    from coordinator_tui.db import Database


@dataclass(frozen=True)
class DirectoryPage:
    """The professionals matching a filter (at most ``limit``) and each professional's number of patients."""

    professionals: list[Professional]
    counts: dict[int, int]


def directory_page(database: Database, text: str, *, limit: int, counts: dict[int, int] | None = None) -> DirectoryPage:
    """The professionals matching ``text``; the patient counts are read again unless ``counts`` are given."""
    with database.read_session() as session:
        found = list(list_professionals(session, text=text))[:limit]
        return DirectoryPage(found, patient_counts(session) if counts is None else counts)


def professional_patients(database: Database, professional_id: int) -> Sequence[Patient]:
    """The patients in whose current care team the professional is."""
    return database.read(patients_of, professional_id)


def find_professional(database: Database, professional_id: int) -> Professional:
    """One professional (NotFoundError if there is none)."""
    return database.read(get_professional, professional_id)
