"""Patient and RelatedPerson: the patient's identifiers, name, birth date and own contact details; each family
contact (parent, carer, guardian) as a RelatedPerson. Never the patient's internal notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coordinator_tui.export.fhir.ids import NHS_NUMBER_SYSTEM, reference, resource_id
from coordinator_tui.models import Contact, ContactMethod, ContactRelationship, Patient

#: HL7 v3 RoleCode for the relationships that have one; the others are said in words only.
RELATIONSHIP_CODES: dict[ContactRelationship, tuple[str, str]] = {
    ContactRelationship.PARENT: ("PRN", "parent"),
    ContactRelationship.GUARDIAN: ("GUARD", "guardian"),
}
ROLE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"


def telecom(contact: Contact) -> list[dict[str, Any]]:
    """The contact's phone and email, the preferred one ranked first."""
    points: list[dict[str, Any]] = []
    if contact.phone:
        phone: dict[str, Any] = {"system": "phone", "value": contact.phone}
        if contact.preferred_method in (ContactMethod.PHONE, ContactMethod.TEXT):
            phone["rank"] = 1
        points.append(phone)
    if contact.email:
        email: dict[str, Any] = {"system": "email", "value": contact.email}
        if contact.preferred_method is ContactMethod.EMAIL:
            email["rank"] = 1
        points.append(email)
    return points


def address(contact: Contact) -> list[dict[str, Any]]:
    return [{"use": "home", "text": contact.address}] if contact.address else []


def patient_resource(patient: Patient, contacts: Sequence[Contact]) -> dict[str, Any]:
    """The Patient: NHS number and hospital number, name, birth date; telecom and address from the patient's own
    contact entry (relationship "self"), if any; the interpreter language as a preferred communication language."""
    assert patient.id is not None
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id("patient", patient.id),
        "identifier": [
            {"system": NHS_NUMBER_SYSTEM, "value": patient.nhs_number},
            {
                "use": "usual",
                "type": {
                    "coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "MR", "display": "Medical record number"}],
                    "text": "Hospital number",
                },
                "value": patient.hospital_number,
            },
        ],
        "active": not patient.archived,
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
    }
    own = [c for c in contacts if c.relationship is ContactRelationship.SELF]
    points = [point for c in own for point in telecom(c)]
    if points:
        resource["telecom"] = points
    addresses = [a for c in own for a in address(c)]
    if addresses:
        resource["address"] = addresses
    if patient.interpreter_language:
        resource["communication"] = [{"language": {"text": patient.interpreter_language}, "preferred": True}]
    return resource


def related_person(contact: Contact, patient_id: int) -> dict[str, Any]:
    """A family contact as a RelatedPerson of the patient: name, relationship, phone, email, address."""
    assert contact.id is not None
    relationship: dict[str, Any] = {"text": contact.relationship.value}
    if contact.relationship in RELATIONSHIP_CODES:
        code, display = RELATIONSHIP_CODES[contact.relationship]
        relationship["coding"] = [{"system": ROLE_CODE_SYSTEM, "code": code, "display": display}]
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": resource_id("contact", contact.id),
        "active": True,
        "patient": reference("patient", patient_id),
        "relationship": [relationship],
        "name": [{"text": contact.name}],
    }
    if points := telecom(contact):
        resource["telecom"] = points
    if addresses := address(contact):
        resource["address"] = addresses
    return resource


def related_people(contacts: Sequence[Contact], patient_id: int) -> list[dict[str, Any]]:
    """Every contact but the patient's own entry (which is the Patient's telecom and address)."""
    return [related_person(c, patient_id) for c in contacts if c.relationship is not ContactRelationship.SELF]
