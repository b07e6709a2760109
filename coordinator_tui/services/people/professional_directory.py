"""The professionals directory's use cases: a page of the directory with patient counts, one professional's
patients, one professional by id; and its changes: add, edit and archive a professional from the screen's forms or
the command line.

Reads run in a read-only unit of work of their own (no write lock); each change in one unit of work, audited. A
refused change raises ``ValidationError`` (``LikelyDuplicateError`` and ``ArchiveNeedsChoiceError`` are kinds of
it, naming what the user must decide), ``ConcurrentEditError``, ``NotFoundError`` or a ``DatabaseError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from coordinator_tui.models import Patient, Professional
from coordinator_tui.services.people.professionals import (
    PROFESSIONAL_FIELDS,
    ArchiveImpact,
    ArchiveResult,
    archive_impact,
    archive_professional,
    create_professional,
    get_professional,
    known_disciplines,
    list_professionals,
    parse_professional_form,
    patient_counts,
    patients_of,
    update_professional,
)

if TYPE_CHECKING:
    from coordinator_tui.db import Database


@dataclass(frozen=True)
class DirectoryPage:
    """The professionals matching a filter (at most ``limit``) and each professional's number of patients."""

    professionals: list[Professional]
    counts: dict[int, int]


def directory_page(
    database: Database,
    text: str,
    *,
    limit: int,
    counts: dict[int, int] | None = None,
    include_archived: bool = False,
) -> DirectoryPage:
    """The professionals matching ``text`` (archived ones too when asked); the patient counts are read again
    unless ``counts`` are given."""
    with database.read_session() as session:
        found = list(list_professionals(session, text=text, include_archived=include_archived))[:limit]
        return DirectoryPage(found, patient_counts(session) if counts is None else counts)


def professional_patients(database: Database, professional_id: int) -> Sequence[Patient]:
    """The patients in whose current care team the professional is."""
    return database.read(patients_of, professional_id)


def find_professional(database: Database, professional_id: int) -> Professional:
    """One professional (NotFoundError if there is none)."""
    return database.read(get_professional, professional_id)


# ------------------------------------------------------------------------------------------------------------
# Add, edit, archive
# ------------------------------------------------------------------------------------------------------------


def discipline_choices(database: Database) -> list[str]:
    """The disciplines a professional can have: those of ``data/disciplines.toml``, then others already in use."""
    return database.read(known_disciplines)


def professional_form_values(professional: Professional | None) -> dict[str, str]:
    """A professional as the text the form shows (the inverse of ``parse_professional_form``)."""
    if professional is None:
        return {"setting": "centre"}
    values = {name: str(getattr(professional, name) or "") for name in PROFESSIONAL_FIELDS}
    values["setting"] = professional.setting.value
    return values


def _create(session: Session, form: Mapping[str, Any], allow_duplicate: bool) -> Professional:
    values = parse_professional_form(form, known_disciplines(session))
    return create_professional(session, values, allow_duplicate=allow_duplicate)


def add_professional(database: Database, form: Mapping[str, Any], *, allow_duplicate: bool = False) -> Professional:
    """Add a professional from the form's text. A likely duplicate is refused (``LikelyDuplicateError``) unless
    the user confirmed it (``allow_duplicate``)."""
    return database.write(_create, form, allow_duplicate)


def _edit(session: Session, professional: Professional, form: Mapping[str, Any], allow_duplicate: bool) -> Professional:
    merged = {**professional_form_values(professional), **form}
    known = [*known_disciplines(session), professional.discipline]
    values = parse_professional_form(merged, known)
    changes = {name: values[name] for name in form if name in values}
    assert professional.id is not None
    return update_professional(
        session, professional.id, changes, expected_version=professional.version, allow_duplicate=allow_duplicate
    )


def edit_professional(
    database: Database, professional: Professional, form: Mapping[str, Any], *, allow_duplicate: bool = False
) -> Professional:
    """Save the fields of ``form`` (all of the form's, or only some, as the command line gives them); refused when
    someone else saved the professional since it was read, or when it now looks like another one unconfirmed."""
    return database.write(_edit, professional, form, allow_duplicate)


def what_archiving_touches(database: Database, professional_id: int) -> ArchiveImpact:
    """The professional's current care-team memberships and future bookings, to show before archiving."""
    return database.read(archive_impact, professional_id)


def archive(
    database: Database,
    professional: Professional,
    *,
    end_memberships: bool = False,
    seen: ArchiveImpact | None = None,
) -> ArchiveResult:
    """Archive the professional: with ``end_memberships`` their current memberships end today and their future
    bookings are returned to be moved; ``seen`` (what the user was shown) must still be what archiving touches."""
    assert professional.id is not None
    return database.write(
        archive_professional,
        professional.id,
        expected_version=professional.version,
        end_memberships=end_memberships,
        seen=seen,
    )
