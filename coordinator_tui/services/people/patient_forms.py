"""Saving the patient screens' forms: the new-patient and patient forms, access needs, and family contacts.

Each save is a use case: a function of the ``Database`` and the form's raw values (text as typed, flags as bool,
choices as their value) that parses them, saves in one unit of work and returns the saved record, or raises
``ValidationError`` (shown under the fields), ``ConcurrentEditError`` (someone else saved meanwhile) or a
``DatabaseError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coordinator_tui.models import Contact, Patient
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.transition.checklists import rules_for_saving
from coordinator_tui.services.transition.engine import generate_checklist
from coordinator_tui.validation import format_nhs_number, format_uk_date

if TYPE_CHECKING:
    from sqlmodel import Session

    from coordinator_tui.db import Database

ACCESS_FIELDS = ("large_print", "bsl_interpreter", "wheelchair", "interpreter_language")


def patient_form_values(patient: Patient | None) -> dict[str, str | bool]:
    """A patient as the text the patient form shows (the inverse of ``parse_patient_form``)."""
    if patient is None:
        return {"review_interval_months": "12", "condition": "Alström syndrome", "school_year_offset": "0"}
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
        "transferred_on": format_uk_date(patient.transferred_on),
        "ehcp_reviewed_on": format_uk_date(patient.ehcp_reviewed_on),
        "receives_dla": patient.receives_dla,
        "dla_appointee_parent": patient.dla_appointee_parent,
        "learning_disability": patient.learning_disability,
        "diabetes_not_diet_controlled": patient.diabetes_not_diet_controlled,
        "hypothyroidism": patient.hypothyroidism,
        "may_lack_capacity": patient.may_lack_capacity,
        "school_year_offset": str(patient.school_year_offset),
        "review_interval_months": str(patient.review_interval_months),
        "internal_notes": patient.internal_notes,
    }


@dataclass(frozen=True)
class SavedPatient:
    """A patient as saved, and why their transition checklist was not brought up to date with the save ("" when
    it was: the service's milestone rules could not be read)."""

    patient: Patient
    checklist_problem: str = ""

    @property
    def checklist_note(self) -> str:
        """What to tell the user about the checklist ("" when it was updated)."""
        if not self.checklist_problem:
            return ""
        return f"The transition checklist was not updated: {self.checklist_problem}"


def _saved_with_checklist(database: Database, save: Callable[[Session], Patient]) -> SavedPatient:
    """Run ``save`` and regenerate the saved patient's checklist from the service's milestone rules in the same
    unit of work: every save (new, edited, archived, back from the archive) keeps the checklist current (dates
    move, items added or removed, done items kept; closed when archived). Regenerating is idempotent, so it runs
    whatever changed. Rules that cannot be read do not stop the save: the result says the checklist was not
    updated."""
    loaded = rules_for_saving(database)
    rules = loaded.rules

    def save_and_regenerate(session: Session) -> Patient:
        patient = save(session)
        if rules is not None:
            generate_checklist(session, patient, rules)
        return patient

    return SavedPatient(database.write(save_and_regenerate), loaded.problem)


def save_new_patient(database: Database, form: Mapping[str, Any]) -> SavedPatient:
    """Register a patient from the new-patient form, with their transition checklist made from the service's
    milestone rules in the same unit of work (so the Transition tab and the caseload show their steps at once)."""
    values = patient_service.parse_patient_form(form)
    return _saved_with_checklist(database, lambda session: patient_service.create_patient(session, values))


def save_patient(database: Database, patient: Patient, form: Mapping[str, Any]) -> SavedPatient:
    """Save the fields of ``form`` (the whole patient form, or only some, as the access needs form has), and
    bring the checklist up to date in the same unit of work; refused when someone else saved the patient since
    the form opened."""
    merged = {**patient_form_values(patient), **form}
    values = patient_service.parse_patient_form(merged)
    changes = {key: values[key] for key in form if key in values}
    patient_id, version = _id_and_version(patient)
    return _saved_with_checklist(
        database,
        lambda session: patient_service.update_patient(session, patient_id, changes, expected_version=version),
    )


def archive_patient(database: Database, patient: Patient) -> SavedPatient:
    """Archive a patient (off the patient list and the caseload); their checklist is regenerated in the same unit
    of work (the engine closes it for an archived patient)."""
    patient_id, version = _id_and_version(patient)
    return _saved_with_checklist(
        database, lambda session: patient_service.archive_patient(session, patient_id, expected_version=version)
    )


def restore_patient(database: Database, patient: Patient) -> SavedPatient:
    """Bring an archived patient back, with their checklist regenerated in the same unit of work."""
    patient_id, version = _id_and_version(patient)
    return _saved_with_checklist(
        database, lambda session: patient_service.restore_patient(session, patient_id, expected_version=version)
    )


def _id_and_version(patient: Patient) -> tuple[int, int]:
    assert patient.id is not None, "a saved patient"
    return patient.id, patient.version


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
