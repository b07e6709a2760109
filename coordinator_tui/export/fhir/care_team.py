"""Practitioner, PractitionerRole and CareTeam: the professionals of the patient's care team (and any other who
took part in an appointment), each member's role in the team, the period they were in it, and the named worker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from coordinator_tui.export.fhir.ids import reference, resource_id
from coordinator_tui.models import CareTeamMember, CareTeamStatus, Patient, Professional

NAMED_WORKER = "Named worker"


def practitioner(professional: Professional) -> dict[str, Any]:
    """Name (with title) and work phone and email."""
    assert professional.id is not None
    name: dict[str, Any] = {
        "text": professional.display_name,
        "family": professional.family_name,
        "given": [professional.given_name],
    }
    if professional.title:
        name["prefix"] = [professional.title]
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": resource_id("professional", professional.id),
        "active": not professional.archived,
        "name": [name],
    }
    points = [
        {"system": system, "value": value, "use": "work"}
        for system, value in (("phone", professional.phone), ("email", professional.email))
        if value
    ]
    if points:
        resource["telecom"] = points
    return resource


def practitioner_role(professional: Professional) -> dict[str, Any]:
    """What the professional does (their discipline, their job title) and where (their organisation, by name)."""
    assert professional.id is not None
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": resource_id("professional-role", professional.id),
        "active": not professional.archived,
        "practitioner": reference("professional", professional.id),
        "specialty": [{"text": professional.discipline}],
    }
    if professional.role:
        resource["code"] = [{"text": professional.role}]
    if professional.organisation:
        resource["organization"] = {"display": professional.organisation}
    return resource


def practitioners(professionals: Iterable[Professional]) -> list[dict[str, Any]]:
    """A Practitioner and a PractitionerRole per professional, in the order given, each once."""
    seen: dict[int, Professional] = {}
    for professional in professionals:
        if professional.id is not None:
            seen.setdefault(professional.id, professional)
    return [r for p in seen.values() for r in (practitioner(p), practitioner_role(p))]


def period(member: CareTeamMember) -> dict[str, str]:
    span = {"start": member.start_date.isoformat()}
    if member.end_date is not None:
        span["end"] = member.end_date.isoformat()
    return span


def care_team(patient: Patient, members: Sequence[tuple[CareTeamMember, Professional]]) -> dict[str, Any]:
    """The patient's care team: each member (their PractitionerRole) with their role in this team and the period;
    the named worker's participant says so in its roles. Active while any member is."""
    assert patient.id is not None
    participants = []
    for member, professional in members:
        assert professional.id is not None
        roles: list[dict[str, Any]] = [{"text": member.role or professional.discipline}]
        if member.is_named_worker:
            roles.append({"text": NAMED_WORKER})
        participants.append(
            {"role": roles, "member": reference("professional-role", professional.id), "period": period(member)}
        )
    active = any(m.status is CareTeamStatus.ACTIVE for m, _p in members)
    resource: dict[str, Any] = {
        "resourceType": "CareTeam",
        "id": resource_id("care-team", patient.id),
        "status": "active" if active else "inactive",
        "name": "Care team",
        "subject": reference("patient", patient.id),
    }
    if participants:
        resource["participant"] = participants
    return resource
