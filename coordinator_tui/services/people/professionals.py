"""Professionals: the directory of clinicians and workers, at the centre or local."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, func, or_, select

from coordinator_tui.models import (
    AuditAction,
    CareTeamMember,
    CareTeamStatus,
    Patient,
    Professional,
    ProfessionalSetting,
)
from coordinator_tui.services.people.text_search import contains
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.validation import FormErrors, form_text, parse_text_fields, validate_email, validate_uk_phone

TEXT_LIMITS = {"title": 20, "given_name": 100, "family_name": 100, "discipline": 60, "organisation": 200}


def parse_professional_form(form: Mapping[str, object]) -> dict[str, Any]:
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(
        form, errors, TEXT_LIMITS, required={"given_name", "family_name", "discipline"}
    )
    if "discipline" in values:
        values["discipline"] = values["discipline"].lower()
    setting = (form_text(form, "setting") or "centre").strip().lower()
    try:
        values["setting"] = ProfessionalSetting(setting)
    except ValueError:
        errors.add("setting", "choose centre or local")
    values["phone"] = errors.check("phone", validate_uk_phone, form_text(form, "phone"))
    values["email"] = errors.check("email", validate_email, form_text(form, "email"))
    errors.raise_if_any()
    return values


def create_professional(session: Session, values: Mapping[str, Any]) -> Professional:
    return create_record(session, Professional(**values))


def update_professional(
    session: Session, professional_id: int, values: Mapping[str, Any], *, expected_version: int | None = None
) -> Professional:
    return update_record(session, Professional, professional_id, values, expected_version=expected_version)


def archive_professional(
    session: Session, professional_id: int, *, expected_version: int | None = None
) -> Professional:
    return update_record(
        session,
        Professional,
        professional_id,
        {"archived": True},
        expected_version=expected_version,
        action=AuditAction.ARCHIVE,
    )


def get_professional(session: Session, professional_id: int) -> Professional:
    return get_or_raise(session, Professional, professional_id)


def list_professionals(
    session: Session, *, text: str = "", discipline: str | None = None, include_archived: bool = False
) -> Sequence[Professional]:
    query = select(Professional)
    if not include_archived:
        query = query.where(col(Professional.archived).is_(False))
    if discipline:
        query = query.where(Professional.discipline == discipline)
    for word in text.split():
        query = query.where(
            or_(
                contains(Professional.given_name, word),
                contains(Professional.family_name, word),
                contains(Professional.discipline, word),
                contains(Professional.organisation, word),
            )
        )
    return session.exec(query.order_by(Professional.family_name, Professional.given_name, Professional.id)).all()


def disciplines(session: Session) -> list[str]:
    return list(session.exec(select(Professional.discipline).distinct().order_by(Professional.discipline)).all())


def patients_of(session: Session, professional_id: int, *, active_only: bool = True) -> Sequence[Patient]:
    """The patients whose care team this professional is in."""
    query = (
        select(Patient)
        .join(CareTeamMember, col(CareTeamMember.patient_id) == Patient.id)
        .where(CareTeamMember.professional_id == professional_id, col(Patient.archived).is_(False))
    )
    if active_only:
        query = query.where(CareTeamMember.status == CareTeamStatus.ACTIVE)
    return session.exec(query.distinct().order_by(Patient.family_name, Patient.given_name)).all()


def patient_counts(session: Session) -> dict[int, int]:
    """Active care-team patient count per professional, for the directory."""
    rows = session.exec(
        select(CareTeamMember.professional_id, func.count(func.distinct(CareTeamMember.patient_id)))
        .where(CareTeamMember.status == CareTeamStatus.ACTIVE)
        .group_by(CareTeamMember.professional_id)
    ).all()
    return {pid: int(n) for pid, n in rows}
