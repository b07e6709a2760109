"""The forms of the patient screens: which fields and their current text. Saving them is
``services.people.patient_forms``."""

from __future__ import annotations

from coordinator_tui.models import Contact, ContactMethod, ContactRelationship, Patient
from coordinator_tui.services.people.patient_forms import patient_form_values
from coordinator_tui.services.people.patients import SCHOOL_YEAR_OFFSETS
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.field_limits import column_field
from coordinator_tui.ui.widgets.forms import FormField


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
        FormField.heading("Accessibility"),
        flag("large_print", "Large print"),
        flag("bsl_interpreter", "BSL interpreter"),
        flag("wheelchair", "Wheelchair user"),
        text("interpreter_language", "Interpreter language", placeholder="blank if none"),
        FormField.heading("Care"),
        text("registered_on", "Registered on", placeholder="DD/MM/YYYY (blank: today)", limit=limits.DATE),
        text("review_interval_months", "Review every (months)", limit=limits.WHOLE_NUMBER),
        column_field(Patient, "internal_notes", "Internal notes", str(v.get("internal_notes", "")), kind="multiline"),
        # What the transition checklist is made from (services/transition): saving re-dates it at once.
        FormField.heading("Transition (the checklist follows these)"),
        flag("has_ehcp", "Has an EHCP"),
        text("ehcp_reviewed_on", "EHCP issued/last reviewed", placeholder="DD/MM/YYYY", limit=limits.DATE),
        FormField(
            "school_year_offset",
            "School year",
            str(v.get("school_year_offset", "0")),
            kind="choice",
            choices=SCHOOL_YEAR_CHOICES,
        ),
        flag("receives_dla", "Receives DLA (child)"),
        flag("dla_appointee_parent", "Parent is DLA appointee"),
        flag("learning_disability", "Learning disability"),
        flag("diabetes_not_diet_controlled", "Diabetes (not diet only)"),
        flag("hypothyroidism", "Hypothyroidism"),
        flag("may_lack_capacity", "May lack capacity"),
        text("planned_transfer_date", "Planned transfer", placeholder="DD/MM/YYYY", limit=limits.DATE),
        text("transferred_on", "Transferred on (actual)", placeholder="DD/MM/YYYY", limit=limits.DATE),
    ]


# The school-year override as the form offers it: (label, years behind the age group).
SCHOOL_YEAR_CHOICES = [(label[0].upper() + label[1:], str(years)) for years, label in SCHOOL_YEAR_OFFSETS.items()]


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
