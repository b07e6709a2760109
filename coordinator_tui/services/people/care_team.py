"""Care teams: the professionals in one patient's team, with exactly one named worker (NICE NG43)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.models import AuditAction, CareTeamMember, CareTeamStatus, Patient, Professional
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.validation import FormErrors, ValidationError, as_flag, form_text, parse_text_fields, parse_uk_date


@dataclass(frozen=True)
class TeamMemberView:
    member: CareTeamMember
    professional: Professional


def parse_member_form(form: Mapping[str, object]) -> dict[str, Any]:
    """Role and dates of a membership (the professional is chosen separately)."""
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(form, errors, {"role": 100})
    start_text = form_text(form, "start_date")
    values["start_date"] = (
        errors.check("start_date", parse_uk_date, start_text, "start_date") if start_text.strip() else clock.today()
    )
    values["end_date"] = errors.check(
        "end_date", parse_uk_date, form_text(form, "end_date"), "end_date", required=False
    )
    if values.get("start_date") and values.get("end_date") and values["end_date"] < values["start_date"]:
        errors.add("end_date", "cannot be before the start date")
    if "is_named_worker" in form:
        values["is_named_worker"] = as_flag(form["is_named_worker"])
    errors.raise_if_any()
    return values


def _clear_named_worker(session: Session, patient_id: int, except_member: int | None = None) -> None:
    current = session.exec(
        select(CareTeamMember).where(
            CareTeamMember.patient_id == patient_id, col(CareTeamMember.is_named_worker).is_(True)
        )
    ).all()
    for member in current:
        if member.id != except_member:
            update_record(session, CareTeamMember, member.id, {"is_named_worker": False})


def add_member(session: Session, patient_id: int, professional_id: int, values: Mapping[str, Any]) -> CareTeamMember:
    get_or_raise(session, Patient, patient_id)
    professional = get_or_raise(session, Professional, professional_id)
    if professional.archived:
        raise ValidationError.single("professional", "this professional is archived; choose someone current")
    existing = session.exec(
        select(CareTeamMember).where(
            CareTeamMember.patient_id == patient_id,
            CareTeamMember.professional_id == professional_id,
            CareTeamMember.status == CareTeamStatus.ACTIVE,
        )
    ).first()
    if existing is not None:
        raise ValidationError.single("professional", "this professional is already in the patient's care team")
    data = dict(values)
    named = bool(data.pop("is_named_worker", False))
    data.setdefault("start_date", clock.today())
    if named:
        _clear_named_worker(session, patient_id)
    return create_record(
        session,
        CareTeamMember(patient_id=patient_id, professional_id=professional_id, is_named_worker=named, **data),
    )


def update_member(
    session: Session, member_id: int, values: Mapping[str, Any], *, expected_version: int | None = None
) -> CareTeamMember:
    data = dict(values)
    member = get_or_raise(session, CareTeamMember, member_id)
    if data.get("is_named_worker") and not member.is_named_worker:
        if member.status is not CareTeamStatus.ACTIVE:
            raise ValidationError.single("is_named_worker", "an ended membership cannot be the named worker")
        _clear_named_worker(session, member.patient_id, except_member=member_id)
    return update_record(session, CareTeamMember, member_id, data, expected_version=expected_version)


def make_named_worker(session: Session, member_id: int, *, expected_version: int | None = None) -> CareTeamMember:
    return update_member(session, member_id, {"is_named_worker": True}, expected_version=expected_version)


def end_membership(
    session: Session, member_id: int, end_date: dt.date | None = None, *, expected_version: int | None = None
) -> CareTeamMember:
    member = get_or_raise(session, CareTeamMember, member_id)
    if member.is_named_worker:
        # NICE NG43: every young person has a named worker; hand the role over before this membership ends.
        raise ValidationError.single(
            "is_named_worker", "this is the patient's named worker: make someone else the named worker first"
        )
    end = end_date or clock.today()
    if end < member.start_date:
        raise ValidationError.single("end_date", "cannot be before the start date")
    return update_record(
        session,
        CareTeamMember,
        member_id,
        {"status": CareTeamStatus.ENDED, "end_date": end},
        expected_version=expected_version,
        action=AuditAction.UPDATE,
    )


def team(session: Session, patient_id: int, *, include_ended: bool = False) -> list[TeamMemberView]:
    """A patient's team ordered by discipline, then name (the named worker is marked on the member)."""
    query = (
        select(CareTeamMember, Professional)
        .join(Professional, col(Professional.id) == CareTeamMember.professional_id)
        .where(CareTeamMember.patient_id == patient_id)
    )
    if not include_ended:
        query = query.where(CareTeamMember.status == CareTeamStatus.ACTIVE)
    query = query.order_by(Professional.discipline, Professional.family_name, Professional.given_name)
    return [TeamMemberView(member=m, professional=p) for m, p in session.exec(query).all()]


def grouped_by_discipline(members: Sequence[TeamMemberView]) -> dict[str, list[TeamMemberView]]:
    groups: dict[str, list[TeamMemberView]] = {}
    for view in members:
        groups.setdefault(view.professional.discipline, []).append(view)
    return groups


def named_worker(session: Session, patient_id: int) -> TeamMemberView | None:
    return next((v for v in team(session, patient_id) if v.member.is_named_worker), None)
