"""The forms of the patient screens: which fields, their current text, and the save handlers (services only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coordinator_tui.db import Database
from coordinator_tui.models import Contact, ContactMethod, ContactRelationship, Patient
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.field_limits import column_field
from coordinator_tui.ui.widgets.forms import FormField
from coordinator_tui.validation import format_nhs_number, format_uk_date

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


def patient_fields(patient: Patient | None = None) -> list[FormField]:
    v = patient_form_values(patient)

    def text(name: str, label: str, *, required: bool = False, placeholder: str = "", limit: int = 0) -> FormField:
        value = str(v.get(name, ""))
        if limit:
            return FormField(name, label, value, required=required, placeholder=placeholder, max_length=limit)
        return column_field(Patient, name, label, value, required=required, placeholder=placeholder)

    def flag(name: str, label: str) -> FormField:
        return FormField(name, label, bool(v.get(name, False)), kind="flag")

    return [
        text("given_name", "Given name", required=True),
        text("family_name", "Family name", required=True),
        text("nhs_number", "NHS number", required=True, placeholder="943 476 5919", limit=limits.NHS_NUMBER),
        text("hospital_number", "Hospital number", required=True),
        text("date_of_birth", "Date of birth", required=True, placeholder="DD/MM/YYYY", limit=limits.DATE),
        text("condition", "Condition"),
        text("school", "School or college"),
        flag("has_ehcp", "Has an EHCP"),
        FormField.heading("Accessibility"),
        flag("large_print", "Large print"),
        flag("bsl_interpreter", "BSL interpreter"),
        flag("wheelchair", "Wheelchair user"),
        text("interpreter_language", "Interpreter language", placeholder="blank if none"),
        FormField.heading("Care"),
        text("registered_on", "Registered on", placeholder="DD/MM/YYYY (blank: today)", limit=limits.DATE),
        text("planned_transfer_date", "Planned transfer", placeholder="DD/MM/YYYY", limit=limits.DATE),
        text("review_interval_months", "Review every (months)", limit=limits.WHOLE_NUMBER),
        column_field(Patient, "internal_notes", "Internal notes", str(v.get("internal_notes", "")), kind="multiline"),
    ]


def access_fields(patient: Patient) -> list[FormField]:
    return [
        FormField("large_print", "Large print", patient.large_print, kind="flag"),
        FormField("bsl_interpreter", "BSL interpreter", patient.bsl_interpreter, kind="flag"),
        FormField("wheelchair", "Wheelchair user", patient.wheelchair, kind="flag"),
        column_field(
            Patient,
            "interpreter_language",
            "Interpreter language",
            patient.interpreter_language,
            placeholder="blank if none",
        ),
    ]


def save_new_patient(database: Database, form: Mapping[str, Any]) -> Patient:
    with database.session() as session:
        return patient_service.create_patient(session, patient_service.parse_patient_form(form))


def save_patient(database: Database, patient: Patient, form: Mapping[str, Any]) -> Patient:
    """Save the edited fields; refused when someone else saved the patient since the form opened."""
    merged = {**patient_form_values(patient), **form}
    values = patient_service.parse_patient_form(merged)
    changes = {key: values[key] for key in form if key in values}
    with database.session() as session:
        return patient_service.update_patient(session, patient.id, changes, expected_version=patient.version)  # type: ignore[arg-type]


RELATIONSHIPS = [(r.value.capitalize(), r.value) for r in ContactRelationship]
METHODS = [(m.value.capitalize(), m.value) for m in ContactMethod]


def contact_fields(contact: Contact | None = None) -> list[FormField]:
    return [
        column_field(Contact, "name", "Name", contact.name if contact else "", required=True),
        FormField(
            "relationship",
            "Relationship",
            contact.relationship.value if contact else "parent",
            kind="choice",
            choices=RELATIONSHIPS,
        ),
        FormField(
            "phone", "Phone", contact.phone if contact else "", placeholder="07700 900123", max_length=limits.PHONE
        ),
        column_field(Contact, "email", "Email", contact.email if contact else "", placeholder="name@example.org"),
        column_field(Contact, "address", "Address", contact.address if contact else "", kind="multiline"),
        FormField(
            "preferred_method",
            "Preferred contact",
            contact.preferred_method.value if contact else "phone",
            kind="choice",
            choices=METHODS,
        ),
        FormField(
            "receives_itinerary", "Receives itinerary", contact.receives_itinerary if contact else True, kind="flag"
        ),
    ]


def save_contact(database: Database, patient_id: int, contact: Contact | None, form: Mapping[str, Any]) -> Contact:
    values = contact_service.parse_contact_form(form)
    with database.session() as session:
        if contact is None:
            return contact_service.create_contact(session, patient_id, values)
        return contact_service.update_contact(session, contact.id, values, expected_version=contact.version)  # type: ignore[arg-type]
