"""Saving the patient screens' forms: the new-patient and patient forms, access needs, and family contacts.

Each save is a use case: a function of the ``Database`` and the form's raw values (text as typed, flags as bool,
choices as their value) that parses them, saves in one unit of work and returns the saved record, or raises
``ValidationError`` (shown under the fields), ``ConcurrentEditError`` (someone else saved meanwhile) or a
``DatabaseError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coordinator_tui.models import Contact, Patient
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.validation import format_nhs_number, format_uk_date

if TYPE_CHECKING:
    from sqlmodel import Session

    from coordinator_tui.db import Database

ACCESS_FIELDS = ("large_print", "bsl_interpreter", "wheelchair", "interpreter_language")


def patient_form_values(patient: Patient | None) -> dict[str, str | bool]:
    """A patient as the text the patient form shows (the inverse of ``parse_patient_form``)."""
    if patient is None:
        return {"review_interval_months": "12", "condition": "Alström syndrome"}
    return {
        "nhs_number": format_nhs_number(patient.nhs_number),
        "hospital_number": patient.hospital_number,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": format_uk_date(patient.date_of_birth),
        "condition": patient.condition,
        "school": patient.school,
        "has_ehcp": patient.has_ehcp,
        "large_print": patient.large_print,
        "bsl_interpreter": patient.bsl_interpreter,
        "wheelchair": patient.wheelchair,
        "interpreter_language": patient.interpreter_language,
        "registered_on": format_uk_date(patient.registered_on),
        "planned_transfer_date": format_uk_date(patient.planned_transfer_date),
        "review_interval_months": str(patient.review_interval_months),
        "internal_notes": patient.internal_notes,
    }


def save_new_patient(database: Database, form: Mapping[str, Any]) -> Patient:
    """Register a patient from the new-patient form, with their transition checklist made from the service's
    milestone rules in the same unit of work (so the Transition tab and the caseload show their steps at once).
    Rules that cannot be read do not stop the registration: the checklist is then left empty."""
    from coordinator_tui.services.transition.checklists import rules_for_saving
    from coordinator_tui.services.transition.engine import generate_checklist

    values = patient_service.parse_patient_form(form)
    rules = rules_for_saving(database).rules

    def register(session: Session) -> Patient:
        patient = patient_service.create_patient(session, values)
        if rules is not None:
            generate_checklist(session, patient, rules)
        return patient

    return database.write(register)


def save_patient(database: Database, patient: Patient, form: Mapping[str, Any]) -> Patient:
    """Save the fields of ``form`` (the whole patient form, or only some, as the access needs form has); refused
    when someone else saved the patient since the form opened."""
    merged = {**patient_form_values(patient), **form}
    values = patient_service.parse_patient_form(merged)
    changes = {key: values[key] for key in form if key in values}
    assert patient.id is not None
    return database.write(patient_service.update_patient, patient.id, changes, expected_version=patient.version)


def save_contact(database: Database, patient_id: int, contact: Contact | None, form: Mapping[str, Any]) -> Contact:
    """Add a family contact (``contact`` None) or save the edited one."""
    values = contact_service.parse_contact_form(form)
    if contact is None:
        return database.write(contact_service.create_contact, patient_id, values)
    assert contact.id is not None
    return database.write(contact_service.update_contact, contact.id, values, expected_version=contact.version)


def delete_contact(database: Database, contact_id: int) -> bool:
    """Delete a family contact (the deletion is audited). Returns True once deleted."""
    database.write(contact_service.delete_contact, contact_id)
    return True
